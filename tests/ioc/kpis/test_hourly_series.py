"""The Overview's hourly trend (ioc.kpis.values.hourly_series, summed per hour in SQL) equals
the hourly buckets' rows summed per hour in Polars, per stream, for a province, a commune and
an agency scope (social posts have no agency: none), at instants that cut hours. Three days of
the three simulators; SQLite, and PostgreSQL when IOC_TEST_DATABASE_URL is set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from sqlalchemy import Engine, select

from ioc.db import schema as s
from ioc.kpis.values import bucket_frame, hourly_series, utc_naive
from streams.bench_history import history_events
from tests.helpers import apply_events

END = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _brute(engine: Engine, scope: str, now: datetime) -> pl.DataFrame:
    end = utc_naive(now)
    frames = []
    for name, table, col in (("dossier", s.dossier_buckets, "received"),
                             ("feedback", s.feedback_buckets, "received"),
                             ("social", s.social_buckets, "posts")):
        df = bucket_frame(engine, table, scope, end - timedelta(hours=48), end)
        if df.height:
            frames.append(df.group_by("hour").agg(pl.col(col).sum().alias("count"))
                          .with_columns(pl.lit(name).alias("stream")))
    return pl.concat(frames).sort("stream", "hour")


def test_hourly_series_equals_the_bucket_rows_summed_per_hour(engine: Engine) -> None:
    events = [e for _, _, e in history_events(3, "25", END, rate=0.05)]
    for i in range(0, len(events), 500):
        apply_events(engine, events[i:i + 500])
    with engine.connect() as conn:
        ward, agency = conn.execute(select(s.dossiers.c.ward_code, s.dossiers.c.agency_code)
                                    .where(s.dossiers.c.ward_code != "").limit(1)).one()
    seen = set()
    for scope in ("province:25", f"province:25,commune:{ward}", f"agency:{agency}"):
        for now in (END, END - timedelta(hours=5, minutes=17), END - timedelta(days=1)):
            got = hourly_series(engine, scope, 48, now)
            want = _brute(engine, scope, now)
            assert got.columns == ["hour", "count", "stream"]
            assert got.sort("stream", "hour").equals(want.select(got.columns)), (scope, now)
            seen |= set(got["stream"])
    assert seen == {"dossier", "feedback", "social"}  # not vacuous
