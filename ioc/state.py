"""Pure state transitions of the aggregator (Polars only; no Kafka, no SQL).

Entity events are state-carrying, so the newest `seq` per entity is its truth. Buckets are
additive: when an entity moves from old state S0 to new state S1, the aggregator adds
contributions(S1) − contributions(S0). Replays, duplicates and out-of-order events therefore
cannot double-count: an event whose seq is not newer than the stored one changes nothing.
"""

from __future__ import annotations

import polars as pl

from ioc.db.schema import (
    DOSSIER_COUNTERS,
    DOSSIER_DIMS,
    FEEDBACK_COUNTERS,
    FEEDBACK_DIMS,
    SOCIAL_COUNTERS,
    SOCIAL_DIMS,
)

OPEN_DOSSIER = ("received", "in_progress", "supplement")
OPEN_FEEDBACK = ("received", "assigned", "responded")

DOSSIER_ENTITY_COLS = (
    "dossier_id", "seq", "status", "province_code", "ward_code", "agency_code", "agency_name",
    "procedure_code", "procedure_name", "sector", "level", "channel", "online_mode",
    "received_at", "due_at", "completed_at", "closed_at", "digitized", "e_result", "fee_vnd",
    "paid_online", "rating", "applicant_kind", "is_open",
    "due_at_legal", "supplement_requested_at", "supplement_received_at", "online_eligible",
    "proc_minutes",
)
FEEDBACK_ENTITY_COLS = (
    "feedback_id", "seq", "status", "province_code", "ward_code", "channel", "category",
    "agency_code", "text", "lat", "lon", "received_at", "due_at", "responded_at", "closed_at",
    "rating", "is_open",
)


def latest_per_entity(events: pl.DataFrame, key: str) -> pl.DataFrame:
    """Keep the highest-seq event per entity within one batch."""
    return events.sort("seq").unique(subset=[key], keep="last", maintain_order=True)


def _hour(col: str) -> pl.Expr:
    return pl.col(col).dt.truncate("1h")


def _s(col: str) -> pl.Expr:
    return pl.col(col).fill_null("")


# ---------------------------------------------------------------- dossiers

def _lifecycle_columns(df: pl.DataFrame) -> pl.DataFrame:
    """Effective deadline (moved by a finished supplement pause) and net processing minutes.
    Office times are computed column-wise; only paused dossiers (a few percent) go through
    the Python deadline arithmetic."""
    from ioc.calendar import office_times
    from ioc.lifecycle import MINUTE_US, effective_due

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


def dossier_entities(events: pl.DataFrame, old: pl.DataFrame) -> pl.DataFrame:
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
        *[_s(c) for c in ("ward_code", "agency_code", "procedure_code", "sector", "level",
                          "channel")],
    )
    return df.select(DOSSIER_ENTITY_COLS)


def dossier_contributions(states: pl.DataFrame) -> pl.DataFrame:
    """Bucket counters one set of dossier states contributes (one row per bucket touch)."""
    if states.is_empty():
        return pl.DataFrame(schema=_bucket_schema(DOSSIER_DIMS, DOSSIER_COUNTERS))
    dims = [_s(d) for d in DOSSIER_DIMS if d != "hour"]
    zero = {c: pl.lit(0, pl.Int64) for c in DOSSIER_COUNTERS}
    fee = pl.col("fee_vnd").fill_null(0) > 0
    eligible = pl.col("online_eligible").fill_null(True)  # unknown counts as eligible
    received = states.select(
        _hour("received_at").alias("hour"), *dims,
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
        _hour("completed_at").alias("hour"), *dims,
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
        _hour("closed_at").alias("hour"), *dims,
        **{**zero,
           "returned": (pl.col("status") == "returned").cast(pl.Int64),
           "cancelled": (pl.col("status") == "cancelled").cast(pl.Int64),
           "rated": pl.col("rating").is_not_null().cast(pl.Int64),
           "rated_satisfied": (pl.col("rating") == "satisfied").fill_null(False)
           .cast(pl.Int64)},
    )
    return pl.concat([received, done, ended], how="vertical")


# ---------------------------------------------------------------- feedback

def feedback_entities(events: pl.DataFrame) -> pl.DataFrame:
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
        *[_s(c) for c in ("ward_code", "channel", "category", "agency_code")],
    )
    return df.select(FEEDBACK_ENTITY_COLS)


