"""Property: the feedback and social day and month rollups equal the hourly buckets they
summarise, as the aggregator writes them and as migration 0018 backfills them; and the window
reads through them (feedback counter sums, the daily channel trend, the social sums) equal
the same figures from the hourly buckets alone, for random windows and groupings. Events
span three months with duplicates and shuffled order, applied by the aggregator's write path
in random batches, then some posts relabelled by an operator. Runs on SQLite, and on
PostgreSQL when IOC_TEST_DATABASE_URL is set."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from ioc.db import schema as s
from ioc.db.columns import FEEDBACK_COUNTERS, FEEDBACK_DIMS, SOCIAL_COUNTERS, SOCIAL_DIMS
from ioc.db.migrate import alembic_config
from ioc.feedback.queries import channel_trend
from ioc.kpis.buckets import roll_up
from ioc.kpis.feedback_values import feedback_bucket_sums
from ioc.kpis.social_values import posts_by_platform, top_topics
from ioc.kpis.values import bucket_frame
from ioc.kpis.windows import Period
from ioc.reference.calendar import TZ
from ioc.social.corrections import relabel
from streams.chaos.workload import random_events
from tests.helpers import apply_events, social_posts_frame

SCOPE = "province:25"
T0 = datetime(2026, 8, 25, 17)  # naive UTC; events from here to about 100 days later
DAYS = (0, 3, 8, 20, 37, 52, 66, 81, 96)
EVERYTHING = (datetime(2000, 1, 1), datetime(2100, 1, 1))
FEEDBACK_BY = ("channel", "category", "agency_code", "ward_code")
STREAMS = {"feedback_buckets": (s.feedback_buckets, FEEDBACK_DIMS, FEEDBACK_COUNTERS),
           "social_buckets": (s.social_buckets, SOCIAL_DIMS, SOCIAL_COUNTERS)}


def _apply(engine: Engine) -> None:
    """Feedback and social events around each of DAYS after T0, shuffled, in 7 random
    batches, then the first third again (a batch re-read after a crash)."""
    events: list[dict] = []
    for i, d in enumerate(DAYS):
        events += random_events(0, 25, 25, seed=40 + i,
                                now=(T0 + timedelta(days=d)).replace(tzinfo=UTC))
    rng = random.Random(9)
    rng.shuffle(events)
    cut = sorted(rng.sample(range(1, len(events)), 6))
    for a, b in zip([0, *cut], [*cut, len(events)], strict=True):
        apply_events(engine, events[a:b])
    apply_events(engine, events[: len(events) // 3])


def _sorted(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    return df.sort(keys).select(sorted(df.columns))


def _rollups(engine: Engine) -> dict[str, pl.DataFrame]:
    return {t.name: _sorted(bucket_frame(engine, t, SCOPE, *EVERYTHING), list(dims))
            for name, (_, dims, _c) in STREAMS.items() for t in s.ROLLUPS[name].values()}


def test_feedback_and_social_rollups_equal_hourly_buckets(engine: Engine) -> None:
    _apply(engine)
    # Operators' relabels move a post between buckets: its day and month rows move too.
    posts = social_posts_frame(engine).sort("post_id")
    assert posts.height > 20
    for i, (post_id, label) in enumerate(zip(posts["post_id"], posts["label"], strict=True)):
        if i % 7 == 0:
            relabel(engine, post_id, "negative" if label != "negative" else "positive",
                    "tester")
    hourly = {}
    for name, (table, dims, counters) in STREAMS.items():
        hourly[name] = bucket_frame(engine, table, SCOPE, *EVERYTHING)
        assert hourly[name].height > 50
        for grain, rollup in s.ROLLUPS[name].items():
            stored = bucket_frame(engine, rollup, SCOPE, *EVERYTHING)
            expect = roll_up(hourly[name], grain, dims, counters)
            assert stored.height == expect.height > 0
            assert _sorted(stored, list(dims)).equals(_sorted(expect, list(dims)))

    # Migration 0018's backfill from the hourly rows alone gives the same tables.
    written = _rollups(engine)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0017")
        command.upgrade(alembic_config(conn), "head")
    backfilled = _rollups(engine)
    for name, frame in written.items():
        assert backfilled[name].equals(frame), name

    fb, so = hourly["feedback_buckets"], hourly["social_buckets"]
    hours = (T0 - timedelta(days=3), T0 + timedelta(days=105))
    n_hours = int((hours[1] - hours[0]).total_seconds() // 3600)

    @settings(max_examples=30, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(a=st.integers(0, n_hours), length=st.integers(0, n_hours),
           by=st.lists(st.sampled_from(FEEDBACK_BY), unique=True, max_size=2))
    def window_sums(a: int, length: int, by: list[str]) -> None:
        start = hours[0] + timedelta(hours=a)
        end = start + timedelta(hours=length)
        period = Period(start, end, "custom")

        # Feedback counters per group.
        got = feedback_bucket_sums(engine, SCOPE, start, end, by)
        part = fb.filter((pl.col("hour") >= start) & (pl.col("hour") < end))
        want = (part.group_by(by).agg([pl.col(c).sum() for c in FEEDBACK_COUNTERS]) if by
                else part.select([pl.col(c).sum() for c in FEEDBACK_COUNTERS])
                .filter(pl.lit(part.height > 0)))
        assert got.height == want.height
        if by:
            assert _sorted(got, by).equals(_sorted(want.cast(got.schema), by))
        else:
            assert got.equals(want.cast(got.schema))

        # The daily channel trend: whole days from the day rollup, edges from the hours.
        trend = channel_trend(engine, SCOPE, period, every="1d")
        local_day = (pl.col("hour").dt.replace_time_zone("UTC").dt.convert_time_zone(str(TZ))
                     .dt.replace_time_zone(None).dt.truncate("1d").alias("bucket"))
        expect_trend = (part.filter(pl.col("received") > 0).with_columns(local_day)
                        .group_by("bucket", "channel").agg(pl.col("received").sum())
                        .filter(pl.col("received") > 0).sort("bucket", "channel"))
        assert trend.filter(pl.col("received") > 0).equals(
            expect_trend.cast(trend.schema)), (start, end)

        # Social sums per platform and per topic, the window and its previous period.
        prev = period.previous()
        for dim, read in (("platform", posts_by_platform), ("topic", top_topics)):
            frame = read(engine, SCOPE, period)

            def posts(a_: datetime, b_: datetime, dim: str = dim) -> dict[str, int]:
                rows = so.filter((pl.col("hour") >= a_) & (pl.col("hour") < b_))
                g = rows.group_by(dim).agg(pl.col("posts").sum())
                return {k: int(v) for k, v in g.iter_rows() if v}

            now_p, before_p = posts(start, end), posts(prev.start, prev.end)
            assert dict(zip(frame[dim], frame["posts"], strict=True)) == {
                k: now_p.get(k, 0) for k in {*now_p, *before_p}}
            assert dict(zip(frame[dim], frame["previous_posts"], strict=True)) == {
                k: before_p.get(k, 0) for k in {*now_p, *before_p}}

    window_sums()
