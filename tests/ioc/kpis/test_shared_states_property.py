"""Property: state counts served from a shared read (ioc.kpis.values.shared_states: one read
per scope and instant at STATE_GRAIN, summed per grouping asked) equal the direct read per
grouping, for random instants, scopes and groupings; one Dossiers page draw (KPIs, both
rankings, the sector breakdown) computed inside one shared store equals the same calls made
apart, and reads the state once per instant. The open bound (ioc.kpis.open_bound) raised by
a commit between its read and the counts does not lose the dossier that raised it. Runs on
SQLite, and on PostgreSQL when IOC_TEST_DATABASE_URL is set."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, event, select

from ioc.db import schema as s
from ioc.dossiers.queries import breakdown, rankings
from ioc.kpis.scorecard import STATE_COUNTS, state_counts
from ioc.kpis.values import (
    STATE_GRAIN,
    _open_frame,
    dossier_kpis,
    near_due_limit,
    shared_states,
    state_frame,
    utc_naive,
)
from ioc.kpis.windows import WINDOW_NAMES, Period, resolve
from streams.chaos.workload import dossier_event, iso
from tests.helpers import apply_events
from tests.ioc.dossiers.test_dossier_windows_property import NOW, apply_shuffled_lifecycles

SCOPES = ("province:25", "province:25,commune:04792", "province:25,agency:SYT-25",
          "agency:SYT-25", "province:99")
BY = st.lists(st.sampled_from([*STATE_GRAIN, "channel"]), unique=True, max_size=3)


def _sorted(df: pl.DataFrame) -> pl.DataFrame:
    return df.sort(df.columns)


def test_shared_state_reads_equal_the_direct_read_per_grouping(engine: Engine) -> None:
    apply_shuffled_lifecycles(engine, 300, seed=5, batch=250)
    now = utc_naive(NOW)
    seen = {"rows": 0}

    @settings(max_examples=30, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(back=st.integers(0, 80 * 24 * 60), scope=st.sampled_from(SCOPES),
           bys=st.lists(BY, min_size=1, max_size=4))
    def same(back: int, scope: str, bys: list[list[str]]) -> None:
        at = now - timedelta(minutes=back)
        near = near_due_limit(at)
        store: dict = {}
        with shared_states(store):
            got = [state_frame(engine, scope, at, near, by) for by in bys]
        for by, df in zip(bys, got, strict=True):
            want = state_frame(engine, scope, at, near, by)
            assert df.schema == want.schema, (by, df.schema, want.schema)
            assert _sorted(df).equals(_sorted(want)), (at, scope, by)
            brute = state_counts(_open_frame(engine, scope, at), at, near, by)
            assert _sorted(df).equals(_sorted(brute.select(df.columns).cast(df.schema))), \
                (at, scope, by)
            seen["rows"] += df.height
        # One read at STATE_GRAIN served every grouping inside it; others read on their own.
        shared = any(set(by) <= set(STATE_GRAIN) for by in bys)
        assert list(store) == ([(engine, scope, at, near)] if shared else [])

    same()
    assert seen["rows"] > 0
    total = state_frame(engine, "province:25", now, near_due_limit(now), [])
    assert all(total[c][0] > 0 for c in STATE_COUNTS), total  # not vacuous


def test_a_page_draw_inside_one_store_equals_its_calls_apart(engine: Engine) -> None:
    apply_shuffled_lifecycles(engine, 250, seed=9, batch=200)
    scope = "province:25"
    for i, window in enumerate(WINDOW_NAMES):
        if window == "custom":
            continue
        now = utc_naive(NOW) - timedelta(days=3 * i, minutes=37 * i)
        period = resolve(window, now)

        def page(period: Period, now: datetime) -> tuple:
            return (dossier_kpis(engine, scope, period, now),
                    rankings(engine, scope, period, "ward_code", now),
                    rankings(engine, scope, period, "agency_code", now),
                    breakdown(engine, scope, period, "sector", now),
                    breakdown(engine, scope, period, "channel", now))

        apart = page(period, now)
        store: dict = {}
        with shared_states(store):
            together = page(period, now)
        assert together[0] == apart[0], window
        for got, want in zip(together[1:], apart[1:], strict=True):
            assert got.equals(want), window
        # The window's end and the previous period's end: one read each.
        at = min(period.end, now)
        assert {k[2] for k in store} == {at, min(period.previous().end, now)}, window


def test_a_bound_raised_between_its_read_and_the_counts_is_read_again(engine: Engine) -> None:
    apply_shuffled_lifecycles(engine, 200, seed=4, batch=200)
    b = s.dossier_open_bound
    with engine.connect() as conn:
        bound = conn.execute(select(b.c.max_open_s).where(b.c.province_code == "25")).scalar()
    assert bound is not None
    at = utc_naive(NOW) - timedelta(seconds=bound) - timedelta(days=5)
    near = near_due_limit(at)
    # Open at `at`, closed after `at` + the stored bound: its commit raises the bound.
    received = at - timedelta(hours=1)
    closed = at + timedelta(seconds=bound, days=2)
    late = [dossier_event("RACE-1", 1, "received", received),
            {**dossier_event("RACE-1", 2, "completed", received, completed_at=closed),
             "occurred_at": iso(closed)}]
    before = state_frame(engine, "province:25", at, near, [])
    written = []

    def commit_after_the_bound_read(conn: object, cursor: object, statement: str,
                                    *_: object) -> None:
        if "dossier_open_bound" in statement and not written:
            written.append(True)  # the aggregator commits between the bound and the counts
            apply_events(engine, late)

    event.listen(engine, "after_cursor_execute", commit_after_the_bound_read)
    try:
        got = state_frame(engine, "province:25", at, near, [])
    finally:
        event.remove(engine, "after_cursor_execute", commit_after_the_bound_read)
    assert written
    with engine.connect() as conn:
        assert conn.execute(select(b.c.max_open_s)).scalar() > bound
    want = state_counts(_open_frame(engine, "province:25", at), at, near, [])
    assert got.equals(want.select(got.columns).cast(got.schema)), (got, want)
    assert got["in_progress"][0] == before["in_progress"][0] + 1
