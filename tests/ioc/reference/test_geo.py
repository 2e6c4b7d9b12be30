"""Coordinates and addresses → 2025 communes (ioc.reference.geo), offline."""

from __future__ import annotations

from ioc.reference import geo
from ioc.reference.admin_units import commune


def test_2025_address_names_its_commune():
    r = geo.resolve("25", address="Tổ 5, Phường Thống Nhất, Tỉnh Phú Thọ")
    assert (r.ward_code, r.reason, r.method) == ("04828", None, geo.METHOD_ADDRESS)
    # Without the province the resolving one is assumed.
    r = geo.resolve("25", address="thôn 3, xã Lâm Thao")
    assert (r.ward_code, r.method) == ("08494", geo.METHOD_ADDRESS)


def test_legacy_address_with_district_converted_to_2025_commune():
    # Gia Cẩm ward of Việt Trì city (a district-level unit, abolished in 2025) → Phường Việt Trì.
    r = geo.resolve("25", address="Số 12 đường Hùng Vương, phường Gia Cẩm, thành phố Việt Trì, "
                                  "tỉnh Phú Thọ")
    assert (r.ward_code, r.method) == ("07900", geo.METHOD_LEGACY)
    assert commune("07900").name == "Phường Việt Trì"
    # A pre-2025 province (Vĩnh Phúc, merged into Phú Thọ): read as legacy, not as the 2025
    # "Phường Vĩnh Phúc" the 2025 parser would pick from the province's name.
    r = geo.resolve("25", address="xã Tam Hồng, huyện Yên Lạc, tỉnh Vĩnh Phúc")
    assert (r.ward_code, r.method) == ("09043", geo.METHOD_LEGACY)
    assert commune("09043").province_code == "25"


def test_address_in_another_province_or_without_commune():
    assert geo.resolve("25", address="phường Bến Nghé, quận 1, TP Hồ Chí Minh").reason == \
        geo.REASON_OTHER_PROVINCE
    r = geo.resolve("25", address="gần chợ")
    assert (r.ward_code, r.reason) == (None, geo.REASON_NO_COMMUNE)
    assert geo.resolve("25").reason == geo.REASON_NO_LOCATION
    assert geo.resolve("25", address="   ").reason == geo.REASON_NO_LOCATION


def test_coordinates_inside_take_the_nearest_centroid():
    c = commune("04828")
    assert c is not None
    r = geo.resolve("25", lat=c.lat + 0.01, lon=c.lon)  # ~1.1 km north of its centroid
    assert (r.ward_code, r.method) == ("04828", geo.METHOD_POINT)
    assert r.distance_km is not None and 1.0 < r.distance_km < 1.2
    # Coordinates win over an address naming another commune.
    assert geo.resolve("25", lat=c.lat, lon=c.lon, address="xã Lâm Thao").ward_code == "04828"


def test_coordinates_outside_the_province():
    # Hà Nội's centre lies inside Phú Thọ's bounding box but nearer a Hà Nội commune.
    r = geo.resolve("25", lat=21.0278, lon=105.8342)
    assert (r.ward_code, r.reason) == (None, geo.REASON_OUTSIDE)
    # Far outside the bounding box (Hồ Chí Minh City).
    r = geo.resolve("25", lat=10.77, lon=106.70)
    assert (r.ward_code, r.reason, r.method) == (None, geo.REASON_OUTSIDE, None)


def test_legacy_marker_detection():
    assert geo.is_legacy_address("xã A, huyện B, tỉnh C")
    assert geo.is_legacy_address("phường 1, Q. 3, TP Hồ Chí Minh")
    assert not geo.is_legacy_address("thôn 3, xã Lâm Thao, tỉnh Phú Thọ")
    assert not geo.is_legacy_address("phường Sài Gòn, thành phố Hồ Chí Minh")
