"""Scoped accounts for OpenID Connect users (issue 14 §4), through AppTest on a real migrated
database with st.user faked as test_login_ui does: the scope of an account row an admin made
for that name (`ioc users add-oidc`, `set-scope`), else the claim named by
IOC_OIDC_SCOPE_CLAIM; an invalid claim fails closed (no data, an explicit message), and a
disabled row signs the OIDC user out. Plus the pure parts and the CLI."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from ioc.auth import (
    UserError,
    add_oidc_user,
    authenticate,
    list_users,
    set_disabled,
    set_scope,
)
from ioc.auth.accounts import LoginFailed
from ioc.auth.scopes import DENY_ALL, OUT_OF_SCOPE, allowed_codes, clamp, clamp_ranking, covers
from ioc.cli.users import main
from ioc.ui import session
from tests import REPO_ROOT
from tests.pages.test_dossiers_page import WARD_A, WARD_B, seed, tiles

APP = str(REPO_ROOT / "app.py")
EMAIL = "ChuTich.HoaBinh@PhuTho.gov.vn"
NAME = EMAIL.lower()


@pytest.fixture()
def oidc_db(monkeypatch: pytest.MonkeyPatch, db_url: str, engine: Engine) -> Engine:
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    monkeypatch.setenv("IOC_PROVINCE_CODE", "25")
    monkeypatch.setenv("IOC_FRESHNESS_SECONDS", "60")
    monkeypatch.setenv("IOC_AUTH", "oidc")
    monkeypatch.setenv("IOC_OIDC_SCOPE_CLAIM", "ioc_scope")
    st.cache_data.clear()
    seed(engine)
    return engine


def oidc_app(claims: dict[str, object]) -> AppTest:
    """app.py for an st.login user with these claims (its default page). AppTest shows
    app.py's own elements (account link, errors above the page) only in this first run."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.user = {"is_logged_in": True, "email": EMAIL, **claims}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def account_link(at: AppTest) -> str:
    return [e.proto.label for e in at.get("page_link")][0]


