"""Additive hourly buckets, the shared half of every stream's transitions (pure Polars).

Entity events are state-carrying, so the newest `seq` per entity is its truth. Buckets are
additive: when an entity moves from old state S0 to new state S1, the aggregator adds
contributions(S1) − contributions(S0). Replays, duplicates and out-of-order events therefore
cannot double-count: an event whose seq is not newer than the stored one changes nothing.
"""

from __future__ import annotations

import polars as pl


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
