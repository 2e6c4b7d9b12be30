"""Feedback page (Phản ánh kiến nghị) through Streamlit's AppTest on a real migrated database,
for each role, plus the pure builders behind it (URL state, ranking movement, report frame).

Reports go in through the aggregator's write path without Kafka (tests.helpers.apply_events:
bulk decode, redact, apply), relative to the real clock because the page reads it. By hand,
with the default 30-day window (W) and its previous 30 days (P):
- A1 hotline, môi trường, Tân Hòa (UBND): received −2 d, closed −1 d before its due (+1 d),
  rated satisfied → received W, closed on time W, satisfied W.
- B1 zalo, giao thông, Hòa Bình (SXD-25): received −3 d, due −1 h, still assigned → open and
  overdue now.
- H1…H5 app, môi trường, Tân Hòa (UBND): received 1–5 h ago within 300 m, open, due +5 d →
  open; five in one H3 cell with no history → a hotspot (limit max(4, 0 + 3·0) = 4 < 5).
- D web, đất đai, Hòa Bình (SNNMT-25): received −40 d, due −38 d, closed −35 d (late), rated
  unsatisfied → received P, closed P (not on time), rated P (not satisfied).
Tiles: received 7 (P 1), closed 1 (P 1), closed on time 1 (P 0), open 6 (P 0: D closed
before W began), overdue 1 (P 0), near-due 0, on-time rate 1/1 = 100 % (P 0/1 = 0 %),
satisfaction 1/1 = 100 % (P 0/1); backlog ≤ 3 working days: 6 (B1 is 3 calendar days old).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import polars as pl
import pytest
import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from ioc.auth import Identity
from ioc.feedback.hotspots import cell_center, cell_of
from ioc.feedback.queries import cell_reports, channel_trend, report_list
from ioc.kpis.windows import resolve
from ioc.reference.admin_units import commune
from ioc.ui.feedback.filters import FeedbackState, scope_of, state_from_params
from ioc.ui.feedback.tables import ranking_frame
from ioc.ui.feedback.view import clicked_cell
from ioc.ui.nav import page_specs_for
from ioc.ui.session import IDENTITY_KEY, LAST_SEEN_KEY, SIGNED_IN_AT_KEY
from streams.chaos.workload import feedback_event, iso
from tests import REPO_ROOT
from tests.helpers import apply_events, markdown_with

APP = str(REPO_ROOT / "app.py")
PAGE = "pages/feedback.py"
WARD_A, WARD_B = "04792", "04795"  # Phường Tân Hòa, Phường Hòa Bình (Phú Thọ, province 25)
PHONE = "0912 345 678"
ROLES = {"viewer": Identity("v", "viewer"), "operator": Identity("op1", "operator"),
         "admin": Identity("boss", "admin")}


def hot_cell() -> str:
    """The H3 cell holding Tân Hòa's centroid: H1…H5 lie within 150 m of its centre."""
    a = commune(WARD_A)
    assert a is not None
    return cell_of(a.lat, a.lon)


def seed(engine: Engine, now: datetime) -> None:
    lat, lon = cell_center(hot_cell())

    def ev(fid: str, seq: int, type_: str, received: timedelta, due: timedelta, **kw):
        return feedback_event(fid, seq, type_, now - received, due_at=iso(now + due),
                              occurred_at=iso(kw.pop("at", now - received)), **kw)

    events = [
        ev("A1", 3, "rated", timedelta(days=2), timedelta(days=1), ward=WARD_A,
           responded_at=iso(now - timedelta(days=1, hours=2)),
           closed_at=iso(now - timedelta(days=1)), rating="satisfied",
           at=now - timedelta(hours=20)),
        ev("B1", 2, "assigned", timedelta(days=3), -timedelta(hours=1), ward=WARD_B,
           channel="zalo", category="giao thông", agency_code="SXD-25"),
        ev("D", 3, "rated", timedelta(days=40), -timedelta(days=38), ward=WARD_B,
           channel="web", category="đất đai", agency_code="SNNMT-25",
           responded_at=iso(now - timedelta(days=36)), closed_at=iso(now - timedelta(days=35)),
           rating="unsatisfied", at=now - timedelta(days=35)),
    ]
    for k in range(1, 6):
        text = "Rác thải ùn ứ tại tổ dân phố 5, bốc mùi." + (f" Gọi {PHONE}." if k == 1 else "")
        events.append(ev(f"H{k}", 1, "received", timedelta(hours=k, minutes=10),
                         timedelta(days=5), ward=WARD_A, channel="app", text=text,
                         lat=round(lat + 0.0003 * k, 6), lon=round(lon - 0.0003 * k, 6)))
    apply_events(engine, events)


