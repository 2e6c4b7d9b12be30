"""Additive hourly buckets, the shared half of every stream's transitions (pure Polars).

Entity events are state-carrying, so the newest `seq` per entity is its truth. Buckets are
additive: when an entity moves from old state S0 to new state S1, the aggregator adds
contributions(S1) − contributions(S0). Replays, duplicates and out-of-order events therefore
cannot double-count: an event whose seq is not newer than the stored one changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from ioc.reference.calendar import TZ


def latest_per_entity(events: pl.DataFrame, key: str) -> pl.DataFrame:
    """Keep the highest-seq event per entity within one batch."""
    return events.sort("seq").unique(subset=[key], keep="last", maintain_order=True)


def hour_of(col: str) -> pl.Expr:
    return pl.col(col).dt.truncate("1h")


def blank(col: str) -> pl.Expr:
    """Bucket dimensions are NOT NULL: '' stands for unknown."""
    return pl.col(col).fill_null("")


def bucket_schema(dims: tuple[str, ...], counters: tuple[str, ...]) -> dict:
    return {**{d: (pl.Datetime("us") if d == "hour" else pl.String) for d in dims},
            **{c: pl.Int64 for c in counters}}


def bucket_delta(plus: pl.DataFrame, minus: pl.DataFrame, dims: tuple[str, ...],
                 counters: tuple[str, ...]) -> pl.DataFrame:
    """contributions(new) − contributions(old), summed per bucket, zero rows dropped."""
    schema = bucket_schema(dims, counters)
    frames = [plus.cast(schema)]
    if not minus.is_empty():
        frames.append(minus.cast(schema).with_columns(
            [(-pl.col(c)).alias(c) for c in counters]))
    df = pl.concat(frames, how="vertical")
    if df.is_empty():
        return df
    out = df.group_by(list(dims)).agg([pl.col(c).sum() for c in counters])
    return out.filter(pl.any_horizontal([pl.col(c) != 0 for c in counters]))


# ---------------------------------------------------------------- rollups (issue 13)
# Long windows read whole local days and months from rollup tables that carry the same
# dimensions, with `hour` = the first hour (naive UTC) of the local day or month they sum.
GRAINS = {"day": "1d", "month": "1mo"}
MIN_ROLLUP = timedelta(days=2)  # shorter windows read the hourly buckets alone


def grain_start(col: str, grain: str) -> pl.Expr:
    """The naive-UTC first hour of the local day/month holding the naive-UTC `col`."""
    local = pl.col(col).dt.replace_time_zone("UTC").dt.convert_time_zone(str(TZ))
    return local.dt.truncate(GRAINS[grain]).dt.convert_time_zone("UTC").dt.replace_time_zone(
        None)


def roll_up(delta: pl.DataFrame, grain: str, dims: tuple[str, ...],
            counters: tuple[str, ...]) -> pl.DataFrame:
    """Hourly bucket rows (or deltas) summed per local day/month, zero rows dropped."""
    if delta.is_empty():
        return delta
    return regroup(delta.with_columns(grain_start("hour", grain).alias("hour")), dims, counters)


def regroup(rows: pl.DataFrame, dims: tuple[str, ...], counters: tuple[str, ...]
            ) -> pl.DataFrame:
    """Bucket rows (or deltas) summed over the dimensions not in `dims` (a narrow rollup),
    zero rows dropped."""
    if rows.is_empty():
        return rows.select(*dims, *counters)
    out = rows.group_by(list(dims)).agg([pl.col(c).sum() for c in counters])
    return out.filter(pl.any_horizontal([pl.col(c) != 0 for c in counters]))


def _local(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC).astimezone(TZ)


def _utc(local: datetime) -> datetime:
    return local.astimezone(UTC).replace(tzinfo=None)


def _day_ceil(dt: datetime) -> datetime:
    loc = _local(dt)
    floor = loc.replace(hour=0, minute=0, second=0, microsecond=0)
    return _utc(floor if floor == loc else floor + timedelta(days=1))


def _day_floor(dt: datetime) -> datetime:
    return _utc(_local(dt).replace(hour=0, minute=0, second=0, microsecond=0))


def _month_ceil(dt: datetime) -> datetime:
    loc = _local(dt)
    floor = loc.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if floor == loc:
        return _utc(floor)
    nxt = floor.replace(year=floor.year + floor.month // 12, month=floor.month % 12 + 1)
    return _utc(nxt)


def _month_floor(dt: datetime) -> datetime:
    return _utc(_local(dt).replace(day=1, hour=0, minute=0, second=0, microsecond=0))


def spans(start: datetime, end: datetime, coarsest: str = "month"
          ) -> list[tuple[str, datetime, datetime]]:
    """[start, end) (naive UTC, whole hours) as (grain, start, end) pieces that together cover
    it exactly once: whole local months, then whole local days, then hours at the edges.
    `coarsest` = "hour" | "day" | "month" caps the grain (a daily chart needs days)."""
    if coarsest == "hour" or end - start < MIN_ROLLUP:
        return [("hour", start, end)] if end > start else []
    d0, d1 = _day_ceil(start), _day_floor(end)
    if d1 <= d0:
        return [("hour", start, end)]
    middle: list[tuple[str, datetime, datetime]] = [("day", d0, d1)]
    if coarsest == "month":
        m0, m1 = _month_ceil(d0), _month_floor(d1)
        if m0 < m1:
            middle = [("day", d0, m0), ("month", m0, m1), ("day", m1, d1)]
    pieces = [("hour", start, d0), *middle, ("hour", d1, end)]
    return [p for p in pieces if p[2] > p[1]]
