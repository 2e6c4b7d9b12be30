"""Vietnamese word segmentation and keyword terms (pure: no I/O beyond the bundled model).

Segmentation is underthesea's `word_tokenize` (Apache-2.0): a CRF trained on VLSP 2013 whose
model ships inside the wheel and runs on `underthesea_core` (Rust), so nothing is downloaded
at run time and no scikit-learn/scipy is imported. It joins syllables into words ("xe máy",
"Việt Trì", "giải phóng mặt bằng" → "giải phóng", "mặt bằng"), which plain whitespace cannot:
Vietnamese writes a space between every syllable. pyvi was the alternative; it needs
sklearn-crfsuite, which the running system avoids.

`terms(text)` is what rising keywords count: the words lowercased, teencode expanded
(ioc.social.features.TEENCODE), stop words (ioc.social.stopwords) and tokens without a letter
dropped, each word once per text (document frequency, so one long post cannot dominate).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from underthesea import word_tokenize

from ioc.social.features import TEENCODE
from ioc.social.stopwords import is_stop_word

MAX_TERM_CHARS = 64  # the width of social_post_tags.value
MAX_TEXT_CHARS = 5000  # the head of a long article says what it is about; bounds CPU per post


def words(text: str | None) -> list[str]:
    """The words of `text` in order, lowercased (NFC), multi-syllable words space-joined."""
    if not text or not text.strip():
        return []
    clean = unicodedata.normalize("NFC", text[:MAX_TEXT_CHARS])
    return [w.lower() for w in word_tokenize(clean)]


def _term(word: str) -> str | None:
    word = TEENCODE.get(word, word)
    if not any(ch.isalpha() for ch in word) or len(word) < 2 or is_stop_word(word):
        return None
    return word[:MAX_TERM_CHARS]


def terms(text: str | None) -> list[str]:
    """Distinct keyword terms of `text`, in order of first appearance."""
    out: dict[str, None] = {}
    for w in words(text):
        t = _term(w)
        if t is not None:
            out.setdefault(t, None)
    return list(out)


def terms_many(texts: Iterable[str | None]) -> list[list[str]]:
    return [terms(t) for t in texts]