@pytest.fixture()
def app_db(monkeypatch: pytest.MonkeyPatch, db_url: str, engine: Engine) -> Engine:
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    monkeypatch.setenv("IOC_PROVINCE_CODE", "25")
    monkeypatch.setenv("IOC_FRESHNESS_SECONDS", "60")
    for name in ("IOC_ANONYMOUS_ROLE", "IOC_AUTH"):
        monkeypatch.delenv(name, raising=False)
    st.cache_data.clear()  # the page caches reads per database URL
    seed(engine, datetime.now(UTC).replace(microsecond=0))
    return engine


def open_page(identity: Identity | None = None, query: dict[str, str] | None = None
              ) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if identity is not None:  # signed in just now (the session timeouts need the times)
        at.session_state[IDENTITY_KEY] = identity
        at.session_state[SIGNED_IN_AT_KEY] = at.session_state[LAST_SEEN_KEY] = time.time()
    at.run()  # app.py → Overview: st.navigation is set up as in a browser session
    assert not at.exception, [e.value for e in at.exception]
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def tiles(at: AppTest) -> dict[str, str]:
    """kpi code → the figure printed on its tile, and 'prev:<code>' → its previous figure."""
    board = markdown_with(at, 'class="ioc-board ioc-dboard ioc-fboard"').replace("\u00a0", " ")
    out = {}
    for chunk in board.split('<div class="ioc-tile ioc-dtile"')[1:]:
        m = re.search(r'data-kpi="([^"]+)".*?<div class="val">(.*?)</div>.*?'
                      r'kỳ trước ([^<]*)</span>', chunk)
        assert m, chunk
        out[m.group(1)] = re.sub(r"<[^>]+>", " ", m.group(2)).replace("  ", " ").strip()
        out[f"prev:{m.group(1)}"] = m.group(3).strip()
    return out


def table(at: AppTest, column: str, last: bool = False) -> pl.DataFrame:
    """The first (or last) table with that column, in page order."""
    found = []
    for df in at.dataframe:
        value = df.value
        value = value.data if hasattr(value, "data") else value  # a Styler
        if column in value.columns:
            found.append(pl.from_pandas(value))
    assert found, f"no table with column {column!r}"
    return found[-1] if last else found[0]


EXPECTED = {
    "feedback.received": "7", "prev:feedback.received": "1",
    "feedback.closed": "1", "prev:feedback.closed": "1",
    "feedback.closed_on_time": "1", "prev:feedback.closed_on_time": "0",
    "feedback.open": "6", "prev:feedback.open": "0",
    "feedback.overdue_open": "1", "prev:feedback.overdue_open": "0",
    "feedback.near_due": "0",
    "feedback.on_time_rate": "100,0 %", "prev:feedback.on_time_rate": "0,0 %",
    "feedback.satisfaction_rate": "100,0 %", "prev:feedback.satisfaction_rate": "0,0 %",
    "feedback.backlog_age_0_3": "6", "feedback.backlog_age_4_7": "0",
    "feedback.backlog_age_8_15": "0", "feedback.backlog_age_over_15": "0",
}


