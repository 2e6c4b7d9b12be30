"""Dossier state transitions of the aggregator (pure Polars; no Kafka, no SQL): the entity row
a dossier's newest event leaves, and the bucket counters a set of dossier states contributes."""

from __future__ import annotations

import polars as pl

from ioc.db.columns import DOSSIER_COUNTERS, DOSSIER_DIMS
from ioc.dossiers.lifecycle import effective_due
from ioc.kpis.buckets import blank, bucket_schema, hour_of
from ioc.reference.calendar import MINUTE_US, office_times

OPEN_DOSSIER = ("received", "in_progress", "supplement")

ENTITY_COLS = (
    "dossier_id", "seq", "status", "province_code", "ward_code", "agency_code", "agency_name",
    "procedure_code", "procedure_name", "sector", "level", "channel", "online_mode",
    "received_at", "due_at", "completed_at", "closed_at", "digitized", "e_result", "fee_vnd",
    "paid_online", "rating", "applicant_kind", "is_open",
    "due_at_legal", "supplement_requested_at", "supplement_received_at", "online_eligible",
    "proc_minutes",
)

def _lifecycle_columns(df: pl.DataFrame) -> pl.DataFrame:
    """Effective deadline (moved by a finished supplement pause) and net processing minutes.
    Office times are computed column-wise; only paused dossiers (a few percent) go through
    the Python deadline arithmetic."""
    req, rec = office_times(df["supplement_requested_at"]), office_times(
        df["supplement_received_at"])
    pause = (rec - req).clip(lower_bound=0).fill_null(0)
    resumed_before_result = (df["supplement_received_at"] <= df["completed_at"]).fill_null(False)
    total = office_times(df["completed_at"]) - office_times(df["received_at"])
    net = total - pl.Series(pause * resumed_before_result.cast(pl.Int64))
    minutes = ((net + MINUTE_US // 2) // MINUTE_US).clip(lower_bound=0)
    minutes = pl.DataFrame({"m": minutes, "done": df["status"] == "completed"}).select(
        pl.when(pl.col("done")).then(pl.col("m"))).to_series()
    paused = (pause > 0).arg_true().to_list()
    due = df["due_at"].to_list()
    req_at, rec_at = df["supplement_requested_at"], df["supplement_received_at"]
    for i in paused:
        due[i] = effective_due(due[i], req_at[i], rec_at[i])
    return df.with_columns(
        pl.col("due_at").alias("due_at_legal"),
        pl.Series("due_at", due, dtype=pl.Datetime("us")),
        minutes.cast(pl.Int64).alias("proc_minutes"),
    )


def entities(events: pl.DataFrame, old: pl.DataFrame) -> pl.DataFrame:
    """New entity rows from the latest event per dossier (already filtered to newer seq)."""
    t = pl.col("type")
    old_closed = old.select("dossier_id", pl.col("closed_at").alias("_old_closed"))
    df = events.join(old_closed, on="dossier_id", how="left")
    waiting = (pl.col("supplement_requested_at").is_not_null()
               & pl.col("supplement_received_at").is_null())
    ended = pl.col("status").is_in(["returned", "cancelled"]).fill_null(False)
    status = (
        pl.when(t.is_in(["returned", "cancelled"])).then(t)
        .when(pl.col("completed_at").is_not_null()).then(pl.lit("completed"))
        # A rating after a return or cancellation: the event says which (older producers
        # that omit `status` are taken as returned, the common case).
        .when(t == "rated").then(pl.when(ended).then(pl.col("status"))
                                 .otherwise(pl.lit("returned")))
        .when((t == "supplement_requested") | waiting).then(pl.lit("supplement"))
        .when(t == "received").then(pl.lit("received"))
        .otherwise(pl.lit("in_progress"))
    )
    closed_at = (
        pl.when(pl.col("completed_at").is_not_null()).then(pl.col("completed_at"))
        .when(t.is_in(["returned", "cancelled"])).then(pl.coalesce("closed_at", "occurred_at"))
        # Without `closed_at` a rating can only keep the stored close time, or use its own.
        .when(t == "rated").then(pl.coalesce("closed_at", "_old_closed", "occurred_at"))
        .otherwise(None)
    )
    df = df.with_columns(status.alias("status"), closed_at.alias("closed_at"))
    df = _lifecycle_columns(df).with_columns(
        pl.col("status").is_in(OPEN_DOSSIER).alias("is_open"),
        *[blank(c) for c in ("ward_code", "agency_code", "procedure_code", "sector", "level",
                          "channel")],
    )
    return df.select(ENTITY_COLS)


def contributions(states: pl.DataFrame) -> pl.DataFrame:
    """Bucket counters one set of dossier states contributes (one row per bucket touch)."""
    if states.is_empty():
        return pl.DataFrame(schema=bucket_schema(DOSSIER_DIMS, DOSSIER_COUNTERS))
    dims = [blank(d) for d in DOSSIER_DIMS if d != "hour"]
    zero = {c: pl.lit(0, pl.Int64) for c in DOSSIER_COUNTERS}
    fee = pl.col("fee_vnd").fill_null(0) > 0
    eligible = pl.col("online_eligible").fill_null(True)  # unknown counts as eligible
    received = states.select(
        hour_of("received_at").alias("hour"), *dims,
        **{**zero,
           "received": pl.lit(1, pl.Int64),
           "received_online": (pl.col("channel") == "online").cast(pl.Int64),
           "received_full_online": (pl.col("online_mode") == "full").fill_null(False)
           .cast(pl.Int64),
           "received_digitized": pl.col("digitized").fill_null(False).cast(pl.Int64),
           "received_eligible": eligible.cast(pl.Int64),
           "received_online_eligible": (eligible & (pl.col("channel") == "online"))
           .cast(pl.Int64),
           "fee_bearing": fee.cast(pl.Int64),
           "paid_online": (fee & pl.col("paid_online").fill_null(False)).cast(pl.Int64)},
    )
    done = states.filter(pl.col("status") == "completed").select(
        hour_of("completed_at").alias("hour"), *dims,
        **{**zero,
           "completed": pl.lit(1, pl.Int64),
           "completed_on_time": (pl.col("completed_at") <= pl.col("due_at")).cast(pl.Int64),
           "completed_e_result": pl.col("e_result").fill_null(False).cast(pl.Int64),
           "proc_hours_sum": ((pl.col("completed_at") - pl.col("received_at"))
                              .dt.total_hours()).cast(pl.Int64),
           "proc_minutes_sum": pl.col("proc_minutes").fill_null(0).cast(pl.Int64),
           "rated": pl.col("rating").is_not_null().cast(pl.Int64),
           "rated_satisfied": (pl.col("rating") == "satisfied").fill_null(False)
           .cast(pl.Int64)},
    )
    ended = states.filter(pl.col("status").is_in(["returned", "cancelled"])).select(
        hour_of("closed_at").alias("hour"), *dims,
        **{**zero,
           "returned": (pl.col("status") == "returned").cast(pl.Int64),
           "cancelled": (pl.col("status") == "cancelled").cast(pl.Int64),
           "rated": pl.col("rating").is_not_null().cast(pl.Int64),
           "rated_satisfied": (pl.col("rating") == "satisfied").fill_null(False)
           .cast(pl.Int64)},
    )
    return pl.concat([received, done, ended], how="vertical")
