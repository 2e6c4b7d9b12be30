"""Coordinates and addresses → 2025 communes (pure: no network, no database).

Coordinates: no package ships the 2025 commune *boundaries* (the `vietnamadminunits` data has
centroids and areas only), so a point gets the commune whose centroid is nearest (the
documented fallback for "the commune that contains it"). The nearest centroid is searched
among all 3,321 communes: when it belongs to another province, or the point lies outside the
province's bounding box (its communes' centroids padded by `BBOX_PAD_DEG`), or it is farther
than `max_distance_km` (the larger of `MAX_DISTANCE_KM` and 3 equivalent radii of that
commune), the point is outside the province: `ward_code` null with a reason. Near a commune
border the nearest centroid can name the neighbour: commune counts from coordinates are
approximate there.

Addresses: parsed with `vietnamadminunits` offline. An address that names a district-level
unit (huyện, quận, thị xã, thành phố before the province) or a province that no longer exists
is a legacy (63-province) address: it is parsed in LEGACY mode and its ward converted to the
2025 commune through the package's converter tables (a ward split between several communes
goes to the package's default successor; the package's own `convert_address` would geocode
over the network to choose, which we never do). Any other address is parsed as a 2025 one;
when it names no province the resolving province is assumed. An address naming no commune →
`ward_code` null with a reason.

Reasons are short Vietnamese texts and never quote the address (it may be personal data).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from ioc.reference.admin_units import (
    Commune,
    commune,
    communes,
    legacy_ward_to_2025,
    province,
    provinces,
)

BBOX_PAD_DEG = 0.05  # ~5 km: communes on the border have their centroid inside the province
MAX_DISTANCE_KM = 10.0
EARTH_KM = 6371.0

REASON_OUTSIDE = "tọa độ nằm ngoài tỉnh"
REASON_NO_LOCATION = "không có tọa độ hoặc địa chỉ"
REASON_NO_COMMUNE = "địa chỉ không xác định được xã/phường"
REASON_OTHER_PROVINCE = "địa chỉ thuộc tỉnh khác"
REASON_LEGACY_UNKNOWN = "địa chỉ cũ không chuyển được sang xã/phường mới"

METHOD_POINT = "nearest_centroid"
METHOD_ADDRESS = "address_2025"
METHOD_LEGACY = "address_legacy"

# A district-level unit before the last part ("…, huyện Yên Lạc, tỉnh Vĩnh Phúc"): the address
# predates the 2025 reform, which abolished districts.
_DISTRICT = re.compile(r"^(huyện|quận|thị xã|thành phố|tp\.?|tx\.?|h\.|q\.)(\s|$)",
                       re.IGNORECASE)


@dataclass(frozen=True)
class Resolution:
    ward_code: str | None
    reason: str | None  # why ward_code is null (None when it is known)
    method: str | None = None  # how it was found: nearest_centroid, address_2025, address_legacy
    distance_km: float | None = None  # to the chosen centroid (coordinates only)


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


@lru_cache(maxsize=1)
def _all() -> tuple[Commune, ...]:
    return tuple(c for p in provinces() for c in communes(p.code))


@lru_cache(maxsize=64)
def _bbox(province_code: str) -> tuple[float, float, float, float]:
    cs = communes(province_code)
    return (min(c.lat for c in cs) - BBOX_PAD_DEG, max(c.lat for c in cs) + BBOX_PAD_DEG,
            min(c.lon for c in cs) - BBOX_PAD_DEG, max(c.lon for c in cs) + BBOX_PAD_DEG)


def max_distance_km(c: Commune) -> float:
    """How far from its centroid a point may lie and still count as in the commune."""
    radius = math.sqrt(c.area_km2 / math.pi) if c.area_km2 else 0.0
    return max(MAX_DISTANCE_KM, 3 * radius)


def commune_at(lat: float, lon: float, province_code: str) -> Resolution:
    """The 2025 commune of a point, by nearest centroid (see the module docstring)."""
    lat_lo, lat_hi, lon_lo, lon_hi = _bbox(province_code)
    if not (lat_lo <= lat <= lat_hi and lon_lo <= lon <= lon_hi):
        return Resolution(None, REASON_OUTSIDE)
    # A cheap pre-filter (±0.5°, ~55 km) before the haversine over the candidates.
    near = [c for c in _all() if abs(c.lat - lat) < 0.5 and abs(c.lon - lon) < 0.5] or _all()
    best = min(near, key=lambda c: _km(lat, lon, c.lat, c.lon))
    dist = _km(lat, lon, best.lat, best.lon)
    if best.province_code != province_code or dist > max_distance_km(best):
        return Resolution(None, REASON_OUTSIDE, METHOD_POINT, round(dist, 3))
    return Resolution(best.code, None, METHOD_POINT, round(dist, 3))


def is_legacy_address(address: str) -> bool:
    parts = [p.strip() for p in address.split(",") if p.strip()]
    return any(_DISTRICT.match(p) for p in parts[:-1])


@lru_cache(maxsize=4096)
def commune_of_address(address: str, province_code: str) -> Resolution:
    """The 2025 commune named by an address (2025 or legacy form; module docstring)."""
    from vietnamadminunits import parse_address  # loads the parser's tables on first use

    text = " ".join(address.split())
    if not text:
        return Resolution(None, REASON_NO_LOCATION)
    legacy = parse_address(text, mode="LEGACY")
    old_province = legacy.province_code
    gone = old_province is not None and old_province not in {p.code for p in provinces()}
    if is_legacy_address(text) or gone:
        if legacy.ward_code is None:
            return Resolution(None, REASON_LEGACY_UNKNOWN)
        code = legacy_ward_to_2025(legacy.ward_code)
        if code is None:
            return Resolution(None, REASON_LEGACY_UNKNOWN)
        return _in_province(code, province_code, METHOD_LEGACY)
    unit = parse_address(text, mode="FROM_2025")
    if unit.province_code is None:  # "thôn 3, xã Lâm Thao": the resolving province is meant
        unit = parse_address(f"{text}, {province(province_code).name}", mode="FROM_2025")
    if unit.province_code is not None and unit.province_code != province_code:
        return Resolution(None, REASON_OTHER_PROVINCE)
    if unit.ward_code is None:
        return Resolution(None, REASON_NO_COMMUNE)
    return _in_province(unit.ward_code, province_code, METHOD_ADDRESS)


def _in_province(code: str, province_code: str, method: str) -> Resolution:
    c = commune(code)
    if c is None:
        return Resolution(None, REASON_NO_COMMUNE)
    if c.province_code != province_code:
        return Resolution(None, REASON_OTHER_PROVINCE)
    return Resolution(c.code, None, method)


def resolve(province_code: str, lat: float | None = None, lon: float | None = None,
            address: str | None = None) -> Resolution:
    """Coordinates first (they say where the problem is), else the address, else a reason."""
    if lat is not None and lon is not None:
        return commune_at(lat, lon, province_code)
    if address and address.strip():
        return commune_of_address(address, province_code)
    return Resolution(None, REASON_NO_LOCATION)


__all__ = ["Resolution", "commune_at", "commune_of_address", "is_legacy_address",
           "max_distance_km", "resolve", "REASON_NO_LOCATION", "REASON_OUTSIDE",
           "REASON_NO_COMMUNE", "REASON_OTHER_PROVINCE", "REASON_LEGACY_UNKNOWN",
           "METHOD_POINT", "METHOD_ADDRESS", "METHOD_LEGACY"]
