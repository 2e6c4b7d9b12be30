"""Overview page through Streamlit's AppTest (the whole app.py: navigation, page, fragments)
on a real migrated database: empty, populated, fresh and stale aggregator heartbeats, and a
database without schema. Rows are written straight into the tables the aggregator fills."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine, insert
from streamlit.testing.v1 import AppTest

from ioc.db import schema as s
from tests import REPO_ROOT
from tests.helpers import insert_dossier_buckets, markdown_with

APP = str(REPO_ROOT / "app.py")
WARD_A, WARD_B = "04792", "04795"  # two communes of Phú Thọ (province 25)


@pytest.fixture()
def app_db(monkeypatch: pytest.MonkeyPatch, db_url: str, engine: Engine) -> Engine:
    """The migrated test database, and the environment that points the app at it."""
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    monkeypatch.setenv("IOC_PROVINCE_CODE", "25")
    monkeypatch.setenv("IOC_FRESHNESS_SECONDS", "60")
    return engine


def run_app() -> AppTest:
    # The Overview's data is cached per committed batch and the batch key for a second, for
    # every session of the process; a previous test's page (same PostgreSQL URL) can refill
    # them between the fixture's clear and this test's seed, so clear after seeding.
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def tile_values(at: AppTest) -> dict[str, str]:
    """kpi code → value shown on its tile."""
    out = {}
    for chunk in markdown_with(at, 'class="ioc-board"').split('<div class="ioc-tile')[1:]:
        m = re.search(r'data-kpi="([^"]+)".*?<div class="val">([^<]*)</div>', chunk)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def utc_naive() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _rows(counters: tuple[str, ...], *rows: dict) -> list[dict]:
    # executemany needs the same keys in every row: unnamed counters are zero.
    return [{**dict.fromkeys(counters, 0), **r} for r in rows]


def seed(engine: Engine, heartbeat_age_s: float) -> None:
    now = utc_naive()
    hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    old = hour - timedelta(days=3)  # inside 7 d, outside 24 h
    dossier_dims = dict(province_code="25", agency_code="UBND", procedure_code="1.001",
                        sector="Hộ tịch", channel="online", level="commune")
    with engine.begin() as conn:
        insert_dossier_buckets(conn, _rows(
            s.DOSSIER_COUNTERS,
            dict(hour=hour, ward_code=WARD_A, received=1200, received_online=1000,
                 completed=800, completed_on_time=700, **dossier_dims),
            dict(hour=hour, ward_code=WARD_B, received=34, received_online=10, completed=10,
                 completed_on_time=10, **dossier_dims),
            dict(hour=old, ward_code=WARD_B, received=100, **dossier_dims),
        ))
        conn.execute(insert(s.dossiers), [
            dict(dossier_id=f"D{i}", seq=1, status=status, province_code="25",
                 ward_code=WARD_A, received_at=now - timedelta(days=5),
                 due_at=now + timedelta(days=due), is_open=is_open,
                 completed_at=None if is_open else now - timedelta(days=4),
                 closed_at=None if is_open else now - timedelta(days=4))
            for i, (status, due, is_open) in enumerate([
                ("in_progress", -1, True), ("in_progress", -2, True),  # overdue
                ("in_progress", 2, True),  # open, not yet due
                ("completed", -3, False),
            ])
        ])
        fb_dims = dict(province_code="25", ward_code=WARD_A, category="môi trường",
                       agency_code="UBND")
        conn.execute(insert(s.feedback_buckets), _rows(
            s.FEEDBACK_COUNTERS,
            dict(hour=hour, channel="hotline_1022", received=7, **fb_dims),
            dict(hour=hour, channel="zalo", received=5, **fb_dims),
        ))
        conn.execute(insert(s.feedback), [
            # A closed report carries its close time (the aggregator always sets it).
            dict(feedback_id=f"F{i}", seq=1, status="assigned" if is_open else "closed",
                 province_code="25", ward_code=WARD_A, channel="zalo",
                 received_at=now - timedelta(days=4), due_at=now + timedelta(days=due),
                 is_open=is_open, closed_at=None if is_open else now - timedelta(days=1))
            for i, (due, is_open) in enumerate([(-1, True), (1, True), (2, True), (2, True),
                                                (-1, False)])
        ])
        conn.execute(insert(s.social_buckets), _rows(
            s.SOCIAL_COUNTERS,
            dict(hour=hour, province_code="25", ward_code=WARD_B, platform="news", topic="",
                 posts=40, negative=10),
        ))
        beat = now - timedelta(seconds=heartbeat_age_s)
        conn.execute(insert(s.aggregator_batches), [
            dict(instance="agg-1", consumer_group="ioc-aggregator", committed_at=beat,
                 heartbeat_at=beat, events_total=1500, last_batch_events=20, lag=3),
        ])


def test_empty_database_shows_the_empty_state(app_db: Engine) -> None:
    at = run_app()
    assert any("Chưa có dữ liệu" in i.value for i in at.info)
    assert not [m for m in at.markdown if 'class="ioc-board"' in m.value]
    badge = markdown_with(at, "data-freshness")
    assert 'data-freshness="stale"' in badge
    assert "chưa có bộ tổng hợp nào báo cáo" in badge
    assert any("Chưa có dữ liệu trong 48 giờ qua" in c.value for c in at.caption)
    assert "Tổng quan · Tỉnh Phú Thọ" in markdown_with(at, "ioc-title")


def test_tiles_show_the_database_figures(app_db: Engine) -> None:
    seed(app_db, heartbeat_age_s=5)
    at = run_app()
    assert not at.info  # no empty state
    assert tile_values(at) == {
        "dossier.received": "1.234",
        "dossier.completed": "810",
        # (700 + 10 on time + 1 open not yet due) / (810 completed + 3 open)
        "dossier.on_time_rate": "87,5 %",
        "dossier.overdue": "2",
        "dossier.online_rate": "81,8 %",  # 1010 / 1234
        "feedback.received": "12",
        "feedback.open": "4",
        "feedback.overdue_open": "1",
        "social.posts": "40",
        "social.negative_share": "25,0 %",
    }
    board = markdown_with(at, 'class="ioc-board"')
    assert re.findall(r'data-channel="([^"]+)">.*?class="n">([^<]+)<', board) == [
        ("hotline_1022", "7"), ("zalo", "5")]
    assert "711 / 813" in board
    # The map legend spans the communes' values in the window.
    legend = markdown_with(at, "data-legend")
    assert ">34<" in legend and ">1.200<" in legend
    assert len(at.get("deck_gl_json_chart")) == 1


def test_window_selector_changes_the_window(app_db: Engine) -> None:
    seed(app_db, heartbeat_age_s=5)
    at = run_app()
    at.segmented_control(key="overview_window").set_value("7d").run()
    assert not at.exception
    values = tile_values(at)
    assert values["dossier.received"] == "1.334"  # + the bucket of 3 days ago
    assert values["dossier.online_rate"] == "75,7 %"  # 1010 / 1334
    assert "7 ngày qua" in markdown_with(at, 'class="ioc-board"')


def test_freshness_badge_is_green_with_a_fresh_heartbeat(app_db: Engine) -> None:
    seed(app_db, heartbeat_age_s=5)
    badge = markdown_with(run_app(), "data-freshness")
    assert 'data-freshness="live"' in badge
    assert "ioc-badge live" in badge and "Dữ liệu trực tiếp" in badge
    assert "độ trễ 3 bản ghi" in badge


def test_freshness_badge_is_red_with_an_old_heartbeat(app_db: Engine) -> None:
    seed(app_db, heartbeat_age_s=3600)
    at = run_app()
    badge = markdown_with(at, "data-freshness")
    assert 'data-freshness="stale"' in badge
    assert "ioc-badge stale" in badge and "Dữ liệu chậm/không cập nhật" in badge
    assert re.search(r"cập nhật 3\.6\d\d giây \(1 giờ\) trước", badge)
    assert tile_values(at)["dossier.received"] == "1.234"  # old data is still shown


def test_database_without_schema_shows_a_message_not_a_traceback(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IOC_DATABASE_URL", f"sqlite:///{tmp_path / 'unmigrated.db'}")
    at = run_app()
    assert any("Không đọc được cơ sở dữ liệu" in e.value for e in at.error)
