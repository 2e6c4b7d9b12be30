"""Property: bucket_sums, whose statement is compiled once per shape (parts' tables, groups,
counters, scope columns) and bound to each window's bounds and scope codes, equals the sums
of the hourly buckets of the scope and window, for random windows, scopes, groupings,
counters and grains read in random order (so a cached shape serves other windows and codes).
Runs on SQLite, and on PostgreSQL when IOC_TEST_DATABASE_URL is set."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from ioc.db import schema as s
from ioc.db.columns import DOSSIER_COUNTERS
from ioc.kpis.catalogue import parse_scope
from ioc.kpis.values import bucket_frame, bucket_sums, utc_naive
from tests.ioc.dossiers.test_dossier_windows_property import NOW, apply_shuffled_lifecycles

EVERYTHING = (datetime(2000, 1, 1), datetime(2100, 1, 1))
SCOPES = ("province:25", "province:25,commune:04792", "province:25,commune:04795",
          "province:25,agency:SYT-25", "commune:04792", "province:26",
          "province:25,commune:04792,agency:UBND-04792", "province:25,procedure:1.001")
BY = ("ward_code", "agency_code", "sector", "channel", "hour")
COUNTERS = (DOSSIER_COUNTERS, ("received", "completed"), ("completed_on_time",))


def test_compiled_bucket_sums_equal_the_hourly_buckets(engine: Engine) -> None:
    apply_shuffled_lifecycles(engine, 300, seed=2, batch=250)
    hourly = bucket_frame(engine, s.dossier_buckets, "province:25", *EVERYTHING)
    assert hourly["ward_code"].n_unique() > 1
    now = utc_naive(NOW)
    hours = (now - timedelta(days=80), now + timedelta(days=1))
    n_hours = int((hours[1] - hours[0]).total_seconds() // 3600)
    seen = {"rows": 0, "scopes": set()}

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(a=st.integers(0, n_hours), length=st.integers(0, n_hours),
           scope=st.sampled_from(SCOPES), coarsest=st.sampled_from(["month", "day", "hour"]),
           by=st.lists(st.sampled_from(BY), unique=True, max_size=2),
           counters=st.sampled_from(COUNTERS))
    def same(a: int, length: int, scope: str, coarsest: str, by: list[str],
             counters: tuple[str, ...]) -> None:
        if "hour" in by and coarsest == "month":
            coarsest = "day"  # a month row's `hour` is its first hour: not an hourly group
        start = hours[0] + timedelta(hours=a)
        end = start + timedelta(hours=length)
        got = bucket_sums(engine, scope, start, end, by, coarsest, counters)
        part = hourly.filter((pl.col("hour") >= start) & (pl.col("hour") < end),
                             *[pl.col(c) == v for c, v in parse_scope(scope).items()])
        if "hour" in by:  # rows of whole days come as their first hour
            day = (pl.col("hour").dt.replace_time_zone("UTC")
                   .dt.convert_time_zone("Asia/Ho_Chi_Minh").dt.date())
            got = got.with_columns(day.alias("hour"))
            part = part.with_columns(day.alias("hour"))
            got = got.group_by(by).agg([pl.col(c).sum() for c in counters])
        want = (part.group_by(by).agg([pl.col(c).sum() for c in counters]) if by else
                part.select([pl.col(c).sum() for c in counters]).filter(pl.lit(part.height > 0)))
        assert got.height == want.height, (scope, start, end, by, coarsest)
        keys = by or list(counters)
        assert got.sort(keys).equals(want.select(got.columns).cast(got.schema).sort(keys)), \
            (scope, start, end, by, coarsest)
        seen["rows"] += got.height
        if got.height:
            seen["scopes"].add(scope)

    same()
    assert seen["rows"] > 0 and len(seen["scopes"]) > 2