@pytest.mark.parametrize("role", list(ROLES))
def test_every_role_sees_the_exact_tiles_hotspot_and_lists(app_db: Engine, role: str) -> None:
    assert "pages/feedback.py" in [p.path for p in page_specs_for(role)]
    at = open_page(ROLES[role])
    shown = tiles(at)
    assert {k: shown.get(k) for k in EXPECTED} == EXPECTED
    # Who holds the overdue reports: the Department of Construction (B1).
    assert markdown_with(at, "Nhiều phản ánh quá hạn nhất").startswith(
        "**Nhiều phản ánh quá hạn nhất: Sở Xây dựng tỉnh Phú Thọ (1)**")
    held = table(at, "near_due")
    assert held.select("agency_code", "overdue").rows()[0] == ("SXD-25", 1)
    channels = markdown_with(at, 'data-kpi="feedback.by_channel"')
    got = dict(re.findall(r'data-channel="(\w+)".*?<span class="n">(\d+)</span>', channels))
    assert got == {"app": "5", "hotline_1022": "1", "zalo": "1"}
    # The hotspot: Tân Hòa's cell is picked first and labelled, its five reports listed with
    # the phone number masked.
    cell = hot_cell()
    picker = next(s for s in at.selectbox if s.key == "feedback_hot_cell")
    assert picker.value == cell
    assert picker.format_func(cell) == "Phường Tân Hòa · 5 phản ánh · điểm nóng"
    listed = table(at, "text")
    ids = sorted(listed["feedback_id"].to_list())
    assert ids[:5] == ["H1", "H2", "H3", "H4", "H5"]
    assert not any(PHONE in t for t in listed["text"].to_list())
    # The ranking: only UBND Tân Hòa closed reports in the window; it had none before.
    ranked = table(at, "movement")
    assert ranked.select("rank", "agency_code", "on_time_rate_pct", "movement").rows() == [
        (1, f"UBND-{WARD_A}", 100.0, "mới")]
    # The report list holds the seven reports of the window.
    reports = table(at, "age_days", last=True)
    assert sorted(reports["feedback_id"]) == ["A1", "B1", "H1", "H2", "H3", "H4", "H5"]


def test_the_url_drills_down_to_a_commune_and_a_category(app_db: Engine) -> None:
    at = open_page(ROLES["viewer"], {"commune": WARD_B, "window": "30d"})
    shown = tiles(at)
    assert (shown["feedback.received"], shown["prev:feedback.received"]) == ("1", "1")
    assert shown["feedback.overdue_open"] == "1"
    assert markdown_with(at, 'data-scope="1"').count("Hòa Bình") == 1
    at = open_page(ROLES["viewer"], {"category": "môi trường"})
    shown = tiles(at)
    assert (shown["feedback.received"], shown["feedback.open"]) == ("6", "5")
    assert at.query_params["category"] in ("môi trường", ["môi trường"])


def test_queries_behind_the_page(app_db: Engine) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    period = resolve("30d", datetime.now(UTC))
    listed = report_list(app_db, "province:25", period)
    states = dict(zip(listed["feedback_id"], listed["state"], strict=True))
    assert states == {"A1": "closed", "B1": "overdue", **{f"H{k}": "open" for k in range(1, 6)}}
    cell = hot_cell()
    mine = cell_reports(app_db, "province:25", cell, now - timedelta(hours=24), now)
    assert sorted(mine["feedback_id"]) == ["H1", "H2", "H3", "H4", "H5"]
    assert (mine["age_days"] >= 0).all() and (mine["age_days"] < 1).all()
    assert cell_reports(app_db, "province:25", cell, now - timedelta(hours=24), now,
                        category="giao thông").is_empty()
    trend = channel_trend(app_db, "province:25", period)
    assert trend.group_by("channel").agg(pl.col("received").sum()).sort("channel").rows() == [
        ("app", 5), ("hotline_1022", 1), ("zalo", 1)]


