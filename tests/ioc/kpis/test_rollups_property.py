"""Property: the day and month rollups equal the hourly buckets they summarise, and window
sums read through them (whole months and days from the rollups, hours at the edges) equal the
sums of the hourly buckets alone, for random windows and groupings. Events span three months
with duplicates and shuffled order, applied by the aggregator's write path in random batches.
Runs on SQLite, and on PostgreSQL when IOC_TEST_DATABASE_URL is set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from ioc.db import schema as s
from ioc.db.columns import DOSSIER_COUNTERS, DOSSIER_DIMS
from ioc.db.migrate import alembic_config
from ioc.dossiers.queries import daily_trend
from ioc.kpis.buckets import regroup, roll_up, spans
from ioc.kpis.values import bucket_frame, bucket_parts, bucket_sums
from ioc.kpis.windows import Period
from tests.helpers import apply_random_dossiers

SCOPE = "province:25"
T0 = datetime(2026, 8, 25, 17)  # naive UTC; events from here to about 100 days later
EVERYTHING = (datetime(2000, 1, 1), datetime(2100, 1, 1))
BY = ("ward_code", "channel", "agency_code", "procedure_code", "sector")


def _sorted(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    return df.sort(keys).select(sorted(df.columns))


def test_rollups_equal_hourly_buckets_for_random_windows(engine: Engine) -> None:
    # Across three month ends.
    apply_random_dossiers(engine, T0, (8, 20, 37, 52, 66, 81, 96), 60, seed=0, shuffle_seed=5,
                          batches=7, replay_share=3)
    dims, counters = DOSSIER_DIMS, DOSSIER_COUNTERS
    hourly = bucket_frame(engine, s.dossier_buckets, SCOPE, *EVERYTHING)
    assert hourly.height > 100
    for grain, table in s.ROLLUPS["dossier_buckets"].items():
        stored = bucket_frame(engine, table, SCOPE, *EVERYTHING)
        expect = roll_up(hourly, grain, dims, counters)
        assert stored.height == expect.height > 0
        assert _sorted(stored, list(dims)).equals(_sorted(expect, list(dims)))
        # The narrow rollups: the same sums over fewer dimensions.
        for narrow in s.NARROW_ROLLUPS["dossier_buckets"][grain]:
            keys = [c.name for c in narrow.primary_key.columns]
            got = bucket_frame(engine, narrow, SCOPE, *EVERYTHING)
            want = regroup(expect, tuple(keys), counters)
            assert got.height == want.height > 0
            assert _sorted(got, keys).equals(_sorted(want.select(got.columns), keys))

    hours = (T0 - timedelta(days=3), T0 + timedelta(days=105))
    n_hours = int((hours[1] - hours[0]).total_seconds() // 3600)

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(a=st.integers(0, n_hours), length=st.integers(0, n_hours),
           by=st.lists(st.sampled_from(BY), unique=True, max_size=2))
    def window_sums(a: int, length: int, by: list[str]) -> None:
        start = hours[0] + timedelta(hours=a)
        end = start + timedelta(hours=length)
        got = bucket_sums(engine, SCOPE, start, end, by)
        part = hourly.filter((pl.col("hour") >= start) & (pl.col("hour") < end))
        want = (part.group_by(by).agg([pl.col(c).sum() for c in counters]) if by else
                part.select([pl.col(c).sum() for c in counters]).filter(pl.lit(part.height > 0)))
        assert got.height == want.height
        if by:
            assert _sorted(got, by).equals(_sorted(want.cast(got.schema), by))
        else:
            assert got.equals(want.cast(got.schema))
        # The daily chart: whole days from the day rollup, edges from the hours.
        trend = daily_trend(engine, SCOPE, Period(start, end, "custom"))
        assert int(trend["received"].sum() or 0) == int(part["received"].sum() or 0)

    window_sums()

    # Migration 0019's backfill of the narrow rollups from the full ones gives the same rows.
    narrow = [t for ts in s.NARROW_ROLLUPS["dossier_buckets"].values() for t in ts]
    before = {t.name: bucket_frame(engine, t, SCOPE, *EVERYTHING) for t in narrow}
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0018")
        command.upgrade(alembic_config(conn), "head")
    for t in narrow:
        keys = [c.name for c in t.primary_key.columns]
        assert _sorted(bucket_frame(engine, t, SCOPE, *EVERYTHING), keys).equals(
            _sorted(before[t.name], keys))


def test_reads_take_the_narrowest_rollup_holding_their_columns() -> None:
    start, end = datetime(2026, 1, 1), datetime(2026, 6, 1)  # whole local days and months
    narrow = s.NARROW_ROLLUPS["dossier_buckets"]

    def tables(need: set[str] | None) -> set[str]:
        return {t.name for t, _, _ in bucket_parts(s.dossier_buckets, start, end, "month",
                                                   need) if t is not s.dossier_buckets}

    def named(name: str) -> set[str]:
        return {f"dossier_buckets_{g}_{name}" for g in ("day", "month")}

    full = {t.name for t in s.ROLLUPS["dossier_buckets"].values()}
    assert {t.name for ts in narrow.values() for t in ts} == {
        n for name in ("province", "ward", "agency", "sector") for n in named(name)}
    assert tables({"province_code"}) == tables(set()) == named("province")
    assert tables({"province_code", "ward_code"}) == named("ward")
    assert tables({"province_code", "agency_code"}) == named("agency")
    assert tables({"province_code", "sector"}) == named("sector")
    assert tables({"province_code", "ward_code", "agency_code"}) == full
    assert tables({"province_code", "procedure_code"}) == full
    assert tables(None) == full
    # The feedback rollups have narrow tables of their own (migration 0020): a province
    # read takes one of them, a read by a column none holds the full rollup.
    fb_narrow = {t.name for t in s.NARROW_ROLLUPS["feedback_buckets"]["month"]}
    fb_full = s.ROLLUPS["feedback_buckets"]["month"].name

    def fb_tables(need: set[str]) -> set[str]:
        return {t.name for t, _, _ in bucket_parts(s.feedback_buckets, start, end, "month",
                                                   need)}

    assert fb_tables({"province_code"}) & fb_narrow
    assert fb_full not in fb_tables({"province_code"})
    assert fb_full in fb_tables({"province_code", "feedback_id_that_no_table_has"})


@given(a=st.integers(0, 24 * 400), length=st.integers(0, 24 * 400),
       coarsest=st.sampled_from(["hour", "day", "month"]))
def test_spans_cover_the_window_once_on_whole_local_days_and_months(a: int, length: int,
                                                                    coarsest: str) -> None:
    start = datetime(2025, 11, 3, 9) + timedelta(hours=a)
    end = start + timedelta(hours=length)
    pieces = spans(start, end, coarsest)
    assert [p[1] for p in pieces[1:]] == [p[2] for p in pieces[:-1]]  # contiguous
    if length:
        assert pieces[0][1] == start and pieces[-1][2] == end
    else:
        assert pieces == []
    for grain, a_, b_ in pieces:
        local = a_.replace(tzinfo=UTC).astimezone(UTC) + timedelta(hours=7)
        local_end = b_ + timedelta(hours=7)
        if grain != "hour":
            assert local.hour == 0 and local_end.hour == 0
        if grain == "month":
            assert local.day == 1 and local_end.day == 1 and coarsest == "month"
        if grain == "day":
            assert coarsest != "hour"
