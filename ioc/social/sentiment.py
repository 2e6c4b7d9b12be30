"""Vietnamese sentiment (a trained classifier shipped in the package) and topic tagging:
the enrichment of social posts. Pure: no I/O beyond reading the packaged model once.

Sentiment: TF-IDF over word and character n-grams (ioc.social.features: diacritics stripped
and teencode expanded, negation marked) + multinomial logistic regression, trained by
`ioc sentiment train` on ioc/social/data/sentiment_corpus.tsv (written for this project, CC0)
and stored as ioc/social/data/sentiment_model.json.gz. The model card is docs/sentiment.md.

`score(text)` is a signed confidence in (−1, 1) that carries the classifier's decision, so the
float the aggregator stores can be labelled later without the text: for a negative or positive
decision it is ∓ that class's probability (always > 1/3, so beyond ±0.2); for a neutral one it
is 0.38 × (p_pos − p_neg), inside (−0.2, 0.2). Hence `label(score(t))` is the argmax class.
Topics: ioc.social.topics (`topic()` here is kept for existing callers).
"""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Literal, NamedTuple

from ioc.social.features import analyze
from ioc.social.topics import primary_topic

Label = Literal["negative", "neutral", "positive"]
LABELS: tuple[Label, ...] = ("negative", "neutral", "positive")
MODEL_FILE = "sentiment_model.json.gz"
# The version `ioc sentiment train` stamps; bump it whenever the corpus or the method changes
# (a test checks the packaged model carries it).
MODEL_VERSION = "sent-2026.12.1"
CUT = 0.2  # |score| ≥ CUT is a decided polarity (see the module docstring)
_NEUTRAL_SPAN = 0.38  # |p_pos − p_neg| ≤ 0.5 under a neutral argmax, so 0.38 × it < CUT


class Model(NamedTuple):
    version: str
    intercept: tuple[float, float, float]
    features: dict[str, tuple[float, float, float, float]]  # idf, weight per class
    sublinear_tf: bool


def load_model(raw: bytes) -> Model:
    """A model from the bytes `ioc sentiment train` writes (gzip'd JSON)."""
    data = json.loads(gzip.decompress(raw))
    if tuple(data["labels"]) != LABELS:
        raise ValueError(f"model labels {data['labels']} differ from {LABELS}")
    b = data["intercept"]
    return Model(str(data["version"]), (b[0], b[1], b[2]),
                 {k: (v[0], v[1], v[2], v[3]) for k, v in data["features"].items()},
                 bool(data["sublinear_tf"]))


@lru_cache(maxsize=1)
def model() -> Model:
    """The packaged model, read once per process."""
    return load_model(resources.files("ioc.social").joinpath("data", MODEL_FILE).read_bytes())


def model_version() -> str:
    return model().version


def probabilities(text: str, m: Model | None = None) -> tuple[float, float, float]:
    """(p_negative, p_neutral, p_positive): TF-IDF (L2) · weights + intercept, softmax —
    the same arithmetic as scikit-learn's TfidfVectorizer + LogisticRegression."""
    m = m or model()
    feats = m.features
    z0 = z1 = z2 = 0.0
    norm2 = 0.0
    for name, count in Counter(analyze(text)).items():
        f = feats.get(name)
        if f is None:
            continue
        v = ((1.0 + math.log(count)) if m.sublinear_tf else count) * f[0]
        norm2 += v * v
        z0 += v * f[1]
        z1 += v * f[2]
        z2 += v * f[3]
    inv = 1.0 / math.sqrt(norm2) if norm2 > 0 else 0.0
    b = m.intercept
    z = (z0 * inv + b[0], z1 * inv + b[1], z2 * inv + b[2])
    top = max(z)
    e = [math.exp(x - top) for x in z]
    s = sum(e)
    return e[0] / s, e[1] / s, e[2] / s


def signed_score(p: tuple[float, float, float]) -> float:
    """The stored score: the winning class's probability with its sign (neutral near 0), so
    label(score) is the classifier's own decision."""
    neg, neu, pos = p
    if neg > neu and neg >= pos:
        return -neg
    if pos > neu and pos > neg:
        return pos
    return _NEUTRAL_SPAN * (pos - neg)


def score(text: str) -> float:
    """Signed confidence in (−1, 1); 0.0 for empty text. `label(score(t))` is the decision."""
    if not text or not text.strip():
        return 0.0
    return signed_score(probabilities(text))


def score_many(texts: Iterable[str | None]) -> list[float]:
    """score() of each text (None counts as empty), for a whole batch at once."""
    m = model()
    return [signed_score(probabilities(t, m)) if t and t.strip() else 0.0 for t in texts]


def label(value: float) -> Label:
    """negative if value ≤ −0.2, positive if value ≥ 0.2, neutral otherwise."""
    if value <= -CUT:
        return "negative"
    if value >= CUT:
        return "positive"
    return "neutral"


def label_text(text: str) -> Label:
    return label(score(text))


def label_many(texts: Iterable[str | None]) -> list[Label]:
    return [label(v) for v in score_many(texts)]


def topic(text: str) -> str:
    """The primary topic of `text` (ioc.social.topics, where the taxonomy's rules live)."""
    return primary_topic(text)
