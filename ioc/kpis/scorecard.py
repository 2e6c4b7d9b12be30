"""The dossier scorecard (766 index, DESIGN.md §5) from hourly buckets + entity state (pure).

`scorecard(buckets, entities, completions, at, near_limit, by)` returns one row per group of
`by` (none = one row) with every dossier KPI as a column; `ioc.kpis.catalogue` documents them.

- Window counters are sums of bucket rows whose hour is in ``[start, end)``.
- State figures (open, paused, overdue, near-due) are evaluated at instant `at` (the end of
  the window, or now if earlier) from entity rows, which keep receipt, close and supplement
  times: so the previous period's backlog is known too, not only today's.
- The p90 processing time uses the per-dossier times of the dossiers completed in the window
  (`completions`), exact nearest rank; or the caller passes it per group (`p90`, computed by
  the database with the same definition: ioc.kpis.values.p90_frame).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ioc.db.columns import DOSSIER_COUNTERS
from ioc.reference.calendar import DAY_MINUTES

ALL = "_all"

ENTITY_COLUMNS = ("dossier_id", "status", "received_at", "closed_at", "completed_at", "due_at",
                  "due_at_legal", "supplement_requested_at", "supplement_received_at",
                  "proc_minutes")
P90_COLUMN = "_p90_minutes"


def state_at(entities: pl.DataFrame, at: datetime, near_limit: datetime) -> pl.DataFrame:
    """Flags of each dossier at instant `at` (naive UTC): open, paused, overdue, near_due,
    and the deadline that applied then."""
    req, rec = pl.col("supplement_requested_at"), pl.col("supplement_received_at")
    is_open = (pl.col("received_at") < at) & (pl.col("closed_at").is_null()
                                              | (pl.col("closed_at") >= at))
    paused = is_open & req.is_not_null() & (req < at) & (rec.is_null() | (rec >= at))
    # Before the supplement came back, the deadline was still the one without the pause.
    due = (pl.when(rec.is_not_null() & (rec < at)).then(pl.col("due_at"))
           .otherwise(pl.coalesce("due_at_legal", "due_at")))
    return entities.with_columns(is_open.alias("_open"), paused.alias("_paused"),
                                 due.alias("_due")).with_columns(
        (pl.col("_open") & ~pl.col("_paused") & (pl.col("_due") < at)).alias("_overdue"),
        (pl.col("_open") & ~pl.col("_paused") & (pl.col("_due") >= at)
         & (pl.col("_due") <= near_limit)).alias("_near_due"),
    )


def group_keys(by: list[str]) -> list[str]:
    """The group-by keys of `by`; none → one group (ALL), so one code path serves both."""
    return by or [ALL]


def with_all(df: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    return df if by else df.with_columns(pl.lit("").alias(ALL))


def counter_sums(buckets: pl.DataFrame, by: list[str], counters: tuple[str, ...]
                 ) -> pl.DataFrame:
    """Bucket counters summed per group of `by` (typed and empty when there are no rows)."""
    keys = group_keys(by)
    b = with_all(buckets, by)
    if not b.height:
        return pl.DataFrame(schema={**{k: pl.String for k in keys},
                                    **{c: pl.Int64 for c in counters}})
    return b.group_by(keys).agg([pl.col(c).sum() for c in counters])


def ratio(num: str, den: str) -> pl.Expr:
    return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).otherwise(None)


def nearest_rank_p90(completions: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Per group of `by`: the ceil(0.9·n)-th smallest proc_minutes (exact nearest rank), as
    `by` + P90_COLUMN; groups without a time are absent."""
    keys = group_keys(by)
    done = with_all(completions, by).filter(pl.col("proc_minutes").is_not_null())
    out = done.group_by(keys).agg(
        pl.col("proc_minutes").sort()
        .get((pl.len() * 0.9).ceil().cast(pl.Int64) - 1).alias(P90_COLUMN))
    return out if by else out.drop(ALL)


def state_counts(entities: pl.DataFrame, at: datetime, near_limit: datetime, by: list[str]
                 ) -> pl.DataFrame:
    """Per group of `by` of the entity rows: STATE_COUNTS, state_at's flags summed (the
    database sums the same over the dossiers open at `at`: ioc.kpis.values.state_frame)."""
    e = with_all(state_at(entities, at, near_limit), by)
    flags = e.group_by(group_keys(by)).agg(
        pl.col("_open").sum().alias("in_progress"),
        pl.col("_paused").sum().alias("paused"),
        pl.col("_overdue").sum().alias("overdue"),
        pl.col("_near_due").sum().alias("near_due"),
    )
    return flags if by else flags.drop(ALL)


