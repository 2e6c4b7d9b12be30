"""Training is deterministic, the shipped corpus and model are what the commands rebuild, and
the exported weights score exactly as scikit-learn's fitted pipeline does."""

from __future__ import annotations

import gzip
import json

import pytest

from ioc.cli.sentiment import DATA_DIR, _read_labelled
from ioc.social import sentiment
from ioc.social.sentiment_corpus import corpus_text
from ioc.social.sentiment_train import dump, fit

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], list[str]]:
    return _read_labelled(DATA_DIR / "sentiment_corpus.tsv")


def test_shipped_corpus_is_what_the_generator_writes() -> None:
    assert (DATA_DIR / "sentiment_corpus.tsv").read_text("utf-8") == corpus_text()


def test_training_twice_gives_the_same_bytes_and_the_shipped_model(corpus) -> None:
    texts, gold = corpus
    first, second = dump(fit(texts, gold)), dump(fit(texts, gold))
    assert first == second
    shipped = json.loads(gzip.decompress((DATA_DIR / sentiment.MODEL_FILE).read_bytes()))
    shipped.pop("corpus_sha256")
    rebuilt = json.loads(gzip.decompress(first))
    # Same features and labels; the weights agree to the stored 6 significant digits give or
    # take the last (1e-6 absolute near zero): scikit-learn/scipy/BLAS releases, which the
    # fresh install picks, round the solver's last iterations differently. Exact equality
    # above still proves training is deterministic on one install.
    assert rebuilt.keys() == shipped.keys()
    assert rebuilt["features"].keys() == shipped["features"].keys()
    assert _close(rebuilt, shipped)


def _close(a: object, b: object) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=2e-5, abs=1e-6)
    return a == b


def test_exported_scoring_matches_sklearn(corpus) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from ioc.social.features import analyze
    from ioc.social.sentiment_train import MIN_DF, C

    texts, gold = corpus
    vec = TfidfVectorizer(analyzer=analyze, min_df=MIN_DF, sublinear_tf=True, lowercase=False)
    clf = LogisticRegression(C=C, max_iter=5000, tol=1e-6).fit(vec.fit_transform(texts), gold)
    held, _ = _read_labelled(DATA_DIR / "sentiment_heldout.tsv")
    expected = clf.predict_proba(vec.transform(held))
    for text, row in zip(held, expected, strict=True):
        got = sentiment.probabilities(text)
        # weights are stored to 6 significant digits
        assert max(abs(a - b) for a, b in zip(got, row, strict=True)) < 1e-4
