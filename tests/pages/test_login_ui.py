"""Sign-in through the UI (AppTest on app.py and a real migrated database): the menu follows the
identity's role or the anonymous role, failures stay generic and are recorded, sign-out and
account changes take effect, the server-side check refuses forged actions, and the password is
never shown or logged. Plus the pure parts: registry of planned pages, anonymous and OIDC roles.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest, app_test

from ioc import auth
from ioc.db import schema as s
from ioc.ui import nav, session
from tests import REPO_ROOT

APP = str(REPO_ROOT / "app.py")
LOGIN = "pages/login.py"
PW = "Correct-Horse-42"  # distinctive, so a leak is easy to find
WRONG = "Wrong-Battery-77"
BAD = "Sai tên đăng nhập hoặc mật khẩu. · Wrong username or password."


@pytest.fixture(autouse=True)
def app_py_every_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run app.py on every AppTest run, as the server does. AppTest resets Streamlit's
    "pages/ folder app" flag before each run, and with it a switched-to page runs alone (no
    app.py, so no sign-in check or menu); ioc/ui/serve.py turns the flag off the same way."""
    class V2PagesManager(PagesManager):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    monkeypatch.setattr(app_test, "PagesManager", V2PagesManager)


@pytest.fixture()
def app_db(monkeypatch: pytest.MonkeyPatch, db_url: str, engine: Engine) -> Engine:
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    monkeypatch.setenv("IOC_PROVINCE_CODE", "25")
    for name in ("IOC_ANONYMOUS_ROLE", "IOC_AUTH", "IOC_OIDC_ROLE_CLAIM", "IOC_OIDC_ROLE_MAP",
                 "IOC_LOGIN_MAX_FAILURES", "IOC_LOGIN_LOCK_MINUTES",
                 "IOC_LOGIN_CLIENT_MAX_FAILURES", "IOC_LOGIN_BACKOFF_SECONDS",
                 "IOC_SESSION_IDLE_MINUTES", "IOC_SESSION_MAX_HOURS"):
        monkeypatch.delenv(name, raising=False)
    auth.create_user(engine, "admin", PW, "admin")
    auth.create_user(engine, "leader", PW, "viewer")
    return engine


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def menu(at: AppTest) -> set[str]:
    """Pages st.navigation registered in the last run, by file stem (= url path here; the
    default page's url path is "")."""
    stems = {Path(str(info["script_path"])).stem for info in at._registered_pages.values()}
    return stems - {"app"}  # AppTest lists the entry script too after an st.rerun


def open_login(at: AppTest) -> AppTest:
    at.switch_page(LOGIN).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def submit(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button(key="login_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def dump(node: Any) -> str:
    """Every element of the rendered tree with its protobuf (labels, values, help texts)."""
    parts = [repr(node)]
    proto = getattr(node, "proto", None)
    if proto is not None:
        parts.append(str(proto))
    children = getattr(node, "children", None) or {}
    parts += [dump(c) for c in children.values()]
    return "\n".join(parts)


def header_link(at: AppTest) -> str:
    links = [e.proto.label for e in at.get("page_link")]
    assert links, "no account link"
    return links[0]


def attempts(engine: Engine) -> list[tuple[str, bool, str]]:
    a = s.login_attempts.c
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(a.username, a.ok, a.source)
                                               .order_by(a.id))]


def assert_no_password(at: AppTest, caplog: pytest.LogCaptureFixture) -> None:
    assert PW not in dump(at._tree) and WRONG not in dump(at._tree)
    kept = [at.session_state[k] for k in ("login_username", "login_password")
            if k in at.session_state]
    assert all(PW not in str(v) and WRONG not in str(v) for v in kept)
    assert PW not in caplog.text and WRONG not in caplog.text


# --- the app ---------------------------------------------------------------------------------

def test_anonymous_visitor_gets_viewer_pages_and_a_sign_in_link(app_db: Engine) -> None:
    at = run_app()
    assert {"overview", "dossiers", "login"} <= menu(at)
    assert "thresholds" not in menu(at)  # admin only, even once the page lands
    assert header_link(at) == "Đăng nhập · Sign in"
    assert session.IDENTITY_KEY not in at.session_state


