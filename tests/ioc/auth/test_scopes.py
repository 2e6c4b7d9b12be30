"""The scope clamp (pure): what a scoped account may see of a requested scope."""

import pytest

from ioc.auth.scopes import (
    ScopeError,
    allowed_codes,
    clamp,
    clamp_ranking,
    covers,
    normalize_user_scope,
    parse_user_scope,
)


def test_unrestricted_user_gets_what_he_asks():
    assert clamp(None, "province:25,commune:08494") == "province:25,commune:08494"
    assert clamp("", "province:25") == "province:25"


def test_commune_user_asking_for_the_province_gets_his_commune():
    assert clamp("commune:08494", "province:25") == "province:25,commune:08494"


def test_commune_user_asking_for_his_commune_keeps_the_drill():
    assert clamp("commune:08494", "province:25,commune:08494,agency:SYT-25") == \
        "province:25,commune:08494,agency:SYT-25"


def test_commune_user_asking_for_another_commune_gets_nothing():
    assert clamp("commune:08494", "province:25,commune:08497") is None
    # the URL trick of naming the commune twice does not get around it
    assert clamp("commune:08494", "commune:08494,commune:08497") is None


def test_several_communes_each_allowed_first_is_the_default():
    user = "commune:08494,commune:08497"
    assert clamp(user, "province:25,commune:08497") == "province:25,commune:08497"
    assert clamp(user, "province:25") == "province:25,commune:08494"
    assert clamp(user, "province:25,commune:08500") is None


def test_agency_user():
    assert clamp("agency:SYT-25", "province:25") == "province:25,agency:SYT-25"
    assert clamp("agency:SYT-25", "province:25,commune:08494") == \
        "province:25,commune:08494,agency:SYT-25"
    assert clamp("agency:SYT-25", "province:25,agency:STP-25") is None


def test_province_user_cannot_ask_for_another_province():
    assert clamp("province:25", "province:26") is None
    assert clamp("province:25", "province:25,commune:08494") == "province:25,commune:08494"


def test_malformed_request_is_refused():
    assert clamp("commune:08494", "province") is None
    assert clamp("commune:08494", "") is None


def test_rankings_lift_only_the_ranked_kind():
    # a commune user sees the published commune ranking of the province…
    assert clamp_ranking("commune:08494", "province:25", "commune") == "province:25"
    # …but agencies ranked inside his commune only
    assert clamp_ranking("commune:08494", "province:25", "agency") == \
        "province:25,commune:08494"
    assert clamp_ranking("agency:SYT-25", "province:25", "commune") == \
        "province:25,agency:SYT-25"
    assert clamp_ranking("agency:SYT-25", "province:25,agency:STP-25", "commune") is None


def test_covers():
    assert covers("commune:08494", "commune:08494")
    assert covers("commune:08494", "province:25,commune:08494")
    assert not covers("commune:08494", "province:25")
    assert not covers("commune:08494", "commune:08497")
    assert covers(None, "province:25")


def test_parse_and_normalize():
    assert parse_user_scope(" commune:08497 , commune:08494,commune:08497") == \
        {"commune": ("08497", "08494")}
    assert normalize_user_scope("agency:SYT-25,province:25") == "province:25,agency:SYT-25"
    assert normalize_user_scope("  ") is None
    assert allowed_codes("commune:1,commune:2", "commune") == ("1", "2")
    assert allowed_codes("commune:1", "agency") is None
    for bad in ("procedure:1.001", "commune:", "commune"):
        with pytest.raises(ScopeError):
            parse_user_scope(bad)
