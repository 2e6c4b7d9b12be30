"""Places a text mentions → 2025 communes of one province (pure: offline data only).

`places(text, province_code)` returns the ward codes (2025) of the communes named in `text`,
in order of first mention, each once. Matching rules, chosen so a common phrase is not read as
a place:

1. A 2025 commune by its full name with its kind ("xã Lâm Thao", "phường Việt Trì"), also
   abbreviated ("P. Việt Trì", "X. Lâm Thao") or typed without diacritics
   ("phuong viet tri").
2. A 2025 commune by its short name alone ("Việt Trì") only when the name has two or more
   syllables, is unique in the province, and is written as a proper name in the text (each
   syllable capitalised), and is not the province's own name ("Phú Thọ" is the province,
   "phường Phú Thọ" the commune). Lowercase "thống nhất" or "hòa bình" is an ordinary word.
3. A legacy (pre-July-2025) ward, commune or township by its name with its kind ("thị trấn
   Hùng Sơn", "xã Tiên Kiên"), converted to its 2025 successor through
   `ioc.reference.admin_units.legacy_ward_to_2025`; skipped when that legacy name stood for
   wards with different successors (same name in several old districts), and when the phrase
   is also a 2025 name of the province (the 2025 name wins).

Rules 1 and 3 are tried on the text with its diacritics and on the text with them stripped.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from vietnamadminunits.database import query

from ioc.reference.admin_units import communes, legacy_ward_to_2025, province
from ioc.social.features import strip_diacritics

# Kind words as written before a name (lowercased), full and abbreviated.
_KINDS_2025 = ("xã", "phường", "đặc khu", "x.", "p.", "xa", "phuong")
_KINDS_LEGACY = ("xã", "phường", "thị trấn", "x.", "p.", "tt.", "tt", "xa", "phuong",
                 "thi tran")


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


@lru_cache(maxsize=64)
def _index(province_code: str) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(kind-qualified phrase → ward, proper short name → ward, legacy phrase → ward) of one
    province; phrases in folded form, each also without diacritics."""
    qualified: dict[str, str] = {}
    short: dict[str, str] = {}
    names: dict[str, list[str]] = {}
    # "Phú Thọ" alone is the province (there is also a Phường Phú Thọ): rule 2 skips it.
    province_name = _fold(province(province_code).short_name)
    for c in communes(province_code):
        names.setdefault(_fold(c.short_name), []).append(c.code)
    for name, codes in names.items():
        for kind in _KINDS_2025:
            for phrase in {f"{kind} {name}", strip_diacritics(f"{kind} {name}")}:
                if len(codes) == 1:
                    qualified[phrase] = codes[0]
        if len(codes) == 1 and " " in name and name != province_name:
            short[name] = codes[0]
    legacy: dict[str, set[str]] = {}
    for name, successor in _legacy_names(province_code):
        for kind in _KINDS_LEGACY:
            for phrase in {f"{kind} {name}", strip_diacritics(f"{kind} {name}")}:
                if phrase not in qualified:
                    legacy.setdefault(phrase, set()).add(successor)
    unique_legacy = {p: next(iter(s)) for p, s in legacy.items() if len(s) == 1}
    return qualified, short, unique_legacy


def _legacy_names(province_code: str) -> list[tuple[str, str]]:
    """(folded legacy short name, 2025 successor ward) for legacy wards now in the province."""
    mine = {c.code for c in communes(province_code)}
    out = []
    for r in _legacy_rows():
        succ = legacy_ward_to_2025(r[0])
        if succ in mine:
            out.append((_fold(r[1]), succ))
    return out


@lru_cache(maxsize=1)
def _legacy_rows() -> tuple[tuple[str, str], ...]:
    rows = query("SELECT wardCode, wardShort FROM admin_units_legacy "
                 "WHERE wardCode IS NOT NULL AND wardShort IS NOT NULL")
    return tuple((r["wardCode"], r["wardShort"]) for r in rows)


_WORD = re.compile(r"\w+")


def _key(phrase: str) -> str:
    """Words only, space-joined: "P. Việt Trì" and "p việt trì" have one key."""
    return " ".join(_WORD.findall(phrase))


@lru_cache(maxsize=64)
def _tables(province_code: str) -> tuple[dict[str, str], dict[str, str], int]:
    """(named phrase key → ward, proper short-name key → ward, longest key in words)."""
    qualified, short, legacy = _index(province_code)
    named = {_key(k): v for k, v in {**legacy, **qualified}.items()}  # 2025 names win
    shorts = {_key(k): v for k, v in short.items()}
    longest = max((k.count(" ") + 1 for k in (*named, *shorts)), default=1)
    return named, shorts, longest


def places(text: str | None, province_code: str) -> list[str]:
    """2025 ward codes of the communes of `province_code` that `text` names, in order of
    first mention, each once (rules in the module docstring). Word n-grams are looked up in
    the province's tables, longest first, with and without diacritics."""
    if not text:
        return []
    named, shorts, longest = _tables(province_code)
    words = _WORD.findall(unicodedata.normalize("NFC", text))
    folded = [w.lower() for w in words]
    bare = [strip_diacritics(w) for w in folded]
    out: dict[str, None] = {}
    i = 0
    while i < len(words):
        step = 1
        for n in range(min(longest, len(words) - i), 0, -1):
            key = " ".join(folded[i:i + n])
            code = named.get(key) or named.get(" ".join(bare[i:i + n]))
            if code is None and key in shorts and all(w[:1].isupper() for w in words[i:i + n]):
                code = shorts[key]
            if code is not None:
                out.setdefault(code, None)
                step = n
                break
        i += step
    return list(out)
