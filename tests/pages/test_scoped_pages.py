"""Scoped accounts on the pages (issue 14 §4), through AppTest on a real migrated database:
a commune-scoped leader sees exactly his commune's figures, a URL or widget pointing at
another commune gets "out of your scope" and no data, rankings keep the published scores of
every commune; an agency-scoped user sees that agency only."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from ioc.auth import Identity, create_user, set_scope
from ioc.auth.scopes import OUT_OF_SCOPE
from ioc.ui.session import IDENTITY_KEY, LAST_SEEN_KEY, SIGNED_IN_AT_KEY
from tests import REPO_ROOT
from tests.helpers import open_app_page
from tests.pages import test_alert_pages as al
from tests.pages import test_feedback_page as fb
from tests.pages import test_overview_apptest as ov
from tests.pages import test_social_page as so
from tests.pages.test_dossiers_page import (
    AGENCY_B,
    WARD_A,
    WARD_B,
    seed,
    table_with,
    tiles,
)

APP = str(REPO_ROOT / "app.py")
PW = "Scoped-Leader-42"


@pytest.fixture()
def app_db(monkeypatch: pytest.MonkeyPatch, db_url: str, engine: Engine) -> Engine:
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    monkeypatch.setenv("IOC_PROVINCE_CODE", "25")
    monkeypatch.setenv("IOC_FRESHNESS_SECONDS", "60")
    st.cache_data.clear()
    seed(engine)
    return engine


def leader(engine: Engine, scope: str, name: str = "chutich") -> Identity:
    """An account limited to `scope`, as app.py re-reads it on every run."""
    create_user(engine, name, PW, "viewer")
    set_scope(engine, name, scope, by="test")
    return Identity(name, "viewer", "local", scope)


def out_of_scope(at: AppTest) -> bool:
    return any(OUT_OF_SCOPE in w.value for w in at.warning)


def dossier_ids(at: AppTest) -> set[str]:
    return {i for df in at.dataframe
            for i in getattr(df.value, "data", df.value).get("dossier_id", [])}


def test_commune_leader_sees_only_his_commune_on_dossiers(app_db: Engine) -> None:
    at = open_app_page(APP, "pages/dossiers.py", leader(app_db, f"commune:{WARD_A}"))
    shown = tiles(at)
    assert shown["dossier.received"] == "80"  # commune A alone (the province has 100)
    assert shown["dossier.overdue"] == "1"
    assert dossier_ids(at) == {"H25.LATE", "H25.OPEN"}  # never B's H25.NEAR / H25.DONE
    assert not out_of_scope(at)
    # The commune ranking keeps the scores the portal publishes for every commune…
    ranks = table_with(at, "movement")
    assert set(ranks["ward_code"]) == {WARD_A, WARD_B}
    # …the agency ranking and the pickers stay inside his commune (no "whole province").
    assert at.selectbox(key="dossiers_commune").options == ["Phường Tân Hòa"]
    assert at.selectbox(key="dossiers_agency").options == ["Tất cả cơ quan",
                                                           "UBND phường Tân Hòa"]


def test_commune_leader_editing_the_url_to_another_commune_gets_nothing(
        app_db: Engine) -> None:
    at = open_app_page(APP, "pages/dossiers.py", leader(app_db, f"commune:{WARD_A}"),
                       query={"commune": WARD_B})
    assert out_of_scope(at)
    assert not [m for m in at.markdown if "ioc-dboard" in m.value]  # no tiles
    assert dossier_ids(at) == set()
    # The widget does the same: back to his commune, then to the other one.
    at.selectbox(key="dossiers_commune").set_value(WARD_A).run()
    assert not out_of_scope(at) and tiles(at)["dossier.received"] == "80"
    # Once away from it, the picker no longer offers the other commune at all.
    assert at.selectbox(key="dossiers_commune").options == ["Phường Tân Hòa"]


def test_agency_scoped_user_sees_that_agency_only(app_db: Engine) -> None:
    at = open_app_page(APP, "pages/dossiers.py", leader(app_db, f"agency:{AGENCY_B}", "syt"))
    assert tiles(at)["dossier.received"] == "20"
    assert dossier_ids(at) == {"H25.NEAR", "H25.DONE"}
    at = open_app_page(APP, "pages/dossiers.py", Identity("syt", "viewer", "local"),
                       query={"agency": "UBND-04792"})
    assert out_of_scope(at) and dossier_ids(at) == set()


def test_unrestricted_account_still_sees_the_province(app_db: Engine) -> None:
    create_user(app_db, "tinh", PW, "viewer")
    at = open_app_page(APP, "pages/dossiers.py", Identity("tinh", "viewer", "local"))
    assert tiles(at)["dossier.received"] == "100"


# --- Feedback ---------------------------------------------------------------------------------

@pytest.fixture()
def feedback_db(monkeypatch: pytest.MonkeyPatch, db_url: str, engine: Engine) -> Engine:
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    monkeypatch.setenv("IOC_PROVINCE_CODE", "25")
    monkeypatch.setenv("IOC_FRESHNESS_SECONDS", "60")
    st.cache_data.clear()
    fb.seed(engine, datetime.now(UTC).replace(microsecond=0))
    return engine


def test_commune_leader_sees_only_his_commune_on_feedback(feedback_db: Engine) -> None:
    at = open_app_page(APP, fb.PAGE, leader(feedback_db, f"commune:{WARD_A}"))
    shown = fb.tiles(at)
    assert shown["feedback.received"] == "6"  # A1 and H1…H5; the province has 7 (B1)
    reports = fb.table(at, "age_days", last=True)
    assert sorted(reports["feedback_id"]) == ["A1", "H1", "H2", "H3", "H4", "H5"]
    assert not out_of_scope(at)


def test_feedback_url_to_another_commune_gets_nothing(feedback_db: Engine) -> None:
    at = open_app_page(APP, fb.PAGE, leader(feedback_db, f"commune:{WARD_A}"),
                       query={"commune": WARD_B, "window": "30d"})
    assert out_of_scope(at)
    assert not [m for m in at.markdown if "ioc-fboard" in m.value]
    assert not [df for df in at.dataframe
                if "feedback_id" in getattr(df.value, "data", df.value)]


# --- Overview ---------------------------------------------------------------------------------

def test_overview_tiles_of_a_commune_leader(monkeypatch: pytest.MonkeyPatch, db_url: str,
                                            engine: Engine) -> None:
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    monkeypatch.setenv("IOC_PROVINCE_CODE", "25")
    monkeypatch.setenv("IOC_FRESHNESS_SECONDS", "60")
    ov.seed(engine, heartbeat_age_s=5)
    at = open_app_page(APP, "pages/overview.py", leader(engine, f"commune:{ov.WARD_B}"))
    shown = ov.tile_values(at)
    assert shown["dossier.received"] == "34"  # the province shows 1.234 (A's 1.200 too)
    assert shown["feedback.received"] == "0"  # all 12 reports are commune A's
    # An agency-scoped account: that agency in both communes.
    at = open_app_page(APP, "pages/overview.py", leader(engine, "agency:UBND", "ubnd"))
    assert ov.tile_values(at)["dossier.received"] == "1.234"


# --- Social -----------------------------------------------------------------------------------

def test_social_page_of_a_commune_leader(monkeypatch: pytest.MonkeyPatch, db_url: str,
                                         engine: Engine) -> None:
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    monkeypatch.setenv("IOC_PROVINCE_CODE", "25")
    st.cache_data.clear()
    so.seed(engine)
    at = open_app_page(APP, so.PAGE, leader(engine, f"commune:{WARD_A}"))
    assert so.tiles(at)["social.posts"][0] == "6"  # Tân Hòa's 6 of the province's 10
    assert so.table_with(at, "ward_name").select("ward_name", "posts").rows() == [
        ("Phường Tân Hòa", 6)]
    assert at.selectbox(key="social_ward").options == ["Phường Tân Hòa"]
    at = open_app_page(APP, so.PAGE, Identity("chutich", "viewer", "local"),
                       query={"commune": WARD_B})
    assert out_of_scope(at) and not [m for m in at.markdown if "ioc-sboard" in m.value]
    # An agency account: posts have no agency, so nothing of them.
    at = open_app_page(APP, so.PAGE, leader(engine, f"agency:{AGENCY_B}", "syt"))
    assert out_of_scope(at) and not at.dataframe


# --- Alerts -----------------------------------------------------------------------------------

def test_alerts_list_and_banner_of_a_commune_leader(monkeypatch: pytest.MonkeyPatch,
                                                    db_url: str, engine: Engine) -> None:
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    monkeypatch.setenv("IOC_PROVINCE_CODE", "25")
    st.cache_data.clear()
    al.seed(engine, al.alert_row(), al.alert_row(
        "ontime-hoabinh-1", scope=f"province:25,commune:{WARD_B}", value=0.5))
    # Unrestricted: both alerts.
    create_user(engine, "tinh", PW, "viewer")
    at = open_app_page(APP, "pages/alerts.py", Identity("tinh", "viewer", "local"))
    assert set(al.table(at, "alert_id")["alert_id"]) == {"ontime-tanhoa-1",
                                                        "ontime-hoabinh-1"}
    at = open_app_page(APP, "pages/alerts.py", leader(engine, f"commune:{WARD_B}"))
    assert al.table(at, "alert_id")["alert_id"].to_list() == ["ontime-hoabinh-1"]
    at.segmented_control(key="alerts_state").set_value("all").run()
    assert al.table(at, "alert_id")["alert_id"].to_list() == ["ontime-hoabinh-1"]
    # The banner on top of every page (run alone: AppTest keeps app.py's fragments apart).
    script = ("from ioc.settings import load_settings\n"
              "from ioc.ui.alerts.banner import render_alert_banner\n"
              "from ioc.ui.components import get_engine\n"
              "render_alert_banner(get_engine(load_settings().database_url))\n")
    at = AppTest.from_string(script, default_timeout=60)
    at.session_state[IDENTITY_KEY] = Identity("chutich", "viewer", "local", f"commune:{WARD_B}")
    at.session_state[SIGNED_IN_AT_KEY] = at.session_state[LAST_SEEN_KEY] = time.time()
    at.run()
    banner = [m.value for m in at.markdown if "ioc-alert-banner" in m.value]
    assert len(banner) == 1 and 'data-count="1"' in banner[0]
    assert "Phường Hòa Bình" in banner[0] and "Phường Tân Hòa" not in banner[0]
