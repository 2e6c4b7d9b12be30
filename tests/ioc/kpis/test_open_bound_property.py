"""Property: the bound on how long a dossier stays open (ioc.kpis.open_bound) is at least every
stored dossier's closed_at − received_at after random lifecycles applied shuffled, in batches,
with a batch re-applied; the state counts at random instants read with the bound equal those
read from every closure since the instant (no bound stored); migration 0019's backfill gives
a bound that holds too. Runs on SQLite, and on PostgreSQL when IOC_TEST_DATABASE_URL is set."""

from __future__ import annotations

from datetime import datetime, timedelta

from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, Table, delete, select

from ioc.db import schema as s
from ioc.db.migrate import alembic_config
from ioc.kpis.values import near_due_limit, state_frame
from tests.helpers import apply_random_dossiers

SCOPE = "province:25"
T0 = datetime(2026, 8, 25, 17)  # naive UTC


def stored_bound(engine: Engine, bound: Table = s.dossier_open_bound) -> int | None:
    """Province 25's stored bound in `bound` (seconds)."""
    with engine.connect() as conn:
        return conn.execute(select(bound.c.max_open_s)
                            .where(bound.c.province_code == "25")).scalar()


def longest_open(engine: Engine, entities: Table = s.dossiers) -> float:
    """The longest closed_at − received_at among the stored `entities`, in seconds."""
    with engine.connect() as conn:
        rows = conn.execute(select(entities.c.received_at, entities.c.closed_at)
                            .where(entities.c.closed_at.is_not(None))).all()
    return max((c - r).total_seconds() for r, c in rows)


def test_state_counts_read_within_the_open_bound_equal_an_unbounded_read(engine: Engine
                                                                         ) -> None:
    apply_random_dossiers(engine, T0, (3, 10, 24, 41, 63), 50, seed=11, shuffle_seed=2,
                          batches=6, replay_share=4)
    bound = stored_bound(engine)
    assert bound is not None and bound >= longest_open(engine) > 0
    hours = (T0 - timedelta(days=2), T0 + timedelta(days=80))
    n_hours = int((hours[1] - hours[0]).total_seconds() // 3600)
    instants = st.tuples(st.integers(0, n_hours), st.integers(0, 3599))
    by_ = st.lists(st.sampled_from(["ward_code", "agency_code", "sector"]), unique=True,
                   max_size=1)

    def frames(at: datetime, by: list[str]) -> list[tuple]:
        df = state_frame(engine, SCOPE, at, near_due_limit(at), by)
        return sorted(df.iter_rows())

    cases = []

    @settings(max_examples=25, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(i=instants, by=by_)
    def record(i: tuple[int, int], by: list[str]) -> None:
        at = hours[0] + timedelta(hours=i[0], seconds=i[1])
        cases.append((at, by, frames(at, by)))

    record()
    assert any(rows for _, _, rows in cases)
    with engine.begin() as conn:  # no bound stored: every closure since the instant
        conn.execute(delete(s.dossier_open_bound))
    for at, by, rows in cases:
        assert frames(at, by) == rows, (at, by)

    # Migration 0019's backfill from the dossiers gives a bound that holds.
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0018")
        command.upgrade(alembic_config(conn), "head")
    backfilled = stored_bound(engine)
    assert backfilled is not None and backfilled >= longest_open(engine)
    assert backfilled <= bound + 1
