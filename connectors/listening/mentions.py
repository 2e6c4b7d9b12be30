"""Is a post about the province, and which commune? The mention filter of the feed connector
and of the social export import.

An item is about the province when its title or text names:

- the province: its 2025 name or the name of a pre-2025 province merged into it (Phú Thọ ←
  Phú Thọ, Vĩnh Phúc, Hòa Bình), written as a proper name ("Phú Thọ", each syllable
  capitalised — lowercase "hòa bình" is the word "peace") or after "tỉnh" in any case;
- a pre-2025 district of it with its kind ("huyện Lâm Thao", "thị xã Phú Thọ", "thành phố
  Việt Trì");
- one of its communes, 2025 or legacy, by the rules of `ioc.social.places` (kind-qualified,
  or a unique multi-syllable proper name);
- a configured keyword, in any case.

Word boundaries everywhere ("Phú Thọ" does not match inside "Phú Thọng"). Diacritics: text
with diacritics must carry the name's own diacritics ("Lâm Thao" ≠ "Lam Thảo", different
places); a passage typed without diacritics ("tinh Phu Tho", "huyen Lam Thao") matches the
name stripped of them, since that is how people type in a hurry — but only where the text
itself has no diacritics, so an accented word never matches another name by losing its marks.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import vietnamadminunits
from vietnamadminunits.database import query

from ioc.reference.admin_units import province
from ioc.social.features import strip_diacritics
from ioc.social.places import places

_DISTRICT_KINDS = ("huyện", "thị xã", "thành phố", "quận")
REASON_NO_COMMUNE = "bài viết chỉ nhắc tới cấp tỉnh"
REASON_MANY_COMMUNES = "bài viết nhắc tới nhiều xã/phường"


@dataclass(frozen=True)
class Mention:
    about: bool
    why: str | None  # "province" | "district" | "commune" | "keyword" (first rule that hit)
    ward_codes: tuple[str, ...]  # 2025 communes named, in order of first mention

    @property
    def ward_code(self) -> str | None:
        return self.ward_codes[0] if len(self.ward_codes) == 1 else None

    @property
    def ward_reason(self) -> str | None:
        if len(self.ward_codes) == 1:
            return None
        return REASON_MANY_COMMUNES if self.ward_codes else REASON_NO_COMMUNE


def _nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


@lru_cache(maxsize=8)
def _legacy(province_code: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(pre-2025 province short names, pre-2025 district short names) now in the province."""
    path = Path(vietnamadminunits.__file__).parent / "data" / "converter_2025.json"
    merged = json.loads(path.read_text(encoding="utf-8"))["DICT_PROVINCE"]
    keys = {r["provinceKey"] for r in query("SELECT DISTINCT provinceKey, provinceCode "
                                            "FROM admin_units")
            if r["provinceCode"] == province_code}
    old_keys = {k for key in keys for k in merged.get(key, [])}
    provinces: set[str] = set()
    districts: set[str] = set()
    for r in query("SELECT DISTINCT provinceKey, provinceShort, districtShort "
                   "FROM admin_units_legacy"):
        if r["provinceKey"] in old_keys:
            provinces.add(_nfc(r["provinceShort"]))
            if r["districtShort"]:
                districts.add(_nfc(r["districtShort"]))
    return tuple(sorted(provinces)), tuple(sorted(districts))


def _alternation(phrases: list[str]) -> str:
    alts = sorted({p for p in phrases if p}, key=len, reverse=True)  # longest wins
    return "|".join(re.escape(a) for a in alts)


class MentionFilter:
    def __init__(self, province_code: str, keywords: list[str] | tuple[str, ...] = ()) -> None:
        self.province_code = province_code
        legacy_provinces, districts = _legacy(province_code)
        names = sorted({_nfc(province(province_code).short_name), *legacy_provinces})
        bare = [strip_diacritics(n) for n in names]
        # Proper names: matched case-sensitively (capitalised syllables).
        self._proper = re.compile(rf"(?<!\w)({_alternation(names + bare)})(?!\w)")
        self._province = re.compile(
            rf"(?<!\w)tỉnh\s+({_alternation([n.lower() for n in names])})(?!\w)"
            rf"|(?<!\w)tinh\s+({_alternation([b.lower() for b in bare])})(?!\w)",
            re.IGNORECASE)
        dist = [f"{k} {d}" for k in _DISTRICT_KINDS for d in districts]
        self._district = re.compile(
            rf"(?<!\w)({_alternation([d.lower() for d in dist])})(?!\w)"
            rf"|(?<!\w)({_alternation([strip_diacritics(d).lower() for d in dist])})(?!\w)",
            re.IGNORECASE)
        words = [_nfc(k).lower() for k in keywords if k.strip()]
        self._keywords = re.compile(
            rf"(?<!\w)({_alternation(words)})(?!\w)"
            rf"|(?<!\w)({_alternation([strip_diacritics(w) for w in words])})(?!\w)",
            re.IGNORECASE) if words else None

    def check(self, *texts: str | None) -> Mention:
        """Whether the texts (title, summary …) are about the province."""
        text = _nfc(" \n ".join(t for t in texts if t))
        # "Phú Thọ", "Hòa Bình" are also ward names: a bare province name is the province,
        # not phường Phú Thọ, so it is masked before the place matching.
        wards = tuple(places(self._proper_masked(text), self.province_code)) if text else ()
        why: str | None = None
        # An ASCII alternative can never equal an accented span (regex literals do not fold
        # diacritics), so the stripped alternatives only ever match unaccented passages.
        if self._proper.search(text) or self._province.search(text):
            why = "province"
        elif self._district.search(text):
            why = "district"
        elif wards:
            why = "commune"
        elif self._keywords is not None and self._keywords.search(text):
            why = "keyword"
        return Mention(about=why is not None, why=why, ward_codes=wards)

    def _proper_masked(self, text: str) -> str:
        def mask(m: re.Match[str]) -> str:
            before = text[max(0, m.start() - 8):m.start()].lower().rstrip()
            if before.endswith(("phường", "xã", "phuong", "xa", "p.", "x.")):
                return m.group(0)  # "phường Phú Thọ" is the ward
            return "_" * len(m.group(0))

        return self._proper.sub(mask, text)


@lru_cache(maxsize=64)
def province_filter(province_code: str) -> MentionFilter:
    """The filter of a province without keywords (built once: it compiles the name lists)."""
    return MentionFilter(province_code)


__all__ = ["Mention", "MentionFilter", "REASON_MANY_COMMUNES", "REASON_NO_COMMUNE",
           "province_filter"]
