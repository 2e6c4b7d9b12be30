"""Dossiers page (Hồ sơ TTHC) through Streamlit's AppTest on a real migrated database, plus the
pure builders behind it (page state ↔ URL, tiles, change arrows, summaries, rankings).

The app is run as a user would reach the page: app.py first (the Overview, which sets up the
navigation), then a switch to pages/dossiers.py. Rows are written straight into the tables the
aggregator fills; the figures asserted are worked out by hand in the comments."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
import streamlit as st
from sqlalchemy import Engine, insert
from streamlit.testing.v1 import AppTest

from ioc.db import schema as s
from ioc.dossiers.name_store import write_names
from ioc.kpis.p90_store import write_p90
from ioc.kpis.values import KpiValue
from ioc.kpis.windows import Period
from ioc.reference.calendar import TZ
from ioc.ui.dossiers.charts import share_floor
from ioc.ui.dossiers.filters import (
    PageState,
    file_tag,
    params_of,
    scope_of,
    state_from_params,
    state_scope,
)
from ioc.ui.dossiers.tables import daily_grid, deadline_summary, movement_text
from ioc.ui.dossiers.tiles import change_parts, target_text, tile_html, tile_status
from tests import REPO_ROOT
from tests.helpers import insert_dossier_buckets, markdown_with

APP = str(REPO_ROOT / "app.py")
PAGE = "pages/dossiers.py"
WARD_A, WARD_B = "04792", "04795"  # Phường Tân Hòa, Phường Hòa Bình (Phú Thọ, province 25)
AGENCY_A, AGENCY_B = f"UBND-{WARD_A}", f"UBND-{WARD_B}"


@pytest.fixture()
def app_db(monkeypatch: pytest.MonkeyPatch, db_url: str, engine: Engine) -> Engine:
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    monkeypatch.setenv("IOC_PROVINCE_CODE", "25")
    monkeypatch.setenv("IOC_FRESHNESS_SECONDS", "60")
    # The page caches reads per database URL; a PostgreSQL run reuses one URL for every test.
    st.cache_data.clear()
    return engine


def open_page(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()  # app.py → Overview: st.navigation is set up as in a browser session
    assert not at.exception, [e.value for e in at.exception]
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def tiles(at: AppTest) -> dict[str, str]:
    """kpi code → the figure printed on its tile (unit included, tags stripped)."""
    board = markdown_with(at, 'class="ioc-board ioc-dboard"')
    out = {}
    for chunk in board.split('<div class="ioc-tile ioc-dtile"')[1:]:
        m = re.search(r'data-kpi="([^"]+)".*?<div class="val">(.*?)</div>', chunk)
        assert m
        out[m.group(1)] = re.sub(r"<[^>]+>", " ", m.group(2)).replace("  ", " ").strip()
    return out


def tile_chunk(at: AppTest, kpi: str) -> str:
    board = markdown_with(at, 'class="ioc-board ioc-dboard"')
    chunk = next(c for c in board.split('<div class="ioc-tile ioc-dtile"')[1:]
                 if f'data-kpi="{kpi}"' in c)
    return chunk.replace("\u00a0", " ")  # tiles glue figures to their units


def table_with(at: AppTest, column: str, key: str | None = None) -> pl.DataFrame:
    """The first dataframe on the page that has `column` (as the underlying values)."""
    for df in at.dataframe:
        value = df.value
        value = getattr(value, "data", value)  # a pandas Styler keeps its frame in .data
        if column in value.columns:
            return pl.from_pandas(value)
    raise AssertionError(f"no table with column {column!r}")


def utc_naive() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _buckets(*rows: dict) -> list[dict]:
    return [{**dict.fromkeys(s.DOSSIER_COUNTERS, 0), **r} for r in rows]


def _dossier(dossier_id: str, ward: str, agency: str, agency_name: str, procedure: str,
             procedure_name: str, received: datetime, due: datetime, **kw: object) -> dict:
    row = dict(dossier_id=dossier_id, seq=1, status="in_progress", province_code="25",
               ward_code=ward, agency_code=agency, agency_name=agency_name,
               procedure_code=procedure, procedure_name=procedure_name, sector="Hộ tịch",
               level="commune", channel="online", received_at=received, due_at=due,
               is_open=True, completed_at=None, closed_at=None, proc_minutes=None)
    row.update(kw)
    return row


def seed(engine: Engine) -> datetime:
    """Commune A: 80 received (60 online), 50 completed, 45 on time; commune B: 20 received in
    person, 10 completed on time. Open now: one overdue (A), one near due (B), one not yet due
    (A). The previous 30 days: 50 received and 40 completed in A, 30 on time, none open."""
    now = utc_naive()
    hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    before = hour - timedelta(days=40)  # inside the previous equal period of "30 ngày"
    a = dict(province_code="25", ward_code=WARD_A, agency_code=AGENCY_A,
             procedure_code="1.001193", sector="Hộ tịch", channel="online", level="commune")
    b = dict(province_code="25", ward_code=WARD_B, agency_code=AGENCY_B,
             procedure_code="2.000908", sector="Chứng thực", channel="in_person",
             level="commune")
    with engine.begin() as conn:
        insert_dossier_buckets(conn, _buckets(
            dict(hour=hour, **a, received=80, received_online=60, received_eligible=80,
                 received_online_eligible=60, received_digitized=72, fee_bearing=10,
                 paid_online=5, completed=50, completed_on_time=45, completed_e_result=40,
                 rated=20, rated_satisfied=18, proc_minutes_sum=50 * 480),
            dict(hour=hour, **b, received=20, received_eligible=20, received_digitized=20,
                 completed=10, completed_on_time=10, completed_e_result=10,
                 proc_minutes_sum=10 * 480),
            dict(hour=before, **a, received=50, received_eligible=50, completed=40,
                 completed_on_time=30),
        ))
        dossiers = [
            _dossier("H25.LATE", WARD_A, AGENCY_A, "UBND phường Tân Hòa", "1.001193",
                     "Đăng ký khai sinh", now - timedelta(days=10), now - timedelta(days=2)),
            _dossier("H25.NEAR", WARD_B, AGENCY_B, "UBND phường Hòa Bình", "2.000908",
                     "Chứng thực bản sao từ bản chính", now - timedelta(days=1),
                     now + timedelta(hours=1), sector="Chứng thực", channel="in_person"),
            _dossier("H25.OPEN", WARD_A, AGENCY_A, "UBND phường Tân Hòa", "1.001193",
                     "Đăng ký khai sinh", now - timedelta(days=1), now + timedelta(days=40)),
            _dossier("H25.DONE", WARD_B, AGENCY_B, "UBND phường Hòa Bình", "2.000908",
                     "Chứng thực bản sao từ bản chính", now - timedelta(days=4),
                     now - timedelta(days=2), status="completed", is_open=False,
                     completed_at=now - timedelta(days=3), closed_at=now - timedelta(days=3),
                     proc_minutes=960, sector="Chứng thực", channel="in_person"),
        ]
        conn.execute(insert(s.dossiers), dossiers)
        # The names the aggregator keeps with the dossiers it writes (ioc.dossiers.names).
        write_names(conn, pl.DataFrame(dossiers), pl.DataFrame())
        # ... and its processing-time histogram (ioc.kpis.p90_store).
        write_p90(conn, pl.DataFrame(dossiers), pl.DataFrame())
    return now


# --- the page, end to end ----------------------------------------------------------------------

def test_empty_database_shows_the_empty_state(app_db: Engine) -> None:
    at = open_page()
    assert any("Chưa có hồ sơ trong phạm vi" in i.value for i in at.info)
    assert not [m for m in at.markdown if "ioc-dboard" in m.value]
    assert "Hồ sơ TTHC · Tỉnh Phú Thọ" in markdown_with(at, "ioc-title")
    # The drill-down bar is still there, so the user can pick another scope.
    assert at.selectbox(key="dossiers_commune").value == ""


def test_province_tiles_show_the_seeded_figures(app_db: Engine) -> None:
    seed(app_db)
    at = open_page()
    shown = tiles(at)
    assert shown["dossier.received"] == "100"
    assert shown["dossier.completed"] == "60"
    assert shown["dossier.in_progress"] == "3"
    assert shown["dossier.overdue"] == "1"
    assert shown["dossier.near_due"] == "1"
    # (55 completed on time + 3 open − 1 overdue) / (60 completed + 3 open) = 57/63
    assert shown["dossier.on_time_rate"] == "90,5 %"
    assert shown["dossier.online_eligible_rate"] == "60,0 %"  # 60 / 100
    assert shown["dossier.processing_days_p90"] == "2,0 ngày"  # the one completion: 960 min
    # 766: progress 20 × 57/63 = 18,10; online 12 × 0,6 = 7,2; payment 10 × 5/10 = 5;
    # digitisation 11 × 92/100 + 11 × 50/60 = 19,29; satisfaction 18 × min(1, 0,9/0,9) = 18
    assert shown["dossier.score_progress"] == "18,1 / 20"
    assert shown["dossier.score_satisfaction"] == "18,0 / 18"
    assert shown["dossier.score_total"] == "67,6 / 82"
    # Previous period: 30 on time of 40 completed = 75,0 % → ▲ 15,5 points, good.
    on_time = tile_chunk(at, "dossier.on_time_rate")
    assert 'data-change="good"' in on_time and "▲ 15,5 điểm %" in on_time
    assert "kỳ trước 75,0 %" in on_time and "57 / 63" in on_time
    assert "mục tiêu ≥ 95 %" in on_time and 'data-status="warn"' in on_time
    received = tile_chunk(at, "dossier.received")
    assert "▲ 50" in received and "kỳ trước 50" in received
    assert 'data-status="bad"' in tile_chunk(at, "dossier.overdue")
    scope = markdown_with(at, "ioc-scope")
    assert "Tỉnh Phú Thọ" in scope and "30 ngày" in scope and "kỳ trước" in scope


def test_overdue_list_names_the_agency_procedure_and_commune(app_db: Engine) -> None:
    seed(app_db)
    at = open_page()
    listed = table_with(at, "late_days")
    assert listed["dossier_id"].to_list() == ["H25.LATE", "H25.NEAR"]  # most late first
    late = listed.row(0, named=True)
    assert late["state"] == "Quá hạn"
    assert late["agency_name"] == "UBND phường Tân Hòa"
    assert late["procedure_name"] == "Đăng ký khai sinh"
    assert late["ward_name"] == "Phường Tân Hòa"
    assert listed.row(1, named=True)["state"] == "Sắp đến hạn"
    by_agency = table_with(at, "agency_name").filter(pl.col("agency_code").is_not_null())
    assert by_agency.select("agency_code", "overdue", "near_due").rows() == [
        (AGENCY_A, 1, 0), (AGENCY_B, 0, 1)]
    by_procedure = table_with(at, "procedure_name")
    assert ("1.001193", 1, 0) in by_procedure.select("procedure_code", "overdue",
                                                     "near_due").rows()


def test_drilling_into_a_commune_changes_the_figures_and_the_url(app_db: Engine) -> None:
    seed(app_db)
    at = open_page()
    assert tiles(at)["dossier.received"] == "100"
    at.selectbox(key="dossiers_commune").set_value(WARD_B).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = tiles(at)
    assert shown["dossier.received"] == "20"
    assert shown["dossier.overdue"] == "0"
    assert shown["dossier.on_time_rate"] == "100,0 %"  # (10 + 1 open − 0) / (10 + 1)
    assert "Phường Hòa Bình" in markdown_with(at, "ioc-scope")
    assert at.query_params["commune"] == WARD_B
    # Agencies offered are only those with data in the commune.
    assert at.selectbox(key="dossiers_agency").options == ["Tất cả cơ quan",
                                                           "UBND phường Hòa Bình"]
    listed = table_with(at, "late_days")
    assert listed["dossier_id"].to_list() == ["H25.NEAR"]


def test_a_shared_url_opens_the_same_scope_and_window(app_db: Engine) -> None:
    seed(app_db)
    at = open_page({"window": "7d", "commune": WARD_A, "agency": AGENCY_A})
    assert at.segmented_control(key="dossiers_window").value == "7d"
    assert at.selectbox(key="dossiers_commune").value == WARD_A
    shown = tiles(at)
    assert shown["dossier.received"] == "80"
    assert shown["dossier.overdue"] == "1"
    scope = markdown_with(at, "ioc-scope")
    assert "Phường Tân Hòa" in scope and "UBND phường Tân Hòa" in scope and "7 ngày" in scope
    # Communes are ranked under the same agency filter (only A has that agency), agencies
    # within the chosen commune.
    rankings = [t for t in at.dataframe if "movement" in getattr(t.value, "data", t.value)]
    assert [list(getattr(t.value, "data", t.value).iloc[:, 1]) for t in rankings] == [
        [WARD_A], [AGENCY_A]]


def test_custom_window_takes_two_dates(app_db: Engine) -> None:
    seed(app_db)
    today = datetime.now(TZ).date()  # custom ranges are local days
    first = (today - timedelta(days=3)).isoformat()
    at = open_page({"window": "custom", "from": first, "to": today.isoformat()})
    assert len(at.date_input) == 2
    assert at.date_input(key="dossiers_from").value == today - timedelta(days=3)
    assert tiles(at)["dossier.received"] == "100"


def test_rankings_breakdowns_trend_and_list_have_exports(app_db: Engine) -> None:
    seed(app_db)
    at = open_page()
    ranks = table_with(at, "movement")
    # A: 17,69 + 9 + 5 + 18,7 + 18 = 68,39 and first in the previous period too;
    # B: 20 + 0 + 0 + 22 + 0 = 42 and not ranked before.
    assert ranks.select("rank", "ward_code", "score_total", "movement").rows() == [
        (1, WARD_A, 68.39, "–"), (2, WARD_B, 42.0, "mới")]
    listed = table_with(at, "rating")
    assert set(listed["dossier_id"]) == {"H25.LATE", "H25.NEAR", "H25.OPEN", "H25.DONE"}
    assert set(listed["status"]) == {"Đang giải quyết", "Đã giải quyết"}
    sectors = table_with(at, "online_eligible_rate_pct")
    assert sectors["name"].to_list()[0] == "Hộ tịch"
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("⬇ Tải CSV") == labels.count("⬇ Tải Excel") >= 9
    assert len(at.get("deck_gl_json_chart")) == 1
    assert any("Công thức" in e.label for e in at.expander)
    formulas = markdown_with(at, 'class="ioc-formulas"')
    on_time = re.search(r'<tr data-code="dossier.on_time_rate">(.*?)</tr>', formulas)
    assert on_time and "Tỷ lệ đúng hạn" in on_time.group(1) and "≥ 95 %" in on_time.group(1)


def test_database_without_schema_shows_a_message_not_a_traceback(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IOC_DATABASE_URL", f"sqlite:///{tmp_path / 'unmigrated.db'}")
    st.cache_data.clear()
    at = open_page()
    assert any("Không đọc được cơ sở dữ liệu" in e.value for e in at.error)


# --- pure builders -------------------------------------------------------------------------------

def test_page_state_round_trips_through_the_url() -> None:
    today = date(2026, 11, 21)
    state = PageState("custom", date(2026, 11, 1), date(2026, 11, 20), WARD_A, AGENCY_A,
                         "1.001193")
    params = params_of(state)
    assert params == {"window": "custom", "from": "2026-11-01", "to": "2026-11-20",
                      "commune": WARD_A, "agency": AGENCY_A, "procedure": "1.001193"}
    assert state_from_params(params, today) == state
    assert params_of(PageState()) == {"window": "30d"}
    assert file_tag(state) == f"custom-2026-11-01-2026-11-20-{WARD_A}-{AGENCY_A}-1.001193"


def test_bad_url_values_fall_back_to_defaults() -> None:
    today = date(2026, 11, 21)
    state = state_from_params({"window": "decade", "commune": "a,b:c",
                                  "agency": "x" * 65}, today)
    assert state == PageState()
    # A custom window with a reversed or unreadable range opens the last 30 days.
    for bad in ({"from": "20/11/2026", "to": "01/11/2026"}, {"from": "hôm qua"}):
        st_ = state_from_params({"window": "custom", **bad}, today)
        assert (st_.first, st_.last) == (date(2026, 10, 23), today)
    ok = state_from_params({"window": "custom", "from": "01/11/2026", "to": "2026-11-05"},
                              today)
    assert (ok.first, ok.last) == (date(2026, 11, 1), date(2026, 11, 5))


def test_scope_strings_follow_the_drill_down() -> None:
    assert scope_of("25") == "province:25"
    assert scope_of("25", WARD_A, "", "1.001") == f"province:25,commune:{WARD_A},procedure:1.001"
    state = PageState(commune=WARD_A, agency=AGENCY_A)
    assert state_scope("25", state, "commune") == f"province:25,agency:{AGENCY_A}"
    assert state_scope("25", state, "agency") == f"province:25,commune:{WARD_A}"


def _kv(code: str, value: float | None, previous: float | None, unit: str,
        target: float | None = None) -> KpiValue:
    change = None if value is None or previous is None else value - previous
    return KpiValue(code, "province:25", "30d", value, unit=unit, previous=previous,
                    change=change, target=target)


def test_change_arrows_follow_the_good_direction() -> None:
    assert change_parts(_kv("dossier.on_time_rate", 0.905, 0.75, "ratio")) == (
        "▲ 15,5 điểm %", "good")
    assert change_parts(_kv("dossier.overdue", 12, 7, "count")) == ("▲ 5", "bad")
    assert change_parts(_kv("dossier.processing_days_mean", 2.5, 3.0, "days")) == (
        "▼ 0,5 ngày", "good")
    # The difference of the printed figures: 67,76 and 67,78 both print 67,8 → flat.
    assert change_parts(_kv("dossier.score_total", 67.76, 67.78, "points")) == ("– 0",
                                                                                    "flat")
    assert change_parts(_kv("dossier.score_total", 67.76, 67.66, "points")) == (
        "▲ 0,1 điểm", "good")
    assert change_parts(_kv("dossier.satisfaction_rate", 0.8, None, "ratio")) == ("",
                                                                                      "none")


def test_tile_status_against_targets() -> None:
    assert tile_status(_kv("dossier.on_time_rate", 0.96, None, "ratio", 0.95)) == "good"
    assert tile_status(_kv("dossier.on_time_rate", 0.90, None, "ratio", 0.95)) == "warn"
    assert tile_status(_kv("dossier.on_time_rate", 0.80, None, "ratio", 0.95)) == "bad"
    assert tile_status(_kv("dossier.overdue", 0, None, "count")) == "good"
    assert tile_status(_kv("dossier.near_due", 3, None, "count")) == "warn"
    assert tile_status(_kv("dossier.received", 3, None, "count")) == "neutral"
    assert tile_status(_kv("dossier.score_total", 70, None, "points", 60)) == "good"
    assert target_text(0.95, "ratio", True) == "≥ 95 %"
    assert target_text(0.955, "ratio", True) == "≥ 95,5 %"
    assert target_text(3, "days", False) == "≤ 3 ngày"


def test_points_tile_shows_the_maximum_and_a_bar() -> None:
    kv = _kv("dossier.score_progress", 18.1, 15.0, "points")
    html = tile_html(kv)
    assert '<div class="val">18,1<span class="unit">/ 20</span></div>' in html
    assert 'style="width:90%"' in html
    assert "20 × on-time rate" in html  # the formula as the tile's tooltip


def test_deadline_summary_counts_per_agency() -> None:
    dl = pl.DataFrame({
        "agency_code": ["A", "A", "B", "C"], "agency_name": ["Sở A", "Sở A", "Sở B", None],
        "state": ["overdue", "near_due", "overdue", "near_due"],
        "late_days": [3.5, -0.2, 1.0, -0.5]})
    out = deadline_summary(dl, "agency")
    assert out.rows() == [("A", "Sở A", 1, 1, 2, 3.5), ("B", "Sở B", 1, 0, 1, 1.0),
                          ("C", "C", 0, 1, 1, None)]
    empty = deadline_summary(dl.clear(), "agency")
    assert empty.is_empty() and "overdue" in empty.columns


def test_movement_text() -> None:
    assert [movement_text(m, p) for m, p in [(3, 5), (-2, 1), (0, 4), (None, None)]] == [
        "▲3", "▼2", "–", "mới"]


def test_daily_grid_fills_missing_days_and_shares() -> None:
    period = Period(datetime(2026, 11, 9, 17), datetime(2026, 11, 12, 17), "custom")  # 10–12/11
    daily = pl.DataFrame({"day": [date(2026, 11, 11)], "received": [5], "completed": [4],
                          "completed_on_time": [3], "received_online": [2]})
    grid = daily_grid(daily, period, now=datetime(2026, 11, 20, tzinfo=UTC))
    assert grid["day"].to_list() == [date(2026, 11, 10), date(2026, 11, 11),
                                     date(2026, 11, 12)]
    assert grid["received"].to_list() == [0, 5, 0]
    assert grid["on_time_share_pct"].to_list() == [None, 75.0, None]
    assert share_floor([96.0, 91.0], 0.95) == 80.0
    assert share_floor([62.0], 0.95) == 60.0
