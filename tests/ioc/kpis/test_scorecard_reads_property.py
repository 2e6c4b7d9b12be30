"""Property: the scorecard's fast reads equal a brute-force recomputation from every dossier
row, for random windows, instants and groupings: the open set at an instant (DB-API fetch over
the closed_at ranges, ioc.kpis.values._open_frame) and the exact nearest-rank p90 per group,
both computed in SQL with window functions and ranked in Polars (ioc.kpis.values.p90_frame).
Events span three weeks with duplicates and shuffled order, applied by the aggregator's write
path in random batches. Runs on SQLite, and on PostgreSQL when IOC_TEST_DATABASE_URL is set."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from ioc.db import schema as s
from ioc.kpis.scorecard import P90_COLUMN
from ioc.kpis.values import _open_frame, p90_frame
from tests.helpers import apply_random_dossiers

SCOPE = "province:25"
T0 = datetime(2026, 5, 4, 2)  # naive UTC; events from about 8 days before to 20 days after
BY = ("ward_code", "agency_code", "channel", "sector")


def _all_rows(engine: Engine) -> list[dict]:
    """Every dossier row through plain SQLAlchemy Core (the slow path the reads replaced)."""
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(s.dossiers))]


def _nearest_rank(values: list[int]) -> int:
    ordered = sorted(values)
    return ordered[-(-9 * len(ordered) // 10) - 1]  # the ceil(0.9·n)-th smallest


def test_open_set_and_p90_equal_brute_force(engine: Engine) -> None:
    apply_random_dossiers(engine, T0, (0, 6, 12, 18), 70, seed=40, shuffle_seed=11,
                          batches=5, replay_share=4)
    rows = _all_rows(engine)
    assert len(rows) > 200 and sum(r["status"] == "completed" for r in rows) > 100
    assert any(r["closed_at"] is None for r in rows) and any(r["closed_at"] for r in rows)
    span = (T0 - timedelta(days=10), T0 + timedelta(days=22))
    n_hours = int((span[1] - span[0]).total_seconds() // 3600)

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(a=st.integers(0, n_hours), length=st.integers(0, n_hours),
           minute=st.integers(0, 59),
           by=st.lists(st.sampled_from(BY), unique=True, max_size=2))
    def reads(a: int, length: int, minute: int, by: list[str]) -> None:
        start = span[0] + timedelta(hours=a, minutes=minute)
        end = start + timedelta(hours=length)
        # The open set at `end`: received before, not closed before.
        got = _open_frame(engine, SCOPE, end)
        want = [r for r in rows if r["received_at"] < end
                and (r["closed_at"] is None or r["closed_at"] >= end)]
        assert sorted(got["dossier_id"].to_list()) == sorted(r["dossier_id"] for r in want)
        by_id = {r["dossier_id"]: r for r in want}
        for rec in got.iter_rows(named=True):
            assert all(rec[c] == by_id[rec["dossier_id"]][c] for c in got.columns), rec
        # The p90 per group of the completions in [start, end).
        groups: dict[tuple, list[int]] = {}
        for r in rows:
            if (r["status"] == "completed" and r["completed_at"] is not None
                    and start <= r["completed_at"] < end and r["proc_minutes"] is not None):
                groups.setdefault(tuple(r[c] for c in by), []).append(r["proc_minutes"])
        expect = {k: _nearest_rank(v) for k, v in groups.items()}
        for in_sql in (True, False):
            p90 = p90_frame(engine, SCOPE, start, end, by, in_sql=in_sql)
            assert set(p90.columns) == {*by, P90_COLUMN}
            found = {tuple(r[c] for c in by): r[P90_COLUMN] for r in p90.iter_rows(named=True)}
            assert found == expect, (in_sql, start, end, by)
            assert p90.schema[P90_COLUMN] == pl.Int64

    reads()
