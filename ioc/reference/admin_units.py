"""Administrative units of Vietnam since 1 July 2025 (34 provinces, 3,321 communes).

A thin, cached wrapper over the `vietnamadminunits` package (MIT), which ships the units as a
SQLite table with codes, names, centroids and areas, plus the 63-province legacy set and the
data of its 2025 address converter. Pure domain code: no Streamlit, no Kafka.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import vietnamadminunits
from vietnamadminunits.database import query

CommuneKind = Literal["xã", "phường", "đặc khu"]

# The package's wardType values ("Xã", "Phường", "Đặc khu") → our lowercase kinds.
_KINDS: dict[str, CommuneKind] = {"xã": "xã", "phường": "phường", "đặc khu": "đặc khu"}


@dataclass(frozen=True)
class Province:
    code: str  # 2-digit 2025 code, e.g. "25" (Phú Thọ)
    name: str  # full name, e.g. "Tỉnh Phú Thọ"
    short_name: str  # e.g. "Phú Thọ"
    lat: float
    lon: float


@dataclass(frozen=True)
class Commune:
    code: str  # 5-digit 2025 commune code, e.g. "04828"
    name: str  # full name, e.g. "Phường Thống Nhất"
    short_name: str  # e.g. "Thống Nhất"
    kind: CommuneKind
    province_code: str
    lat: float
    lon: float
    area_km2: float | None  # None where the package has no (or a zero) area


@lru_cache(maxsize=1)
def _province_rows() -> tuple[Province, ...]:
    rows = query(
        "SELECT DISTINCT provinceCode, province, provinceShort, provinceLat, provinceLon "
        "FROM admin_units ORDER BY provinceCode"
    )
    return tuple(
        Province(r["provinceCode"], r["province"], r["provinceShort"],
                 float(r["provinceLat"]), float(r["provinceLon"]))
        for r in rows
    )


@lru_cache(maxsize=1)
def _provinces_by_code() -> dict[str, Province]:
    return {p.code: p for p in _province_rows()}


@lru_cache(maxsize=1)
def _all_communes() -> dict[str, Commune]:
    rows = query(
        "SELECT wardCode, ward, wardShort, wardType, provinceCode, wardLat, wardLon, wardAreaKm2 "
        "FROM admin_units ORDER BY wardCode"
    )
    out: dict[str, Commune] = {}
    for r in rows:
        area = r["wardAreaKm2"]
        out[r["wardCode"]] = Commune(
            code=r["wardCode"],
            name=r["ward"],
            short_name=r["wardShort"],
            kind=_KINDS[r["wardType"].lower()],
            province_code=r["provinceCode"],
            lat=float(r["wardLat"]),
            lon=float(r["wardLon"]),
            area_km2=float(area) if area else None,
        )
    return out


@lru_cache(maxsize=64)
def _communes_of(province_code: str) -> tuple[Commune, ...]:
    return tuple(c for c in _all_communes().values() if c.province_code == province_code)


def provinces() -> list[Province]:
    """The 34 provinces and centrally-run cities, sorted by code."""
    return list(_province_rows())


def province(code: str) -> Province:
    """The province with this 2025 code; ValueError for an unknown code."""
    try:
        return _provinces_by_code()[code]
    except KeyError:
        known = ", ".join(sorted(_provinces_by_code()))
        raise ValueError(
            f"unknown province code {code!r}: expected one of the 34 codes since 2025-07-01 "
            f"({known})"
        ) from None


def communes(province_code: str) -> list[Commune]:
    """Communes (xã, phường, đặc khu) of a province, sorted by code; ValueError if unknown."""
    province(province_code)
    return list(_communes_of(province_code))


def commune(code: str) -> Commune | None:
    """The commune with this 2025 code, or None (a lookup that may miss, e.g. legacy codes)."""
    return _all_communes().get(code)


def commune_names(province_code: str) -> dict[str, str]:
    """code → full name ("Xã Lâm Thao") for the communes of a province."""
    return {c.code: c.name for c in communes(province_code)}


# --- legacy (63-province, 3-level) ward codes → 2025 communes --------------------------------

@lru_cache(maxsize=1)
def _legacy_ward_keys() -> dict[str, tuple[str, str]]:
    """legacy ward code → (legacy province key, "province_district_ward" key)."""
    rows = query(
        "SELECT wardCode, provinceKey, districtKey, wardKey FROM admin_units_legacy "
        "WHERE wardCode IS NOT NULL"
    )
    return {
        r["wardCode"]: (r["provinceKey"], f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}")
        for r in rows
    }


@lru_cache(maxsize=1)
def _converter_index() -> tuple[dict[str, str], dict[str, str], dict[tuple[str, str], str]]:
    """Indexes over the package's converter_2025.json (read directly: the converter module
    itself needs the address parser and geocoding, which we do not want for a code lookup)."""
    path = Path(vietnamadminunits.__file__).parent / "data" / "converter_2025.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    new_province_of: dict[str, str] = {}
    for new_key, old_keys in data["DICT_PROVINCE"].items():
        for old_key in old_keys:
            new_province_of[old_key] = new_key
    # old "province_district_ward" key → new ward key; undivided wards first, then the default
    # successor of wards that were split between several new communes.
    new_ward_of: dict[str, str] = {}
    for wards in data["DICT_PROVINCE_WARD_NO_DIVIDED"].values():
        for new_ward_key, old_keys in wards.items():
            for old_key in old_keys:
                new_ward_of.setdefault(old_key, new_ward_key)
    for divided in data["DICT_PROVINCE_WARD_DIVIDED"].values():
        for old_key, successors in divided.items():
            default = next((s["newWardKey"] for s in successors if s["isDefaultNewWard"]), None)
            if default and old_key not in new_ward_of:
                new_ward_of[old_key] = default
    code_of = {
        (r["provinceKey"], r["wardKey"]): r["wardCode"]
        for r in query("SELECT provinceKey, wardKey, wardCode FROM admin_units")
    }
    return new_province_of, new_ward_of, code_of


def legacy_ward_to_2025(legacy_ward_code: str) -> str | None:
    """2025 commune code that succeeded a legacy (pre-July-2025) ward code, or None if unknown.

    A legacy ward split between several new communes maps to the package's default successor
    (the one that took the ward's name or centre), so the answer is right for most addresses
    of that ward but not all of them.
    """
    keys = _legacy_ward_keys().get(legacy_ward_code)
    if keys is None:
        return None
    old_province_key, old_ward_key = keys
    new_province_of, new_ward_of, code_of = _converter_index()
    new_province_key = new_province_of.get(old_province_key)
    new_ward_key = new_ward_of.get(old_ward_key)
    if new_province_key is None or new_ward_key is None:
        return None
    return code_of.get((new_province_key, new_ward_key))
