"""Property: the Social page's buckets (ioc.kpis.social_values.page_buckets: beyond two days,
whole local days as one row each from social_buckets_day) give the same charts and
breakdowns (ioc.ui.social.frames) as the hourly buckets, for random windows; posts over three
months applied by the aggregator's write path in shuffled batches with re-sent events, some
relabelled by an operator. Runs on SQLite, and on PostgreSQL when IOC_TEST_DATABASE_URL is
set."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import polars as pl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from ioc.db import schema as s
from ioc.kpis.social_values import HOURLY_UP_TO, page_buckets
from ioc.kpis.values import bucket_frame
from ioc.kpis.windows import Period
from ioc.social.corrections import relabel
from ioc.ui.social import frames
from streams.chaos.workload import social_event
from tests.helpers import apply_events, social_posts_frame

SCOPE = "province:25"
T0 = datetime(2026, 8, 25, 17)  # naive UTC, a local midnight; posts up to 100 days later
WARDS = ("04792", "04795", "04828", None)
PLATFORMS = ("news", "facebook", "tiktok", "forum")
TEXTS = ("Người dân hài lòng với dịch vụ", "Ùn tắc giao thông kéo dài, rất bức xúc",
         "Trường học mới khai giảng", "Mưa lớn gây ngập úng")


def _apply(engine: Engine) -> None:
    rng = random.Random(3)
    events = []
    for i in range(240):
        day = rng.choice((3, 3, 8, 20, 21, 37, 52, 66, 81, 96)) if i % 3 else rng.uniform(0, 100)
        ev = social_event(f"B{i}", T0 + timedelta(days=day, hours=rng.uniform(0, 24)),
                          text=rng.choice(TEXTS), ward=rng.choice(WARDS),
                          platform=rng.choice(PLATFORMS),
                          engagement={"likes": rng.randint(0, 9), "shares": 0, "comments": 1})
        events.append(ev)
        if i % 4 == 0:  # re-published with grown counts
            events.append(dict(ev, seq=2, event_id=f"B{i}-again",
                               engagement={"likes": 40 + i, "shares": 2, "comments": 3}))
    rng.shuffle(events)
    cut = sorted(rng.sample(range(1, len(events)), 5))
    for a, b in zip([0, *cut], [*cut, len(events)], strict=True):
        apply_events(engine, events[a:b])
    apply_events(engine, events[: len(events) // 3])  # a re-read batch
    posts = social_posts_frame(engine).sort("post_id")
    for i, (post_id, label) in enumerate(zip(posts["post_id"], posts["label"], strict=True)):
        if i % 5 == 0:
            relabel(engine, post_id, "negative" if label != "negative" else "positive", "t")


def _rows(df: pl.DataFrame) -> list[tuple]:
    return sorted(df.select(sorted(df.columns)).iter_rows())


def test_page_buckets_draw_the_same_page_as_the_hours(engine: Engine) -> None:
    _apply(engine)
    hourly = bucket_frame(engine, s.social_buckets, SCOPE, datetime(2000, 1, 1),
                          datetime(2100, 1, 1))
    assert hourly.height > 100
    span = (T0 - timedelta(days=3), T0 + timedelta(days=104))
    n_hours = int((span[1] - span[0]).total_seconds() // 3600)

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(a=st.integers(0, n_hours), length=st.integers(0, 24 * 45))
    # span[0] is a local midnight: two whole busy days (still drawn by hour), 30 days.
    @example(a=24 * 23, length=48)
    @example(a=24 * 9, length=24 * 30)
    def windows(a: int, length: int) -> None:
        start = span[0] + timedelta(hours=a)
        end = start + timedelta(hours=length)
        period = Period(start, end, "custom")
        page = page_buckets(engine, SCOPE, start, end)
        hours = hourly.filter((pl.col("hour") >= start) & (pl.col("hour") < end))
        if length > 24 * 3:
            assert page.height <= hours.height
        for build in (frames.volume_frame, frames.sentiment_frame):
            assert build(page, period).equals(build(hours, period)), build.__name__
        for by in (frames.topic_frame, frames.platform_frame):
            assert _rows(by(page)) == _rows(by(hours))
        assert _rows(frames.place_frame(page, {})) == _rows(frames.place_frame(hours, {}))

    windows()
    # Fewer rows read for a long window: days of several hours each became one row.
    month = page_buckets(engine, SCOPE, T0 + timedelta(days=2), T0 + timedelta(days=32))
    assert 0 < month.height < hourly.filter(
        (pl.col("hour") >= T0 + timedelta(days=2)) & (pl.col("hour") < T0 + timedelta(days=32))
    ).height


def test_the_page_reads_hours_exactly_as_long_as_it_draws_them() -> None:
    assert HOURLY_UP_TO == frames.HOURLY_UP_TO
    assert frames.step_of(Period(T0, T0 + HOURLY_UP_TO, "custom")) == "1h"
    assert frames.step_of(Period(T0, T0 + HOURLY_UP_TO + timedelta(hours=1), "x")) == "1d"
