"""Feedback (PAKN) state transitions of the aggregator (pure Polars; no Kafka, no SQL)."""

from __future__ import annotations

import polars as pl

from ioc.db.columns import FEEDBACK_COUNTERS, FEEDBACK_DIMS
from ioc.kpis.buckets import blank, bucket_schema, hour_of
from ioc.reference.calendar import office_times

OPEN_FEEDBACK = ("received", "assigned", "responded")

ENTITY_COLS = (
    "feedback_id", "seq", "status", "province_code", "ward_code", "ward_code_reason", "channel",
    "category",
    "agency_code", "text", "lat", "lon", "received_at", "due_at", "responded_at", "closed_at",
    "rating", "is_open", "response_us", "close_us",
)

def entities(events: pl.DataFrame, old: pl.DataFrame) -> pl.DataFrame:
    t = pl.col("type")
    status = (
        pl.when(pl.col("status").is_not_null()).then(pl.col("status"))
        .when(t == "rated").then(pl.lit("closed"))
        .otherwise(t)
    )
    df = events.with_columns(status.alias("status")).with_columns(
        pl.when(pl.col("status") == "closed")
        .then(pl.coalesce("closed_at", "occurred_at")).otherwise(pl.col("closed_at"))
        .alias("closed_at"),
        pl.when(pl.col("status").is_in(["responded", "closed"]))
        .then(pl.coalesce("responded_at", "closed_at", "occurred_at"))
        .otherwise(pl.col("responded_at")).alias("responded_at"),
    )
    df = df.with_columns(
        pl.col("status").is_in(OPEN_FEEDBACK).alias("is_open"),
        *[blank(c) for c in ("ward_code", "channel", "category", "agency_code")],
    )
    return df.with_columns(office_durations(df)).select(ENTITY_COLS)


def office_durations(states: pl.DataFrame) -> list[pl.Series]:
    """response_us and close_us: office microseconds (working hours on the Vietnamese
    calendar) from receipt to first response and to close, null while there is none. They
    depend on the report's own times only (not on "now", nor on the SLA rules: the deadline
    is a stored time), so they are kept with its state; the KPI tiles sum and rank them."""
    received = office_times(states["received_at"])
    return [(office_times(states["responded_at"]) - received).alias("response_us"),
            (office_times(states["closed_at"]) - received).alias("close_us")]


def contributions(states: pl.DataFrame) -> pl.DataFrame:
    if states.is_empty():
        return pl.DataFrame(schema=bucket_schema(FEEDBACK_DIMS, FEEDBACK_COUNTERS))
    dims = [blank(d) for d in FEEDBACK_DIMS if d != "hour"]
    zero = {c: pl.lit(0, pl.Int64) for c in FEEDBACK_COUNTERS}
    received = states.select(hour_of("received_at").alias("hour"), *dims,
                             **{**zero, "received": pl.lit(1, pl.Int64)})
    responded = states.filter(pl.col("responded_at").is_not_null()).select(
        hour_of("responded_at").alias("hour"), *dims, **{**zero, "responded": pl.lit(1, pl.Int64)})
    closed = states.filter(pl.col("status") == "closed").select(
        hour_of("closed_at").alias("hour"), *dims,
        **{**zero,
           "closed": pl.lit(1, pl.Int64),
           "closed_on_time": (pl.col("closed_at") <= pl.col("due_at")).cast(pl.Int64),
           "rated": pl.col("rating").is_not_null().cast(pl.Int64),
           "rated_satisfied": (pl.col("rating") == "satisfied").fill_null(False)
           .cast(pl.Int64)},
    )
    return pl.concat([received, responded, closed], how="vertical")
