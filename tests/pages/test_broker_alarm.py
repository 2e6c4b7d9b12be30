"""Every page says when the broker is down: app.py draws the red broker badge with its cause
in the banner's fragment, above any page (the Overview adds its own freshness badge, so it
shows two; a page without one, such as Alerts, still shows the app's)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from ioc.db import broker_health
from tests import REPO_ROOT

APP = str(REPO_ROOT / "app.py")


@pytest.fixture()
def app_db(monkeypatch: pytest.MonkeyPatch, db_url: str, engine: Engine) -> Engine:
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    return engine


def broker_badges() -> list[str]:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return [m.value for m in at.markdown if 'data-broker="' in m.value]


def test_a_broker_down_is_said_by_the_app_as_well_as_by_the_page(app_db: Engine):
    broker_health.mark(app_db, "down", "process exited with -9", "c1")
    badges = broker_badges()
    assert len(badges) == 2  # the app's, above every page, and the Overview's own
    assert all('data-broker="down"' in b and "process exited with -9" in b for b in badges)


def test_nothing_is_shown_while_the_broker_is_up(app_db: Engine):
    broker_health.mark(app_db, "up", cluster_id="c1")
    assert broker_badges() == []
