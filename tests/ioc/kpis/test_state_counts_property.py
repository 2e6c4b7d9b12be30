"""Property: the state counts the database sums per group (ioc.kpis.values.state_frame: in
progress, paused, overdue, near due at an instant) equal state_at's rules applied in Polars to
the dossiers open at that instant (ioc.kpis.scorecard.state_counts over
ioc.kpis.values._open_frame, the read they replace), for random instants and groupings, on
lifecycles with supplement pauses, returns, cancellations and ratings. Runs on SQLite, and on
PostgreSQL when IOC_TEST_DATABASE_URL is set."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from ioc.kpis.scorecard import STATE_COUNTS, state_counts
from ioc.kpis.values import _open_frame, near_due_limit, state_frame, utc_naive
from tests.ioc.dossiers.test_dossier_windows_property import NOW, apply_shuffled_lifecycles

SCOPES = ("province:25", "province:25,commune:04792", "province:25,agency:SYT-25")
BY = ("ward_code", "agency_code", "channel", "sector")


def test_state_counts_in_sql_equal_state_at_over_the_open_rows(engine: Engine) -> None:
    apply_shuffled_lifecycles(engine, 300, seed=3, batch=250)
    now = utc_naive(NOW)
    span_hours = 80 * 24

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(back=st.integers(0, span_hours), scope=st.sampled_from(SCOPES),
           by=st.lists(st.sampled_from(BY), unique=True, max_size=2))
    def same(back: int, scope: str, by: list[str]) -> None:
        at = now - timedelta(hours=back, minutes=back % 60)
        near = near_due_limit(at)
        got = state_frame(engine, scope, at, near, by)
        want = state_counts(_open_frame(engine, scope, at), at, near, by)
        assert set(got.columns) == {*by, *STATE_COUNTS}
        key = by or [STATE_COUNTS[0]]
        assert got.sort(key).equals(want.select(got.columns).cast(got.schema).sort(key)), \
            (at, scope, by)

    same()
    # Not vacuous: at NOW the backlog has paused, overdue and near-due dossiers.
    total = state_frame(engine, "province:25", now, near_due_limit(now), [])
    assert total.height == 1 and all(total[c][0] > 0 for c in STATE_COUNTS), total
    assert state_frame(engine, "province:99", now, near_due_limit(now), []).equals(
        total.clear())
    assert isinstance(total.schema["paused"], pl.Int64)