def feedback_contributions(states: pl.DataFrame) -> pl.DataFrame:
    if states.is_empty():
        return pl.DataFrame(schema=_bucket_schema(FEEDBACK_DIMS, FEEDBACK_COUNTERS))
    dims = [_s(d) for d in FEEDBACK_DIMS if d != "hour"]
    zero = {c: pl.lit(0, pl.Int64) for c in FEEDBACK_COUNTERS}
    received = states.select(_hour("received_at").alias("hour"), *dims,
                             **{**zero, "received": pl.lit(1, pl.Int64)})
    responded = states.filter(pl.col("responded_at").is_not_null()).select(
        _hour("responded_at").alias("hour"), *dims, **{**zero, "responded": pl.lit(1, pl.Int64)})
    closed = states.filter(pl.col("status") == "closed").select(
        _hour("closed_at").alias("hour"), *dims,
        **{**zero,
           "closed": pl.lit(1, pl.Int64),
           "closed_on_time": (pl.col("closed_at") <= pl.col("due_at")).cast(pl.Int64),
           "rated": pl.col("rating").is_not_null().cast(pl.Int64),
           "rated_satisfied": (pl.col("rating") == "satisfied").fill_null(False)
           .cast(pl.Int64)},
    )
    return pl.concat([received, responded, closed], how="vertical")


# ---------------------------------------------------------------- social

def enrich_posts(events: pl.DataFrame) -> pl.DataFrame:
    """Sentiment and topic from title + text (pure functions in ioc.sentiment)."""
    from ioc.sentiment import score as sentiment_score
    from ioc.sentiment import topic as sentiment_topic

    body = pl.concat_str([pl.col("title").fill_null(""), pl.col("text").fill_null("")],
                         separator=" ")
    return events.with_columns(
        body.map_elements(sentiment_score, return_dtype=pl.Float64).alias("sentiment"),
        body.map_elements(sentiment_topic, return_dtype=pl.String).alias("topic"),
    )


def social_contributions(posts: pl.DataFrame) -> pl.DataFrame:
    if posts.is_empty():
        return pl.DataFrame(schema=_bucket_schema(SOCIAL_DIMS, SOCIAL_COUNTERS))
    from ioc.sentiment import label as sentiment_label

    lab = pl.col("sentiment").map_elements(sentiment_label, return_dtype=pl.String)
    eng = pl.col("engagement")
    return posts.with_columns(lab.alias("_label")).select(
        _hour("published_at").alias("hour"),
        *[_s(d) for d in SOCIAL_DIMS if d != "hour"],
        posts=pl.lit(1, pl.Int64),
        negative=(pl.col("_label") == "negative").cast(pl.Int64),
        positive=(pl.col("_label") == "positive").cast(pl.Int64),
        neutral=(pl.col("_label") == "neutral").cast(pl.Int64),
        engagement=(eng.struct.field("likes").fill_null(0) + eng.struct.field("shares")
                    .fill_null(0) + eng.struct.field("comments").fill_null(0)).fill_null(0),
    )


# ---------------------------------------------------------------- shared

def _bucket_schema(dims: tuple[str, ...], counters: tuple[str, ...]) -> dict:
    return {**{d: (pl.Datetime("us") if d == "hour" else pl.String) for d in dims},
            **{c: pl.Int64 for c in counters}}


def bucket_delta(plus: pl.DataFrame, minus: pl.DataFrame, dims: tuple[str, ...],
                 counters: tuple[str, ...]) -> pl.DataFrame:
    """contributions(new) − contributions(old), summed per bucket, zero rows dropped."""
    schema = _bucket_schema(dims, counters)
    frames = [plus.cast(schema)]  # type: ignore[arg-type]
    if not minus.is_empty():
        frames.append(minus.cast(schema).with_columns(  # type: ignore[arg-type]
            [(-pl.col(c)).alias(c) for c in counters]))
    df = pl.concat(frames, how="vertical")
    if df.is_empty():
        return df
    out = df.group_by(list(dims)).agg([pl.col(c).sum() for c in counters])
    return out.filter(pl.any_horizontal([pl.col(c) != 0 for c in counters]))
