"""What the Dossiers page, the reminders and the CLI ask of the dossier state: rankings with
movement, breakdowns, daily trends, the overdue/near-due list and the drill-down list.

No personal data exists in these tables (events are redacted before Kafka; the dossier rows
carry codes, names of procedures and agencies, and times only).
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Engine, and_, or_, select, union

from ioc.db import schema as s
from ioc.dossiers import name_store
from ioc.kpis.catalogue import parse_scope
from ioc.kpis.scorecard import rank
from ioc.kpis.values import (
    _rows_frame,
    bucket_parts,
    bucket_sums,
    dossier_scorecard,
    near_due_limit,
    scope_filter,
    utc_naive,
)
from ioc.kpis.windows import Period
from ioc.reference.calendar import DAY_MINUTES, MINUTE_US, TZ, office_time

BREAKDOWN_DIMS = {
    "ward_code": ("Xã/phường", "Commune"),
    "agency_code": ("Cơ quan", "Agency"),
    "sector": ("Lĩnh vực", "Sector"),
    "procedure_code": ("Thủ tục", "Procedure"),
    "channel": ("Kênh nộp", "Channel"),
    "level": ("Cấp", "Level"),
}

NO_P90 = "processing_days_p90"  # the column breakdowns and rankings leave out


def breakdown(engine: Engine, scope: str, period: Period, dim: str,
              now: datetime | None = None) -> pl.DataFrame:
    """The scorecard per value of one dimension (sector, procedure, channel, level…), without
    the p90 processing time (a tile of the whole scope; per group it would read every
    completion of the window)."""
    if dim not in BREAKDOWN_DIMS:
        raise ValueError(f"dimension must be one of {list(BREAKDOWN_DIMS)}, got {dim!r}")
    return dossier_scorecard(engine, scope, period, now, by=[dim], with_p90=False).drop(
        NO_P90)


def rankings(engine: Engine, scope: str, period: Period, dim: str,
             now: datetime | None = None) -> pl.DataFrame:
    """Communes (dim=ward_code) or agencies (dim=agency_code) ranked on the computable 766
    total, with movement against the previous equal period (the p90 processing time is not
    ranked and not computed, as in `breakdown`)."""
    cur = dossier_scorecard(engine, scope, period, now, by=[dim], with_p90=False).drop(NO_P90)
    prev = dossier_scorecard(engine, scope, period.previous(), now, by=[dim],
                             with_p90=False).drop(NO_P90)
    return rank(cur.filter(pl.col(dim) != ""), prev.filter(pl.col(dim) != ""), dim)


def daily_trend(engine: Engine, scope: str, period: Period) -> pl.DataFrame:
    """Per local day: received, completed, completed on time, online (for the trend charts)."""
    # Summed in SQL per hour at the edges and per whole day from the daily rollup; only the
    # four counters drawn (summing all of them took twice as long over a year of days).
    schema = {"day": pl.Date, "received": pl.Int64, "completed": pl.Int64,
              "completed_on_time": pl.Int64, "received_online": pl.Int64}
    df = bucket_sums(engine, scope, period.start, period.end, ["hour"], coarsest="day",
                     counters=tuple(list(schema)[1:]))
    if df.is_empty():
        return pl.DataFrame(schema=schema)
    local = pl.col("hour").dt.replace_time_zone("UTC").dt.convert_time_zone(str(TZ))
    return (df.with_columns(local.dt.date().alias("day"))
            .group_by("day").agg([pl.col(c).sum() for c in list(schema)[1:]])
            .sort("day").cast(schema))  # type: ignore[arg-type]


LIST_COLUMNS = ("dossier_id", "status", "procedure_code", "procedure_name", "sector",
                "agency_code", "agency_name", "ward_code", "level", "channel", "received_at",
                "due_at", "completed_at", "closed_at", "supplement_requested_at",
                "supplement_received_at", "rating")


def _frame(engine: Engine, where, limit: int | None = None) -> pl.DataFrame:  # noqa: ANN001
    d = s.dossiers
    q = select(*[d.c[c] for c in LIST_COLUMNS]).where(where).order_by(d.c.due_at,
                                                                      d.c.dossier_id)
    if limit:
        q = q.limit(limit)
    times = {c.name for c in d.columns if c.name in LIST_COLUMNS and "DateTime" in
             type(c.type).__name__}
    schema = {c: pl.Datetime("us") if c in times else pl.String for c in LIST_COLUMNS}
    # DB-API rows, datetimes parsed column-wise (per row through SQLAlchemy they cost more
    # than the query for a few thousand dossiers).
    return _rows_frame(engine, q, schema)


def _working_days(a: list[datetime | None], b: datetime) -> list[float | None]:
    bb = office_time(b.replace(tzinfo=UTC))
    return [None if x is None else
            round((bb - office_time(x.replace(tzinfo=UTC))) / MINUTE_US / DAY_MINUTES, 2)
            for x in a]


def deadline_list(engine: Engine, scope: str, now: datetime | None = None) -> pl.DataFrame:
    """Open dossiers past their deadline or within one working day of it, most late first.
    Columns add `state` (overdue | near_due), `age_days` (working days since receipt) and
    `late_days` (working days past the deadline; negative = time left)."""
    at = utc_naive(now)
    limit = near_due_limit(at)
    d = s.dossiers
    # Paused dossiers (waiting for the applicant) are neither late nor near due.
    not_paused = and_(d.c.status != "supplement",
                      or_(d.c.supplement_requested_at.is_(None),
                          d.c.supplement_received_at.is_not(None)))
    where = and_(scope_filter(d, scope), d.c.is_open.is_(True), d.c.due_at <= limit,
                 not_paused)
    df = _frame(engine, where)
    if df.is_empty():
        return df.with_columns(pl.lit(None, pl.String).alias("state"),
                               pl.lit(None, pl.Float64).alias("age_days"),
                               pl.lit(None, pl.Float64).alias("late_days"))
    return df.with_columns(
        pl.when(pl.col("due_at") < at).then(pl.lit("overdue")).otherwise(pl.lit("near_due"))
        .alias("state"),
        pl.Series("age_days", _working_days(df["received_at"].to_list(), at),
                  dtype=pl.Float64),
        pl.Series("late_days", _working_days(df["due_at"].to_list(), at), dtype=pl.Float64),
    ).sort(["late_days", "dossier_id"], descending=[True, False])


def dossier_list(engine: Engine, scope: str, period: Period, now: datetime | None = None,
                 limit: int = 5000) -> pl.DataFrame:
    """The drill-down's last level: dossiers of the scope received in the window or still
    open at its end (no personal data)."""
    at = min(period.end, utc_naive(now))
    d = s.dossiers
    # Three disjunct ranges, so each takes an index (open at `at`: the still-open ones and
    # the closures since `at`, as state_frame reads them); "received before `at`" alone
    # was a range over the whole history.
    where = and_(scope_filter(d, scope),
                 or_(and_(d.c.received_at >= period.start, d.c.received_at < period.end),
                     and_(d.c.closed_at.is_(None), d.c.received_at < at),
                     and_(d.c.closed_at >= at, d.c.received_at < at)))
    return _frame(engine, where, limit)


def scope_options(engine: Engine, scope: str, period: Period, column: str) -> list[str]:
    """Codes of `column` (ward_code, agency_code, procedure_code) with data in the scope:
    buckets of the window, plus dossiers still open (an old overdue one counts too)."""
    d = s.dossiers
    q = union(
        *[select(b.c[column]).where(scope_filter(b, scope), b.c.hour >= start, b.c.hour < end)
          for b, start, end in bucket_parts(s.dossier_buckets, period.start, period.end,
                                            need={*parse_scope(scope), column})],
        select(d.c[column]).where(scope_filter(d, scope), d.c.is_open.is_(True)),
    )
    with engine.connect() as conn:
        return sorted({r[0] for r in conn.execute(q) if r[0]})


def code_names(engine: Engine, province_code: str) -> dict[str, dict[str, str]]:
    """{'agency_code': {code: name}, 'procedure_code': {code: name}} as the dossiers carry
    them, read from the names table the aggregator keeps (no scan of the dossiers)."""
    return name_store.code_names(engine, province_code)


def local_time(col: str) -> pl.Expr:
    """A naive-UTC column shown in Asia/Ho_Chi_Minh."""
    return pl.col(col).dt.replace_time_zone("UTC").dt.convert_time_zone(str(TZ))


