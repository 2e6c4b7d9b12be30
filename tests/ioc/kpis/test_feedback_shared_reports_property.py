"""Property: reports open at an instant served from a shared read
(ioc.kpis.feedback_values.shared_reports: one read per scope and instant with every breakdown
column) equal the direct read per grouping, for random instants, scopes and groupings; one
Feedback page draw (tiles, both breakdowns, the backlog) computed inside one store equals the
same calls made apart and reads the open reports once per instant (its window's end and the
previous period's). Random report lifecycles of tests.ioc.kpis.test_feedback_times_property;
SQLite, and PostgreSQL when IOC_TEST_DATABASE_URL is set."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from ioc.kpis.feedback_scorecard import REPORT_COLUMNS
from ioc.kpis.feedback_values import (
    BREAKDOWNS,
    backlog_age,
    feedback_breakdown,
    feedback_kpis,
    report_frame,
    shared_reports,
)
from ioc.kpis.windows import Period
from tests.ioc.kpis.test_feedback_times_property import SPAN_DAYS, T0, WARDS, _apply

SCOPES = ("province:25", f"province:25,commune:{WARDS[0]}", f"agency:UBND-{WARDS[1]}",
          "province:25,category:giao thông", "province:99")
BY = st.lists(st.sampled_from([*BREAKDOWNS, "status"]), unique=True, max_size=2)


def _sorted(df: pl.DataFrame) -> pl.DataFrame:
    return df.sort(df.columns)


def test_shared_report_reads_equal_the_direct_read_per_grouping(engine: Engine) -> None:
    _apply(engine)
    seen = {"rows": 0}

    @settings(max_examples=30, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(minutes=st.integers(0, (SPAN_DAYS + 30) * 1440), scope=st.sampled_from(SCOPES),
           bys=st.lists(BY, min_size=1, max_size=4))
    def same(minutes: int, scope: str, bys: list[list[str]]) -> None:
        at = T0 + timedelta(minutes=minutes)
        store: dict = {}
        with shared_reports(store):
            got = [report_frame(engine, scope, at, by) for by in bys]
        for by, df in zip(bys, got, strict=True):
            want = report_frame(engine, scope, at, by)
            assert df.columns == [*REPORT_COLUMNS, *by]
            assert df.schema == want.schema, (by, df.schema, want.schema)
            assert _sorted(df).equals(_sorted(want)), (at, scope, by)
            seen["rows"] += df.height
        # One read with every breakdown column served each grouping of them; "status" is
        # not one of them, so it reads on its own.
        shared = any(set(by) <= set(BREAKDOWNS) for by in bys)
        assert list(store) == ([(engine, scope, at)] if shared else [])

    same()
    assert seen["rows"] > 0  # not vacuous


def test_a_page_draw_inside_one_store_equals_its_calls_apart(engine: Engine) -> None:
    _apply(engine)
    scope = "province:25"
    for days, length in ((20, 1), (45, 7), (70, 30), (SPAN_DAYS + 5, 60)):
        end = T0 + timedelta(days=days, minutes=17)
        period = Period(end - timedelta(days=length), end, "custom")

        def page(period: Period = period, end: datetime = end) -> tuple:
            return (feedback_kpis(engine, scope, period, end),
                    feedback_breakdown(engine, scope, period, "category", end),
                    feedback_breakdown(engine, scope, period, "agency_code", end),
                    backlog_age(engine, scope, end))

        apart = page()
        store: dict = {}
        with shared_reports(store):
            together = page()
        assert together[0] == apart[0], days
        assert any(k.value for k in apart[0] if k.kpi == "feedback.open"), days
        for got, want in zip(together[1:], apart[1:], strict=True):
            assert got.equals(want), days
        # The window's end and the previous period's end: one read each.
        assert {k[2] for k in store} == {end, period.previous().end}, days
