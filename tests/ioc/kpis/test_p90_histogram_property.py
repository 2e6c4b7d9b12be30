"""Property: the p90 read through the processing-time histogram (ioc.kpis.p90_store) is the
exact nearest-rank p90 of the window's completions (ioc.kpis.scorecard.nearest_rank_p90 over
every completion), for random windows and random dossier states (ties, negative and huge
times, missing times, states replaced by later ones); the histogram tables equal a recount of
the stored dossiers, and migration 0019's backfill from the dossiers gives the same tables.
Runs on SQLite, and on PostgreSQL when IOC_TEST_DATABASE_URL is set."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select

from ioc.db import schema as s
from ioc.db.migrate import alembic_config
from ioc.db.upsert import upsert_frame
from ioc.kpis.buckets import grain_start
from ioc.kpis.p90_store import KEYS, p90_rows, province_p90, write_p90
from ioc.kpis.scorecard import P90_COLUMN, nearest_rank_p90
from ioc.kpis.values import _completion_frame, p90_frame
from tests.helpers import apply_random_dossiers

SCOPE = "province:25"
T0 = datetime(2026, 8, 25, 17)  # naive UTC
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _stored(engine: Engine, grain: str) -> list[tuple]:
    t = s.P90_ROLLUPS[grain]
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.hour, t.c.province_code, t.c.bin, t.c.completions)
                            .order_by(t.c.hour, t.c.province_code, t.c.bin)).all()
    return [tuple(r) for r in rows if r[3] != 0]


def _recount(engine: Engine, grain: str) -> list[tuple]:
    """The histogram from a scan of the stored dossiers."""
    d = s.dossiers
    with engine.connect() as conn:
        rows = conn.execute(select(d.c.status, d.c.province_code, d.c.completed_at,
                                   d.c.proc_minutes)).all()
    states = pl.DataFrame([tuple(r) for r in rows], orient="row", schema={
        "status": pl.String, "province_code": pl.String, "completed_at": pl.Datetime("us"),
        "proc_minutes": pl.Int64})
    out = p90_rows(states)
    if grain == "month":
        out = out.with_columns(grain_start("hour", "month").alias("hour"))
    out = out.group_by(list(KEYS)).agg(pl.col("completions").sum()).sort(list(KEYS))
    return [tuple(r) for r in out.iter_rows()]


def _brute(engine: Engine, start: datetime, end: datetime) -> pl.DataFrame:
    return nearest_rank_p90(_completion_frame(engine, SCOPE, start, end, []), [])


def _same_p90(engine: Engine, start: datetime, end: datetime) -> bool:
    """p90_frame through the histogram equals the brute force; returns whether the histogram
    was used (a window with a whole local day)."""
    got = p90_frame(engine, SCOPE, start, end, [])
    want = _brute(engine, start, end)
    assert got[P90_COLUMN].to_list() == want[P90_COLUMN].to_list(), (start, end)
    with engine.connect() as conn:
        used, value = province_p90(conn, "25", start, end)
    if used:
        assert ([value] if value is not None else []) == want[P90_COLUMN].to_list()
    return used


def test_p90_through_the_histogram_equals_nearest_rank_for_random_windows(
        engine: Engine) -> None:
    # Simulated lifecycles across three month ends, shuffled, in batches, a batch re-applied.
    apply_random_dossiers(engine, T0, (8, 20, 37, 52, 66, 81, 96), 60, seed=3, shuffle_seed=9,
                          batches=7, replay_share=3)
    for grain in ("day", "month"):
        stored = _stored(engine, grain)
        assert len(stored) > 10
        assert stored == _recount(engine, grain)
    hours = (T0 - timedelta(days=3), T0 + timedelta(days=105))
    n_hours = int((hours[1] - hours[0]).total_seconds() // 3600)
    used = []

    @SETTINGS
    @given(a=st.integers(0, n_hours), length=st.integers(0, n_hours))
    def windows(a: int, length: int) -> None:
        start = hours[0] + timedelta(hours=a)
        used.append(_same_p90(engine, start, start + timedelta(hours=length)))

    windows()
    assert any(used) and not all(used)  # both paths were compared

    # Migration 0019's backfill from the dossiers alone gives the same histograms.
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0018")
        command.upgrade(alembic_config(conn), "head")
    for grain in ("day", "month"):
        assert _stored(engine, grain) == _recount(engine, grain)


MINUTES = st.one_of(st.none(), st.integers(-200, 200), st.integers(0, 30_000),
                    st.sampled_from([0, 59, 60, 61, 119, 120, -60, -61]))
STATE = st.tuples(st.sampled_from(["completed", "completed", "returned", "in_progress"]),
                  st.integers(0, 24 * 70), MINUTES)


BLANK = ("ward_code", "agency_code", "procedure_code", "sector", "level", "channel")


def _frame(states: list[tuple[str, int, int | None]], ids: list[int]) -> pl.DataFrame:
    base = datetime(2026, 10, 20, 3)
    return pl.DataFrame({
        "dossier_id": [f"D{i}" for i in ids],
        "seq": [1] * len(ids),
        "status": [st_ for st_, _, _ in states],
        "province_code": ["25"] * len(ids),
        "received_at": [base - timedelta(days=30)] * len(ids),
        "due_at": [base] * len(ids),
        "completed_at": [None if st_ == "in_progress" else base + timedelta(hours=h)
                         for st_, h, _ in states],
        "proc_minutes": [m for _, _, m in states],
        "is_open": [st_ == "in_progress" for st_, _, _ in states],
        **{c: [""] * len(ids) for c in BLANK},
    }, schema={**{c: pl.String for c in BLANK},
               "dossier_id": pl.String, "seq": pl.Int64, "status": pl.String,
               "province_code": pl.String, "received_at": pl.Datetime("us"),
               "due_at": pl.Datetime("us"), "completed_at": pl.Datetime("us"),
               "proc_minutes": pl.Int64, "is_open": pl.Boolean})


def test_p90_through_the_histogram_equals_nearest_rank_on_random_states(engine: Engine
                                                                         ) -> None:
    used: list[bool] = []

    @SETTINGS
    @given(first=st.lists(STATE, min_size=1, max_size=80),
           later=st.lists(st.tuples(st.integers(0, 79), STATE), max_size=30),
           windows=st.lists(st.tuples(st.integers(-48, 24 * 72), st.integers(0, 24 * 75)),
                            min_size=1, max_size=6))
    def prop(first: list, later: list, windows: list) -> None:
        with engine.begin() as conn:
            conn.execute(delete(s.dossiers))
            for t in s.P90_ROLLUPS.values():
                conn.execute(delete(t))
        new = _frame(first, list(range(len(first))))
        with engine.begin() as conn:
            upsert_frame(conn, s.dossiers, new, keys=("dossier_id",))
            write_p90(conn, new, pl.DataFrame())
        # Later states replace some (the aggregator's new − replaced).
        picked = {i % len(first): state for i, state in later}
        if picked:
            ids = sorted(picked)
            old = new.filter(pl.col("dossier_id").is_in([f"D{i}" for i in ids]))
            repl = _frame([picked[i] for i in ids], ids).sort("dossier_id")
            with engine.begin() as conn:
                conn.execute(delete(s.dossiers).where(s.dossiers.c.dossier_id.in_(
                    repl["dossier_id"].to_list())))
                upsert_frame(conn, s.dossiers, repl, keys=("dossier_id",))
                write_p90(conn, repl, old)
        for grain in ("day", "month"):
            assert _stored(engine, grain) == _recount(engine, grain)
        base = datetime(2026, 10, 20, 3)
        for a, length in windows:
            start = base + timedelta(hours=a)
            used.append(_same_p90(engine, start, start + timedelta(hours=length)))

    prop()
    assert any(used)
