"""Phạm vi tài khoản · Account scopes on the Thresholds page (AppTest, real database): an
admin sets and clears a leader's scope, the table and the account follow, a malformed scope
is refused naming the problem, a viewer or operator is refused on the server."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from ioc.auth import Identity, create_user, list_users
from tests.helpers import run_page_file
from tests.pages.test_sla_section import ADMIN, OPERATOR, THRESHOLDS, VIEWER

PW = "Scoped-Leader-42"


def open_thresholds(identity: Identity) -> AppTest:
    return run_page_file(THRESHOLDS, identity)


def scope_of(engine: Engine, name: str) -> str | None:
    return {u["username"]: u["scope"] for u in list_users(engine)}[name]


def set_scope_in_ui(at: AppTest, name: str, scope: str) -> AppTest:
    at.selectbox(key="scope_user").set_value(name)
    at.text_input(key="scope_text").input(scope)
    [b for b in at.button if b.label.startswith("Đặt phạm vi")][0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table(at: AppTest):
    return next(df.value for df in at.dataframe if "Phạm vi · Scope" in df.value.columns)


def test_admin_sets_and_clears_a_scope(app_db: Engine) -> None:
    create_user(app_db, "chutich", PW, "viewer")
    at = set_scope_in_ui(open_thresholds(ADMIN), "chutich", "commune:08494, commune:08497")
    assert not at.error, [e.value for e in at.error]
    assert scope_of(app_db, "chutich") == "commune:08494,commune:08497"
    row = table(at)[table(at)["Tài khoản · Account"] == "chutich"]
    assert list(row["Phạm vi · Scope"]) == ["commune:08494, commune:08497"]
    assert any("Đã lưu" in s.value for s in at.success)
    at = set_scope_in_ui(at, "chutich", "procedure:1.001")
    assert any("not allowed" in e.value for e in at.error), [e.value for e in at.error]
    assert scope_of(app_db, "chutich") == "commune:08494,commune:08497"
    set_scope_in_ui(at, "chutich", "")
    assert scope_of(app_db, "chutich") is None


@pytest.mark.parametrize("who", [VIEWER, OPERATOR], ids=["viewer", "operator"])
def test_a_non_admin_cannot_set_a_scope(app_db: Engine, who: Identity) -> None:
    create_user(app_db, "chutich", PW, "viewer")
    at = set_scope_in_ui(open_thresholds(who), "chutich", "commune:08494")
    assert any("may not do 'user.manage'" in e.value for e in at.error)
    assert scope_of(app_db, "chutich") is None