def test_state_from_the_url_refuses_what_does_not_fit_a_scope() -> None:
    today = date(2026, 12, 6)
    s = state_from_params({"window": "7d", "commune": WARD_A, "category": "an ninh trật tự",
                           "agency": "x,procedure:1"}, today)
    assert s == FeedbackState("7d", None, None, WARD_A, "", "an ninh trật tự")
    assert scope_of("25", s.commune, s.agency, s.category) == \
        f"province:25,commune:{WARD_A},category:an ninh trật tự"
    assert state_from_params({"window": "bogus", "category": "a:b"}, today) == FeedbackState()


def test_ranking_movement_against_the_previous_period() -> None:
    card = pl.DataFrame({
        "agency_code": ["A", "B", "C", "D"], "closed": [10, 5, 4, 0],
        "overdue": [0, 2, 1, 3], "on_time_rate": [0.9, 1.0, 0.5, None],
        "satisfaction_rate": [0.8, None, 0.5, None],
        "previous_on_time_rate": [1.0, 0.7, None, 0.2]})
    out = ranking_frame(card, {"A": "Cơ quan A"})
    assert out.select("rank", "agency_code", "name", "previous_rank", "movement").rows() == [
        (1, "B", "B", 2, "▲1"), (2, "A", "Cơ quan A", 1, "▼1"), (3, "C", "C", None, "mới")]


def test_choosing_a_commune_then_an_agency_drills_down(app_db: Engine) -> None:
    at = open_page(ROLES["operator"])
    at.selectbox(key="feedback_commune").set_value(WARD_A).run()
    assert not at.exception, [e.value for e in at.exception]
    assert tiles(at)["feedback.received"] == "6"  # A1 and H1…H5
    agency = at.selectbox(key="feedback_agency")
    assert agency.options == ["Tất cả cơ quan", "UBND phường Tân Hòa"]
    agency.set_value(f"UBND-{WARD_A}").run()
    category = at.selectbox(key="feedback_category")
    assert category.options == ["Tất cả lĩnh vực", "môi trường"]
    assert at.query_params["commune"] in (WARD_A, [WARD_A])
    assert at.query_params["agency"] in (f"UBND-{WARD_A}", [f"UBND-{WARD_A}"])
    # The last level: the report list of the commune's agency.
    assert sorted(table(at, "age_days", last=True)["feedback_id"]) == [
        "A1", "H1", "H2", "H3", "H4", "H5"]


def test_the_hotspot_category_filter_and_window(app_db: Engine) -> None:
    at = open_page(ROLES["admin"])
    at.selectbox(key="feedback_hot_category").set_value("giao thông").run()
    assert not at.exception, [e.value for e in at.exception]
    # No giao thông report in the last 24 h with coordinates: no cell, nothing to pick.
    assert "feedback_hot_cell" not in [s.key for s in at.selectbox]
    assert any("Không có điểm nóng" in c.value for c in at.caption)
    at.selectbox(key="feedback_hot_category").set_value("môi trường").run()
    at.segmented_control(key="feedback_hot_window").set_value("6h").run()
    picker = next(s for s in at.selectbox if s.key == "feedback_hot_cell")
    assert picker.format_func(picker.value) == "Phường Tân Hòa · 5 phản ánh · điểm nóng"


def test_a_click_on_a_hexagon_or_its_halo_names_the_cell() -> None:
    def event(objects: dict) -> SimpleNamespace:
        return SimpleNamespace(selection=SimpleNamespace(objects=objects))

    assert clicked_cell(event({"cells": [{"cell": "87415d808ffffff", "count": 3}]})) == \
        "87415d808ffffff"
    assert clicked_cell(event({"hot-halo": [{"cell": "8741432e4ffffff"}]})) == "8741432e4ffffff"
    assert clicked_cell(event({"communes": [{"name": "Xã Cao Sơn"}]})) is None
    assert clicked_cell(event({})) is None and clicked_cell(None) is None
