"""Every feedback (PAKN) KPI from bucket sums + report rows (pure Polars; no SQL).

`feedback_scorecard(buckets, reports, period bounds, at, near_limit, by)` returns one row per
group of `by` (none = one row) with every feedback KPI as a column (ioc.kpis.feedback_kpis
documents them):

- window counters (received, responded, closed, closed_on_time, rated, rated_satisfied) are
  the bucket sums of the window;
- state figures (open, overdue, near-due, backlog age bands) are evaluated at instant `at`
  from the report rows, which keep receipt and close times, so a past window has its own
  backlog;
- times to first response and to close are per-report working days (office time on the
  Vietnamese calendar) of the reports responded / closed in ``[start, end)``; p90 is the
  exact nearest rank, as for dossiers. Each report's office microseconds are stored with its
  state (response_us, close_us: ioc.feedback.transitions.office_durations), so they come in
  as `times` rows (TIME_COLUMNS), not recomputed per report.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from ioc.db.columns import FEEDBACK_COUNTERS
from ioc.kpis.feedback_kpis import AGE_BANDS
from ioc.kpis.scorecard import ALL, counter_sums, group_keys, ratio, with_all
from ioc.reference.calendar import DAY_US, office_time, office_times

REPORT_COLUMNS = ("feedback_id", "received_at", "due_at", "responded_at", "closed_at")
STATE_COUNTS = ("open", "overdue_open", "near_due",
                *(f"backlog_age_{band}" for band, _ in AGE_BANDS))
DURATIONS = ("response_days", "close_days")
# `times` rows, per group and duration (`kind`, a DURATIONS name): how many reports, the sum
# and the nearest-rank p90 of their office microseconds (ceil(0.9·n)-th smallest).
TIME_COLUMNS = ("kind", "n", "total_us", "p90_us")


def working_days(start: pl.Series, end: pl.Series) -> pl.Series:
    """Working days (8 office hours each) from `start` to `end`, per row; null stays null."""
    return ((office_times(end) - office_times(start)) / DAY_US).alias("days")


def age_band(age: pl.Expr) -> pl.Expr:
    """The age band code ('0_3', '4_7', '8_15', 'over_15') of an age in working days."""
    expr: pl.Expr = pl.lit(AGE_BANDS[-1][0])
    # Built from the oldest band down, so the first bound that holds wins.
    for band, upper in reversed(AGE_BANDS[:-1]):
        assert upper is not None
        expr = pl.when(age <= upper).then(pl.lit(band)).otherwise(expr)
    return expr


def state_at(reports: pl.DataFrame, at: datetime, near_limit: datetime) -> pl.DataFrame:
    """Flags of each report at instant `at` (naive UTC): open, overdue, near-due, age band."""
    is_open = (pl.col("received_at") < at) & (pl.col("closed_at").is_null()
                                              | (pl.col("closed_at") >= at))
    # `at`'s office time once, not per row of a column repeating it (office_times of the
    # receipts alone: half of the ages' cost). The same integers, so the same floats.
    at_office = office_time(at.replace(tzinfo=UTC))
    age = ((at_office - office_times(reports["received_at"])) / DAY_US).alias("days")
    return reports.with_columns(is_open.alias("open"), age.alias("_age")).with_columns(
        (pl.col("open") & (pl.col("due_at") < at)).alias("overdue_open"),
        (pl.col("open") & (pl.col("due_at") >= at) & (pl.col("due_at") <= near_limit))
        .alias("near_due"),
        *[(pl.col("open") & (age_band(pl.col("_age")) == band)).alias(f"backlog_age_{band}")
          for band, _ in AGE_BANDS],
    )


def _durations(times: pl.DataFrame, by: list[str], kind: str) -> pl.DataFrame:
    """Mean and nearest-rank p90 working days of the `kind` rows of `times`."""
    keys = group_keys(by)
    done = with_all(times.filter((pl.col("kind") == kind) & (pl.col("n") > 0)), by)
    # A column divided by a scalar, as the per-report working days always were (Polars
    # multiplies by the reciprocal there: the same float to the last bit as before 0020).
    return done.select(
        *keys, (pl.col("total_us") / pl.col("n") / DAY_US).alias(f"{kind}_mean"),
        (done["p90_us"] / DAY_US).alias(f"{kind}_p90"))


def feedback_scorecard(buckets: pl.DataFrame, reports: pl.DataFrame, start: datetime,
                       end: datetime, at: datetime, near_limit: datetime,
                       by: list[str] | None = None, times: pl.DataFrame | None = None
                       ) -> pl.DataFrame:
    """`buckets`: feedback bucket rows (or partial sums) of the scope and window; `reports`:
    report rows of the scope (REPORT_COLUMNS + `by`) that may be open at `at` (others are
    ignored); `times`: `by` + TIME_COLUMNS, one row per group and kind, of the reports first
    responded ("response_days") and closed ("close_days") in ``[start, end)``. Without
    `times` the times to response and to close are null (not computed: a long window's
    breakdowns and the backlog show none)."""
    by = list(by or [])
    keys = group_keys(by)
    sums = counter_sums(buckets, by, FEEDBACK_COUNTERS)
    # Only the reports open at `at` carry a state flag: the ages (office time per row) are
    # computed for them, not for every report responded or closed in a long window.
    open_at = (pl.col("received_at") < at) & (pl.col("closed_at").is_null()
                                              | (pl.col("closed_at") >= at))
    e = with_all(state_at(reports.filter(open_at), at, near_limit), by)
    flags = e.group_by(keys).agg([pl.col(c).sum() for c in STATE_COUNTS])
    out = sums.join(flags, on=keys, how="full", coalesce=True)
    for kind in DURATIONS:
        if times is None:
            out = out.with_columns(pl.lit(None, pl.Float64).alias(f"{kind}_{stat}")
                                   for stat in ("mean", "p90"))
            continue
        out = out.join(_durations(times, by, kind), on=keys, how="full", coalesce=True)
    counts = [*FEEDBACK_COUNTERS, *STATE_COUNTS]
    out = out.with_columns([pl.col(c).fill_null(0).cast(pl.Int64) for c in counts])
    out = out.with_columns(
        ratio("closed_on_time", "closed").alias("on_time_rate"),
        ratio("rated_satisfied", "rated").alias("satisfaction_rate"),
    )
    return out.drop(ALL) if not by else out.sort(by)
