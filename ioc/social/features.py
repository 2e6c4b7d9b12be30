"""Text → sparse n-gram features for the sentiment classifier (pure; stdlib only).

One analyzer serves training (scikit-learn calls it) and run time (ioc.social.sentiment calls
it), so the features a model was trained on are exactly the ones it sees later.

1. Normalise: NFC, lowercase, URLs and @handles dropped, runs of 3+ equal letters cut to one
   ("quááá" → "quá"), teencode tokens expanded ("ko" → "không", "đc" → "được", "vl" → "rất").
2. Negation scope: the two words after a negator ("không", "chẳng", "chưa", …) get a "!" mark,
   so "không hài lòng" and "hài lòng" are different features ("!hài !lòng").
3. Features: word unigrams and bigrams of the accented text ("w:"), the same of the text with
   diacritics stripped ("s:", so "khong hai long" meets "không hài lòng"), and character
   3–5-grams of each stripped word padded with spaces ("c:", for misspellings and teencode).
"""

from __future__ import annotations

import re
import unicodedata

# Token-level teencode / no-diacritics spellings → standard word (keys are lowercase).
TEENCODE: dict[str, str] = {
    "ko": "không", "k": "không", "kh": "không", "khg": "không", "kg": "không", "hok": "không",
    "hông": "không", "hong": "không", "hem": "không", "kô": "không", "khum": "không",
    "khong": "không", "đc": "được", "dc": "được", "đươc": "được", "duoc": "được",
    "vl": "rất", "vcl": "rất", "vkl": "rất", "vãi": "rất", "qá": "quá", "wá": "quá",
    "wa": "quá", "j": "gì", "gi": "gì", "bt": "bình thường", "bth": "bình thường",
    "mn": "mọi người", "mng": "mọi người", "cx": "cũng", "cũg": "cũng", "r": "rồi",
    "ntn": "như thế nào", "mik": "mình", "mk": "mình", "sp": "sản phẩm", "nv": "nhân viên",
    "oke": "ok", "okie": "ok", "oki": "ok", "okay": "ok", "tks": "cảm ơn", "thanks": "cảm ơn",
    "thank": "cảm ơn", "thks": "cảm ơn", "camon": "cảm ơn", "thik": "thích", "iu": "yêu",
    "bùn": "buồn", "hàg": "hàng", "shop": "shop", "rep": "trả lời", "ib": "nhắn tin",
    "trc": "trước", "ng": "người", "nch": "nói chung", "lm": "làm", "vs": "với", "z": "vậy",
    "ak": "à", "uk": "ừ", "đag": "đang", "dag": "đang", "tl": "trả lời", "sd": "sử dụng",
}
NEGATORS: frozenset[str] = frozenset({"không", "chẳng", "chả", "chưa", "đừng", "chớ"})
_NEGATION_SPAN = 2
_URL = re.compile(r"https?://\S+|www\.\S+|@\w+")
_REPEAT = re.compile(r"(\w)\1{2,}")
# Words (letters/digits, incl. "50k"), runs of ! or ?, and a few emoticons.
_TOKEN = re.compile(r"\w+|[!?]+|[:;=]-?[()dDpP]+|<3")
_PUNCT_BREAK = re.compile(r"^[!?]+$|^[:;=<]")


def strip_diacritics(text: str) -> str:
    """"Không hài lòng" → "Khong hai long" (đ → d too)."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.replace("đ", "d").replace("Đ", "D")


def tokens(text: str) -> list[str]:
    """Normalised tokens, teencode expanded; punctuation that ends a clause kept as "|"."""
    norm = unicodedata.normalize("NFC", text).lower()
    norm = _REPEAT.sub(r"\1", _URL.sub(" ", norm))
    out: list[str] = []
    # Clause breaks matter for negation scope, so split on , . ; first.
    for clause in re.split(r"[,.;\n]+|\s-\s", norm):
        for tok in _TOKEN.findall(clause):
            out.extend(TEENCODE.get(tok, tok).split())
        out.append("|")
    return out


def _mark_negation(toks: list[str]) -> list[str]:
    marked: list[str] = []
    left = 0
    for tok in toks:
        if tok == "|" or _PUNCT_BREAK.match(tok):
            left = 0
            marked.append(tok)
            continue
        marked.append("!" + tok if left > 0 else tok)
        left = max(left - 1, 0)
        if tok in NEGATORS:
            left = _NEGATION_SPAN
    return marked


def _word_grams(prefix: str, toks: list[str]) -> list[str]:
    feats = [prefix + t for t in toks if t != "|"]
    feats += [f"{prefix}{a} {b}" for a, b in zip(toks, toks[1:], strict=False)
              if a != "|" and b != "|"]
    return feats


def analyze(text: str) -> list[str]:
    """The feature strings of one text (with repeats: the count is the term frequency)."""
    toks = tokens(text or "")
    marked = _mark_negation(toks)
    bare = [strip_diacritics(t) for t in marked]
    feats = _word_grams("w:", marked) + _word_grams("s:", bare)
    for word in bare:
        if word == "|" or not word[-1:].isalnum():
            continue
        padded = f" {word.lstrip('!')} "
        for n in (3, 4, 5):
            if len(padded) < n:
                break
            feats += ["c:" + padded[i:i + n] for i in range(len(padded) - n + 1)]
    return feats
