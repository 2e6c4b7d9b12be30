"""Administrative units since 1 July 2025, the legacy-code converter and the catalogue."""

from __future__ import annotations

from collections import Counter

import pytest

from ioc.reference import admin_units as au
from ioc.reference import catalogue as cat


def test_34_provinces_and_3321_communes() -> None:
    provs = au.provinces()
    assert len(provs) == 34
    assert [p.code for p in provs] == sorted(p.code for p in provs)
    all_communes = [c for p in provs for c in au.communes(p.code)]
    assert len(all_communes) == 3321
    assert len({c.code for c in all_communes}) == 3321
    assert Counter(c.kind for c in all_communes) == {"xã": 2621, "phường": 687, "đặc khu": 13}


def test_phu_tho() -> None:
    p = au.province("25")
    assert (p.name, p.short_name) == ("Tỉnh Phú Thọ", "Phú Thọ")
    assert 20 < p.lat < 22 and 104 < p.lon < 106
    cs = au.communes("25")
    assert len(cs) == 148
    assert [c.code for c in cs] == sorted(c.code for c in cs)
    assert all(c.province_code == "25" for c in cs)
    lam_thao = au.commune("08494")
    assert lam_thao is not None
    assert (lam_thao.name, lam_thao.short_name, lam_thao.kind) == ("Xã Lâm Thao", "Lâm Thao", "xã")
    assert lam_thao.area_km2 == pytest.approx(15.45)
    names = au.commune_names("25")
    assert len(names) == 148 and names["08494"] == "Xã Lâm Thao"


def test_unknown_codes() -> None:
    with pytest.raises(ValueError, match="unknown province code '99'"):
        au.province("99")
    with pytest.raises(ValueError):
        au.communes("26")  # Vĩnh Phúc merged into Phú Thọ in 2025
    assert au.commune("99999") is None


def test_legacy_ward_codes_convert_to_2025() -> None:
    assert au.legacy_ward_to_2025("00001") == "00097"  # Phúc Xá (Ba Đình) → phường Hồng Hà
    assert au.legacy_ward_to_2025("08494") == "08494"  # thị trấn Lâm Thao → xã Lâm Thao
    assert au.legacy_ward_to_2025("07900") == "07900"  # Gia Cẩm (Việt Trì) → phường Việt Trì
    assert au.legacy_ward_to_2025("nope") is None
    # Vĩnh Phúc's legacy wards land in the new Phú Thọ.
    vinh_yen = au.legacy_ward_to_2025("08707")  # phường Tích Sơn, TP Vĩnh Yên (legacy 26)
    assert vinh_yen is not None and au.commune(vinh_yen).province_code == "25"


def test_agencies_of_a_province() -> None:
    ags = cat.agencies("25")
    assert len(ags) == len(cat.DEPARTMENTS) + 148
    assert len({a.code for a in ags}) == len(ags)
    ubnd = [a for a in ags if a.level == "commune"]
    assert all(a.code == f"UBND-{a.ward_code}" for a in ubnd)
    assert cat.agency("25", "UBND-08494").name == "UBND xã Lâm Thao"
    assert cat.agency("25", "STP-25").name == "Sở Tư pháp tỉnh Phú Thọ"
    assert cat.agency("01", "CAT-01").name == "Công an thành phố Hà Nội"


def test_procedure_catalogue() -> None:
    procs = cat.procedures()
    assert len(procs) >= 30
    assert len({p.code for p in procs}) == len(procs)
    by_name = {p.name: p for p in procs}
    assert by_name["Đăng ký khai sinh"].legal_days == 0.5
    assert by_name["Đăng ký khai sinh"].level == "commune"
    assert by_name["Cấp giấy chứng nhận đăng ký doanh nghiệp (thành lập mới)"].legal_days == 3
    for p in procs:
        assert p.weight > 0 and p.fee_vnd >= 0 and p.legal_days > 0
        assert not p.full_online_eligible or p.online_eligible
        a = cat.agency_for(p, "25", "08494")
        assert a.level == p.level
        if p.level == "commune":
            assert a.code == "UBND-08494"
    with pytest.raises(ValueError):
        cat.agency_for(cat.procedures("commune")[0], "25")


def test_feedback_categories_and_topics() -> None:
    names = [c.name for c in cat.FEEDBACK_CATEGORIES]
    assert names[:3] == ["môi trường", "giao thông", "trật tự đô thị"]
    assert "khác" in names and "khác" in cat.SOCIAL_TOPICS
    assert cat.feedback_sla_days("giao thông") == 3
    assert cat.feedback_sla_days("không có") == cat.DEFAULT_FEEDBACK_SLA_DAYS