def oidc_page(claims: dict[str, object], query: dict[str, str] | None = None) -> AppTest:
    """app.py for an st.login user with these claims, then the Dossiers page."""
    at = oidc_app(claims)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page("pages/dossiers.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def out_of_scope(at: AppTest) -> bool:
    return any(OUT_OF_SCOPE in w.value for w in at.warning)


def board(at: AppTest) -> bool:
    return any("ioc-dboard" in m.value for m in at.markdown)


def test_scope_from_the_claim(oidc_db: Engine) -> None:
    at = oidc_page({"ioc_scope": f"commune:{WARD_B}"})
    assert tiles(at)["dossier.received"] == "20"  # commune B alone (the province has 100)
    assert not out_of_scope(at)
    # A list claim: each value a scope part.
    at = oidc_page({"ioc_scope": [f"commune:{WARD_A}"]})
    assert tiles(at)["dossier.received"] == "80"
    # The URL to another commune gets nothing of it.
    at = oidc_page({"ioc_scope": f"commune:{WARD_B}"}, query={"commune": WARD_A})
    assert out_of_scope(at) and not board(at)


def test_no_claim_and_no_row_is_the_province(oidc_db: Engine) -> None:
    at = oidc_page({})
    assert tiles(at)["dossier.received"] == "100"


@pytest.mark.parametrize("claim", ["ward:04795", "commune:", "everything", 42,
                                   ["commune:04795", 7], {"commune": "04795"}])
def test_an_invalid_claim_fails_closed(oidc_db: Engine, claim: object) -> None:
    first = oidc_app({"ioc_scope": claim})
    assert session.OIDC_SCOPE_INVALID_TEXT in [e.value for e in first.error]
    assert account_link(first).startswith(NAME)  # signed in, but sees nothing
    at = oidc_page({"ioc_scope": claim})
    assert out_of_scope(at) and not board(at)
    assert not [df for df in at.dataframe if "dossier_id" in getattr(df.value, "data",
                                                                       df.value)]


def test_an_admin_row_wins_over_the_claim_and_can_disable(oidc_db: Engine,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    # The admin pre-creates the user by the name the UI shows, before his first sign-in.
    assert main(["users", "add-oidc", EMAIL, "--scope", f"commune:{WARD_A}"]) == 0
    assert f"scope: commune:{WARD_A}" in capsys.readouterr().out
    at = oidc_page({"ioc_scope": f"commune:{WARD_B}"})  # the IdP says B; the row says A
    assert tiles(at)["dossier.received"] == "80"
    # set-scope works on that row like on a local account; --clear = the whole province,
    # even though the claim still names commune B.
    assert main(["users", "set-scope", EMAIL, "--clear"]) == 0
    assert tiles(oidc_page({"ioc_scope": f"commune:{WARD_B}"}))["dossier.received"] == "100"
    # A disabled row: the OIDC user is anonymous again (the account link says Sign in).
    set_disabled(oidc_db, NAME, True)
    assert account_link(oidc_app({"ioc_scope": f"commune:{WARD_B}"})) == \
        "Đăng nhập · Sign in"


REFRESH = """
import streamlit as st
from ioc.settings import load_settings
from ioc.ui.components import get_engine
from ioc.ui.session import current_identity, refresh_identity
refresh_identity(get_engine(load_settings().database_url))
ident = current_identity()
st.markdown(f"who={ident.username if ident else None} scope={ident.scope if ident else None}")
"""


def test_a_scope_change_applies_at_the_next_run(oidc_db: Engine) -> None:
    # app.py's once-per-run refresh alone (AppTest runs a switched-to page without app.py).
    add_oidc_user(oidc_db, NAME)
    at = AppTest.from_string(REFRESH, default_timeout=60)
    at.user = {"is_logged_in": True, "email": EMAIL, "ioc_scope": f"commune:{WARD_A}"}
    at.run()
    assert at.markdown[0].value == f"who={NAME} scope=None"  # the row: unrestricted
    set_scope(oidc_db, NAME, f"commune:{WARD_B}", by="test")
    at.run()  # his next click
    assert at.markdown[0].value == f"who={NAME} scope=commune:{WARD_B}"
    set_disabled(oidc_db, NAME, True)
    at.run()
    assert at.markdown[0].value == "who=None scope=None"


# --- pure parts and the account row -----------------------------------------------------------

def test_claim_scope_parsing() -> None:
    assert session.oidc_claim_scope(None) is None
    assert session.oidc_claim_scope("") is None
    assert session.oidc_claim_scope(" commune:07900 ") == "commune:07900"
    assert session.oidc_claim_scope(["commune:07903", "commune:07900"]) == \
        "commune:07903,commune:07900"
    for bad in ("commune", "district:1", 5, ["commune:1", None], {"a": 1}):
        assert session.oidc_claim_scope(bad) == DENY_ALL


def test_oidc_scope_fails_closed_without_its_account_read(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setenv("IOC_OIDC_SCOPE_CLAIM", "ioc_scope")
    row = (NAME, False, "commune:07900", True)
    assert session.oidc_scope(row, NAME, "commune:1") == "commune:07900"
    assert session.oidc_scope((NAME, False, None, True), NAME, "commune:1") is None
    assert session.oidc_scope((NAME, False, False, True), NAME, "commune:1") == "commune:1"
    assert session.oidc_scope(None, NAME, None) == DENY_ALL  # not read yet
    assert session.oidc_scope((NAME, False, None, False), NAME, None) == DENY_ALL  # DB error
    assert session.oidc_scope(("someone.else", False, None, True), NAME, None) == DENY_ALL
    monkeypatch.delenv("IOC_OIDC_SCOPE_CLAIM")  # no claim configured: the claim is ignored
    assert session.oidc_scope((NAME, False, False, True), NAME, "ward:x") is None


def test_deny_all_grants_nothing() -> None:
    assert clamp(DENY_ALL, "province:25") is None
    assert clamp(DENY_ALL, "province:25,commune:04792") is None
    assert clamp_ranking(DENY_ALL, "province:25", "commune") is None
    assert not covers(DENY_ALL, "province:25")
    assert allowed_codes(DENY_ALL, "commune") == ()


def test_oidc_row_has_no_local_password(engine: Engine) -> None:
    assert add_oidc_user(engine, EMAIL, "commune:04792") == "commune:04792"
    assert {u["username"]: u["scope"] for u in list_users(engine)}[NAME] == "commune:04792"
    with pytest.raises(LoginFailed):
        authenticate(engine, NAME, "!oidc-only", "test")
    with pytest.raises(LoginFailed):
        authenticate(engine, NAME, "", "test")
    with pytest.raises(UserError, match="already exists"):
        add_oidc_user(engine, NAME)
    with pytest.raises(UserError):
        add_oidc_user(engine, "other@x.vn", "ward:1")
