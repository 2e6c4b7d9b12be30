"""Trình chiếu · Playlists page and the kiosk entry, in AppTest: an operator creates a playlist
(audited, its wall URL shown once), a viewer gets no editor, a wrong key opens nothing, and a
database that cannot be reached shows the reconnecting state, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from ioc import auth
from ioc.auth import Identity
from ioc.wall import store
from ioc.wall.playlists import Item, Playlist
from tests.helpers import open_app_page

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = str(REPO_ROOT / "app.py")
PAGE = "pages/wall.py"
PW = "Correct-Horse-42"
VIEWER, OPERATOR = Identity("leader", "viewer"), Identity("op1", "operator")


@pytest.fixture()
def app_db(app_db: Engine) -> Engine:
    for ident in (VIEWER, OPERATOR):
        auth.create_user(app_db, ident.username, PW, ident.role)
    return app_db


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [str(e.value) for e in at.error]
    parts += [str(w.value) for w in at.warning] + [str(s.value) for s in at.success]
    parts += [str(getattr(h, "proto", "")) for h in at.get("html")]
    return "\n".join(parts)


def test_operator_creates_a_playlist_audited_with_its_url(app_db: Engine) -> None:
    at = open_app_page(APP, PAGE, OPERATOR)
    at.text_input[0].input("tuong-1")
    at.text_input[1].input("Tường chính")
    at.button[0].click().run()  # the form's Save (default item: the Overview, 30 s)
    assert not at.exception
    stored = store.get(app_db, "tuong-1")
    assert stored is not None
    assert stored.playlist.items == (Item("overview", "", "", 30),)
    assert [a["actor"] for a in store.audit(app_db, "tuong-1")] == ["op1"]
    assert "/wall?playlist=tuong-1&amp;key=" in _texts(at) or \
        "/wall?playlist=tuong-1&key=" in _texts(at)


def test_viewer_sees_the_list_but_no_editor(app_db: Engine) -> None:
    store.save(app_db, Playlist("tuong-1", "T", (Item("overview"),), True), OPERATOR)
    at = open_app_page(APP, PAGE, VIEWER)
    assert len(at.dataframe) == 1 and not at.text_input
    assert "Operators and admins sign in to edit" in "\n".join(c.value for c in at.caption)


def _kiosk(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_wrong_key_opens_nothing(app_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOC_ANONYMOUS_ROLE", "")  # sign-in required: only a key opens pages
    store.save(app_db, Playlist("tuong-1", "T", (Item("overview"),), True), OPERATOR)
    at = _kiosk({"playlist": "tuong-1", "key": "guess"})
    assert "Wall key wrong or renewed" in _texts(at)
    assert not any("ioc-board" in m.value for m in at.markdown)


def test_unreachable_database_shows_reconnecting(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setenv("IOC_DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/ioc.db")
    monkeypatch.setenv("IOC_PROVINCE_CODE", "25")
    at = _kiosk({"playlist": "tuong-1", "key": "k"})
    assert "Mất kết nối · reconnecting" in _texts(at)
    assert "Traceback" not in _texts(at)


def _next_url(at: AppTest) -> str | None:
    """The `next` of the newest watchdog config in the run (the iframe's script)."""
    import json
    import re

    found = None
    for el in at.get("iframe"):
        m = re.search(r"var cfg = (\{.*?\});", str(el.proto))
        if m:
            found = json.loads(m.group(1).encode().decode("unicode_escape"))["next"]
    return found


def test_critical_alert_puts_the_alerts_page_before_the_next_item(app_db: Engine) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from ioc.db import schema as s

    pl = Playlist("tuong-1", "T", (Item("overview"), Item("dossiers")), True)
    _, key = store.save(app_db, pl, OPERATOR)
    query = {"playlist": "tuong-1", "key": key, "step": "0"}
    assert (_next_url(_kiosk(query)) or "").startswith("/dossiers?playlist=tuong-1")
    now = datetime.now(UTC).replace(tzinfo=None)
    with app_db.begin() as conn:
        conn.execute(insert(s.alerts).values(
            alert_id="a1", rule_id="r1", rule_version=1, kpi="dossier.overdue",
            scope="province:25", window="now", comparator=">", threshold=0,
            severity="critical", state="firing", is_open=True, value=3, fired_at=now,
            evaluated_at=now))
    nxt = _next_url(_kiosk(query)) or ""
    assert nxt.startswith("/alerts?playlist=tuong-1") and "step=1" in nxt and "alert=1" in nxt
    store.save(app_db, Playlist("tuong-1", "T", pl.items, False), OPERATOR)  # opted out
    assert (_next_url(_kiosk(query)) or "").startswith("/dossiers?")