def scorecard(buckets: pl.DataFrame, entities: pl.DataFrame | None,
              completions: pl.DataFrame | None, at: datetime, near_limit: datetime,
              by: list[str] | None = None, p90: pl.DataFrame | None = None,
              states: pl.DataFrame | None = None) -> pl.DataFrame:
    """`buckets`: dossier bucket rows (or partial sums) of the scope and window; `entities`:
    dossier rows of the scope that may be open at `at` (others are ignored), or None when
    `states` gives the state counts per group (`by` + STATE_COUNTS, see state_counts);
    `completions`: `by` columns + proc_minutes of the dossiers completed in the window, or
    None when `p90` gives the p90 per group (`by` + P90_COLUMN, see nearest_rank_p90)."""
    by = list(by or [])
    keys = group_keys(by)
    if p90 is None:
        if completions is None:
            raise ValueError("scorecard needs completions or p90")
        p90 = nearest_rank_p90(completions, by)
    if states is None:
        if entities is None:
            raise ValueError("scorecard needs entities or states")
        states = state_counts(entities, at, near_limit, by)
    sums = counter_sums(buckets, by, DOSSIER_COUNTERS)
    flags = with_all(states.cast({c: pl.Int64 for c in STATE_COUNTS}), by)
    p90 = with_all(p90.cast({P90_COLUMN: pl.Int64}), by)
    out = (sums.join(flags, on=keys, how="full", coalesce=True)
           .join(p90, on=keys, how="full", coalesce=True))
    out = derive(out)
    return out.drop(ALL) if not by else out.sort(by)


STATE_COUNTS = ("in_progress", "paused", "overdue", "near_due")


def derive(out: pl.DataFrame) -> pl.DataFrame:
    """Every KPI column from a frame of counter sums, state counts (STATE_COUNTS) and
    P90_COLUMN, one row per group (the scorecard's arithmetic; the backtest calls it with one
    row per instant)."""
    counts = [*DOSSIER_COUNTERS, *STATE_COUNTS]
    out = out.with_columns([pl.col(c).fill_null(0).cast(pl.Int64) for c in counts])
    out = out.with_columns(
        (pl.col("completed") - pl.col("completed_on_time")).alias("completed_late"),
        (pl.col("completed_on_time") + pl.col("in_progress") - pl.col("overdue"))
        .alias("on_time_num"),
        (pl.col("completed") + pl.col("in_progress")).alias("on_time_den"),
    )
    out = out.with_columns(
        ratio("on_time_num", "on_time_den").alias("on_time_rate"),
        ratio("received_online", "received").alias("online_rate"),
        ratio("received_online_eligible", "received_eligible").alias("online_eligible_rate"),
        ratio("received_full_online", "received").alias("full_online_rate"),
        ratio("received_digitized", "received").alias("digitization_rate"),
        ratio("completed_e_result", "completed").alias("e_result_rate"),
        ratio("paid_online", "fee_bearing").alias("online_payment_rate"),
        ratio("rated_satisfied", "rated").alias("satisfaction_rate"),
        pl.when(pl.col("completed") > 0)
        .then(pl.col("proc_minutes_sum") / pl.col("completed") / DAY_MINUTES)
        .otherwise(None).alias("processing_days_mean"),
        (pl.col(P90_COLUMN) / DAY_MINUTES).alias("processing_days_p90"),
    )
    out = out.with_columns(
        (20 * pl.col("on_time_rate")).alias("score_progress"),
        (12 * pl.col("online_eligible_rate")).alias("score_online"),
        (10 * pl.col("online_payment_rate")).alias("score_payment"),
        (11 * pl.col("digitization_rate") + 11 * pl.col("e_result_rate"))
        .alias("score_digitization"),
        # clip keeps a null rate null (min_horizontal would turn it into full points).
        (18 * (pl.col("satisfaction_rate") / 0.9).clip(upper_bound=1.0))
        .alias("score_satisfaction"),
    )
    groups = ["score_progress", "score_online", "score_payment", "score_digitization",
              "score_satisfaction"]
    out = out.with_columns(
        pl.sum_horizontal([pl.col(g).fill_null(0) for g in groups]).alias("score_total"))
    return out.drop(P90_COLUMN)


def rank(current: pl.DataFrame, previous: pl.DataFrame, key: str,
         score: str = "score_total") -> pl.DataFrame:
    """Rank groups by `score` (ties: on-time rate, then received, then code) with movement
    against the previous period: + = climbed, − = fell, null = not ranked before."""

    def ranked(df: pl.DataFrame) -> pl.DataFrame:
        df = df.filter((pl.col("received") > 0) | (pl.col("on_time_den") > 0))
        df = df.sort([score, "on_time_rate", "received", key],
                     descending=[True, True, True, False], nulls_last=True)
        return df.with_columns(pl.int_range(1, df.height + 1).alias("rank"))

    cur = ranked(current)
    prev = ranked(previous).select(key, pl.col("rank").alias("previous_rank"),
                                   pl.col(score).alias(f"previous_{score}"))
    out = cur.join(prev, on=key, how="left")
    return out.with_columns((pl.col("previous_rank") - pl.col("rank")).alias("movement"))
