"""Property: the bound on how long a feedback report stays open (feedback_open_bound,
ioc.kpis.open_bound) is at least every stored report's closed_at − received_at after random
lifecycles applied shuffled, in batches, with duplicates and a batch re-applied; the reports
open at random instants read with the bound equal those read from every closure since the
instant (no bound stored), for a province scope and one without a province; migration 0022's
backfill gives a bound that holds too. SQLite, and PostgreSQL when IOC_TEST_DATABASE_URL is
set."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete

from ioc.db import schema as s
from ioc.db.migrate import alembic_config
from ioc.kpis.feedback_values import BREAKDOWNS, report_frame
from tests.ioc.kpis.test_feedback_times_property import SPAN_DAYS, T0, WARDS, _apply
from tests.ioc.kpis.test_open_bound_property import longest_open, stored_bound

SCOPES = ("province:25", f"agency:UBND-{WARDS[1]}", "category:giao thông")


def _rows(df: pl.DataFrame) -> list[tuple]:
    return sorted(df.iter_rows(), key=repr)


def test_reports_open_read_within_the_bound_equal_an_unbounded_read(engine: Engine) -> None:
    _apply(engine)
    bound = stored_bound(engine, s.feedback_open_bound)
    assert bound is not None and bound >= longest_open(engine, s.feedback) > 0
    # The bound cuts the read short for early instants: not every closure lies within it.
    assert bound < SPAN_DAYS * 86400
    cases = []

    @settings(max_examples=30, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(minutes=st.integers(-1440, (SPAN_DAYS + 30) * 1440), scope=st.sampled_from(SCOPES))
    def record(minutes: int, scope: str) -> None:
        at = T0 + timedelta(minutes=minutes)
        cases.append((at, scope, _rows(report_frame(engine, scope, at, list(BREAKDOWNS)))))

    record()
    assert sum(len(rows) for _, _, rows in cases) > 0  # not vacuous
    with engine.begin() as conn:  # no bound stored: every closure since the instant
        conn.execute(delete(s.feedback_open_bound))
    for at, scope, rows in cases:
        assert _rows(report_frame(engine, scope, at, list(BREAKDOWNS))) == rows, (at, scope)

    # Migration 0022's backfill from the reports gives a bound that holds.
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0021")
        command.upgrade(alembic_config(conn), "head")
    backfilled = stored_bound(engine, s.feedback_open_bound)
    assert backfilled is not None and backfilled >= longest_open(engine, s.feedback)
    assert backfilled <= bound + 1