def test_wrong_password_is_generic_and_recorded(app_db: Engine,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    at = open_login(run_app())
    submit(at, "admin", WRONG)
    assert [e.value for e in at.error] == [BAD]
    submit(at, "nobody", WRONG)  # unknown user: the same words
    assert [e.value for e in at.error] == [BAD]
    rows = attempts(app_db)
    assert [(u, ok) for u, ok, _ in rows] == [("admin", False), ("nobody", False)]
    assert all(src.startswith("ui") for _, _, src in rows)
    assert session.IDENTITY_KEY not in at.session_state
    assert_no_password(at, caplog)


def test_throttled_sign_in_says_so(app_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOC_LOGIN_MAX_FAILURES", "2")
    at = open_login(run_app())
    submit(at, "leader", WRONG)
    submit(at, "leader", WRONG)
    submit(at, "leader", PW)  # right password, but locked: refused unchecked
    assert len(at.error) == 1 and "thử lại sau" in at.error[0].value
    assert "try again later" in at.error[0].value
    assert session.IDENTITY_KEY not in at.session_state


def test_admin_sign_in_changes_the_menu_and_sign_out_returns_to_anonymous(
        app_db: Engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    at = open_login(run_app())
    before = menu(at)
    submit(at, " Admin ", PW)
    ident = at.session_state[session.IDENTITY_KEY]
    assert (ident.username, ident.role, ident.source) == ("admin", "admin", "local")
    assert any("Đã đăng nhập: admin" in m.value for m in at.success)
    shown = "\n".join(m.value for m in at.markdown)
    assert "**admin**" in shown and "Quản trị hệ thống · Administrator" in shown
    assert attempts(app_db)[-1][:2] == ("admin", True)
    expected = {p.url_path for p in nav.page_specs_for("admin")}
    assert menu(at) == expected and expected >= before
    if Path(nav.ROOT, "pages/thresholds.py").exists():
        assert "thresholds" in menu(at) and "thresholds" not in before
    at.switch_page("pages/overview.py").run()
    assert not at.exception
    assert header_link(at) == "admin · Đăng xuất · Sign out"
    assert_no_password(at, caplog)

    open_login(at)
    at.button(key="login_sign_out").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert session.IDENTITY_KEY not in at.session_state
    assert any("Đã đăng xuất" in m.value for m in at.success)
    assert menu(at) == before
    assert at.text_input(key="login_password").value == ""


def test_sign_in_required_shows_only_the_sign_in_page(
        app_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOC_ANONYMOUS_ROLE", "")
    at = run_app()
    assert menu(at) == {"login"}
    assert at.text_input(key="login_username") is not None
    assert not [m for m in at.markdown if "ioc-board" in m.value]  # no Overview tiles
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/dossiers.py")
    submit(at, "leader", PW)
    assert {"overview", "dossiers", "login"} <= menu(at)


def test_a_disabled_account_is_signed_out_at_the_next_run(app_db: Engine) -> None:
    at = open_login(run_app())
    submit(at, "leader", PW)
    assert at.session_state[session.IDENTITY_KEY].role == "viewer"
    auth.set_role(app_db, "leader", "operator")
    at.run()
    assert at.session_state[session.IDENTITY_KEY].role == "operator"
    auth.set_disabled(app_db, "leader", True)
    at.run()
    assert session.IDENTITY_KEY not in at.session_state


def _forged_action() -> None:
    import time

    import streamlit as st

    from ioc.auth import Identity, PermissionDenied
    from ioc.ui.session import IDENTITY_KEY, LAST_SEEN_KEY, SIGNED_IN_AT_KEY, require_action

    for who in (None, Identity("leader", "viewer"), Identity("ops", "operator"),
                Identity("admin", "admin")):
        if who is None:
            st.session_state.pop(IDENTITY_KEY, None)
        else:
            st.session_state[IDENTITY_KEY] = who
            st.session_state[SIGNED_IN_AT_KEY] = st.session_state[LAST_SEEN_KEY] = time.time()
        for action in ("rule.edit", "alert.ack"):
            try:
                require_action(action)
                st.text(f"{who and who.role} {action} allowed")
            except PermissionDenied:
                st.text(f"{who and who.role} {action} denied")


def test_require_action_refuses_forged_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IOC_AUTH", raising=False)
    at = AppTest.from_function(_forged_action)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.text] == [
        "None rule.edit denied", "None alert.ack denied",  # anonymous never acts
        "viewer rule.edit denied", "viewer alert.ack denied",
        "operator rule.edit denied", "operator alert.ack allowed",
        "admin rule.edit allowed", "admin alert.ack allowed"]


# --- session timeouts (times injected into the session, no sleeping) ---------------------

EXPIRED = "Phiên đăng nhập đã hết hạn · Session expired"


def age_session(at: AppTest, signed_in_ago: float, idle_for: float) -> None:
    """Make the signed-in session look `signed_in_ago` seconds old and idle `idle_for`."""
    now = time.time()
    at.session_state[session.SIGNED_IN_AT_KEY] = now - signed_in_ago
    at.session_state[session.LAST_SEEN_KEY] = now - idle_for


def test_idle_session_falls_back_to_anonymous(app_db: Engine,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (session.IDLE_MINUTES_ENV, session.MAX_HOURS_ENV):
        monkeypatch.delenv(name, raising=False)
    at = open_login(run_app())
    anonymous = menu(at)
    submit(at, "admin", PW)
    # 29 minutes idle: still signed in, and this run is the latest interaction.
    age_session(at, signed_in_ago=3600, idle_for=29 * 60)
    at.switch_page("pages/overview.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[session.IDENTITY_KEY].username == "admin"
    assert time.time() - at.session_state[session.LAST_SEEN_KEY] < 60
    assert not [w for w in at.warning if w.value == EXPIRED]
    # 31 minutes idle: the next interaction finds the session over and says so, once.
    age_session(at, signed_in_ago=3600, idle_for=31 * 60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert session.IDENTITY_KEY not in at.session_state
    assert [w.value for w in at.warning if w.value == EXPIRED] == [EXPIRED]
    assert menu(at) == anonymous
    assert header_link(at) == "Đăng nhập · Sign in"
    at.run()
    assert not [w for w in at.warning if w.value == EXPIRED]


def test_absolute_session_timeout(app_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(session.IDLE_MINUTES_ENV, raising=False)
    monkeypatch.setenv(session.MAX_HOURS_ENV, "2")
    at = open_login(run_app())
    submit(at, "admin", PW)
    age_session(at, signed_in_ago=2 * 3600 - 60, idle_for=10)  # busy all along: still valid
    at.run()
    assert at.session_state[session.IDENTITY_KEY].role == "admin"
    age_session(at, signed_in_ago=2 * 3600 + 1, idle_for=10)  # busy, but too old
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert session.IDENTITY_KEY not in at.session_state
    assert any(w.value == EXPIRED for w in at.warning)
    # Signing in again starts a new session.
    open_login(at)
    submit(at, "admin", PW)
    assert at.session_state[session.IDENTITY_KEY].role == "admin"
    assert time.time() - at.session_state[session.SIGNED_IN_AT_KEY] < 60


def _act_now() -> None:
    import streamlit as st

    from ioc.auth import PermissionDenied
    from ioc.ui.session import require_action

    try:
        who = require_action("rule.edit")
        st.text(f"allowed for {who.username}")
    except PermissionDenied as exc:
        st.text(f"denied: {exc}")


@pytest.mark.parametrize(("signed_in_ago", "idle_for", "allowed"), [
    (60, 60, True),
    (3600, 31 * 60, False),  # idle past IOC_SESSION_IDLE_MINUTES (30)
    (12 * 3600 + 1, 1, False),  # older than IOC_SESSION_MAX_HOURS (12)
    (None, None, False),  # an identity without its times is never trusted
])
def test_permission_check_after_expiry_is_refused(
        monkeypatch: pytest.MonkeyPatch, signed_in_ago: float | None, idle_for: float | None,
        allowed: bool) -> None:
    for name in ("IOC_AUTH", session.IDLE_MINUTES_ENV, session.MAX_HOURS_ENV):
        monkeypatch.delenv(name, raising=False)
    at = AppTest.from_function(_act_now)
    at.session_state[session.IDENTITY_KEY] = auth.Identity("admin", "admin")
    if signed_in_ago is not None and idle_for is not None:
        age_session(at, signed_in_ago, idle_for)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if allowed:
        assert [t.value for t in at.text] == ["allowed for admin"]
    else:
        assert [t.value for t in at.text] == ["denied: sign in required for 'rule.edit'"]
        assert session.IDENTITY_KEY not in at.session_state


def test_session_limits_and_expiry_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (session.IDLE_MINUTES_ENV, session.MAX_HOURS_ENV):
        monkeypatch.delenv(name, raising=False)
    assert session.session_limits() == (30 * 60, 12 * 3600)
    monkeypatch.setenv(session.IDLE_MINUTES_ENV, "5")
    monkeypatch.setenv(session.MAX_HOURS_ENV, "0")  # never-expiring is not offered
    assert session.session_limits() == (5 * 60, 12 * 3600)
    reason = session.expiry_reason
    assert reason(1000.0, 1000.0, 1299.0, 300, 3600) is None
    assert reason(1000.0, 1000.0, 1300.0, 300, 3600) == "idle"
    assert reason(1000.0, 4500.0, 4600.0, 300, 3600) == "absolute"
    assert reason(None, 1000.0, 1000.0, 300, 3600) == "absolute"


def test_throttled_sign_in_shows_the_wait(app_db: Engine,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOC_LOGIN_MAX_FAILURES", "1")
    monkeypatch.setenv("IOC_LOGIN_BACKOFF_SECONDS", "600")
    at = open_login(run_app())
    submit(at, "leader", WRONG)
    submit(at, "leader", PW)
    assert [e.value for e in at.error] == [
        "Đăng nhập sai nhiều lần; vui lòng thử lại sau 10 phút. · "
        "Too many failed sign-ins; please try again later (in 10 min)."]
    assert [ok for _, ok, _ in attempts(app_db)] == [False, False]


def test_oidc_user_gets_the_mapped_role(app_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOC_AUTH", "oidc")
    monkeypatch.setenv("IOC_OIDC_ROLE_CLAIM", "groups")
    monkeypatch.setenv("IOC_OIDC_ROLE_MAP", "ioc-ops=operator")
    at = AppTest.from_file(APP, default_timeout=90)
    at.user = {"is_logged_in": True, "email": "Ops_1@Example.gov.vn", "groups": ["staff",
                                                                                 "ioc-ops"]}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert menu(at) == {p.url_path for p in nav.page_specs_for("operator")}
    assert header_link(at) == "ops_1@example.gov.vn · Đăng xuất · Sign out"
    open_login(at)
    assert any("Cán bộ vận hành · Operator" in m.value for m in at.markdown)


# --- pure parts -----------------------------------------------------------------------------

def test_planned_pages_are_registered_once_their_files_exist(tmp_path: Path) -> None:
    assert [p.url_path for p in nav.registry(tmp_path)] == ["overview", "dossiers", "login"]
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages/alerts.py").write_text("")
    (tmp_path / "pages/thresholds.py").write_text("")
    pages = nav.registry(tmp_path)
    by_role = {r: [p.url_path for p in nav.page_specs_for(r, pages)] for r in nav.ROLES}
    assert by_role == {
        "viewer": ["overview", "dossiers", "alerts", "login"],
        "operator": ["overview", "dossiers", "alerts", "login"],
        "admin": ["overview", "dossiers", "alerts", "thresholds", "login"]}
    assert [p.url_path for p in nav.menu_specs(None, pages)] == ["login"]
    assert [p.url_path for p in nav.menu_specs("intruder", pages)] == by_role["viewer"]


@pytest.mark.parametrize(("value", "role"), [
    (None, "viewer"), ("", None), ("  ", None), (" Viewer ", "viewer"), ("admin", None),
    ("operator", None), ("guest", None)])
def test_anonymous_role_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                             value: str | None, role: str | None) -> None:
    if value is None:
        monkeypatch.delenv("IOC_ANONYMOUS_ROLE", raising=False)
    else:
        monkeypatch.setenv("IOC_ANONYMOUS_ROLE", value)
    assert session.anonymous_role() == role


def test_oidc_role_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IOC_OIDC_ROLE_MAP", raising=False)
    assert session.oidc_role("admin") == "admin"
    assert session.oidc_role(["viewer", "Operator"]) == "operator"  # the highest wins
    assert session.oidc_role(None) == "viewer"
    assert session.oidc_role("root") == "viewer"
    monkeypatch.setenv("IOC_OIDC_ROLE_MAP", "ioc-admins=admin, ioc-ops = operator,bad,x=god")
    assert session.oidc_role(["staff", "ioc-admins"]) == "admin"
    assert session.oidc_role("ioc-ops") == "operator"
    assert session.oidc_role("x") == "viewer"
    monkeypatch.delenv("IOC_AUTH", raising=False)
    assert session.identity_from_oidc() is None  # unused unless IOC_AUTH=oidc
