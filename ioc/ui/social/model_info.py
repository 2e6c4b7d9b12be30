"""The sentiment model's version and its accuracy measured on the held-out split that ships
with it (never trained on), for the caption next to "negative share". Measured, not copied
from the model card: 180 sentences take well under a second, and the figure then always
belongs to the model the server actually loaded."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ioc.i18n import fmt_number
from ioc.social import sentiment
from ioc.social.sentiment_corpus import HELDOUT_FILE, read_tsv
from ioc.social.sentiment_train import metrics
from ioc.ui.social.labels import LABELS


@dataclass(frozen=True)
class ModelScore:
    version: str
    n: int
    macro_f1: float
    negative_recall: float
    negative_precision: float


@lru_cache(maxsize=1)
def model_score() -> ModelScore:
    rows = read_tsv(HELDOUT_FILE)
    gold = [lab for lab, _register, _text in rows]
    predicted = sentiment.label_many(text for _lab, _register, text in rows)
    m = metrics(gold, predicted)
    neg = m["per_class"]["negative"]
    return ModelScore(sentiment.model_version(), m["n"], m["macro_f1"], neg["recall"],
                      neg["precision"])


def model_caption(score: ModelScore) -> str:
    """'mô hình sent-2026.12.1 · F1 0,73 · độ phủ tin tiêu cực 0,78 trên tập kiểm tra (180
    câu) · model …, on the held-out set'."""
    f1 = fmt_number(score.macro_f1, 2)
    recall = fmt_number(score.negative_recall, 2)
    model_vi, model_en = LABELS["model"]
    held_vi, held_en = LABELS["on_heldout"]
    rec_vi, rec_en = LABELS["neg_recall"]
    return (f"{model_vi} {score.version} · F1 {f1} · {rec_vi} {recall} {held_vi} "
            f"({score.n} câu) · {model_en} {score.version}, macro-F1 {score.macro_f1:.2f}, "
            f"{rec_en} {score.negative_recall:.2f} {held_en}")


def tile_note(score: ModelScore) -> str:
    """Under the negative share: 'mô hình sent-2026.12.1 · F1 0,73 trên tập kiểm tra'."""
    return (f"{LABELS['model'][0]} {score.version} · F1 {fmt_number(score.macro_f1, 2)} "
            f"{LABELS['on_heldout'][0]}")
