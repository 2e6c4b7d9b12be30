"""What the reminders ask of the feedback state: open reports past their deadline or within one
working day of it (the same horizon as dossiers). Texts are left out: only codes and times."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from sqlalchemy import ColumnElement, Engine, Select, and_, func, select, union_all

from ioc.db import schema as s
from ioc.events.redact import redact_frame
from ioc.feedback.hotspots import RESOLUTION, with_cells
from ioc.kpis.catalogue import parse_scope
from ioc.kpis.values import (
    _rows_frame,
    bucket_parts,
    near_due_limit,
    scope_filter,
    summed_parts,
    utc_naive,
)
from ioc.kpis.windows import Period
from ioc.reference.calendar import DAY_US, TZ, office_times

COLUMNS = ("feedback_id", "agency_code", "ward_code", "channel", "category", "received_at",
           "due_at")


def deadline_list(engine: Engine, scope: str, now: datetime | None = None) -> pl.DataFrame:
    """Open feedback with due_at ≤ one working day from now; `state` = overdue | near_due."""
    at = utc_naive(now)
    f = s.feedback
    where = and_(scope_filter(f, scope), f.c.is_open.is_(True),
                 f.c.due_at <= near_due_limit(at))
    q = select(*[f.c[c] for c in COLUMNS]).where(where).order_by(f.c.due_at, f.c.feedback_id)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(q)]
    schema = {c: pl.Datetime("us") if c.endswith("_at") else pl.String for c in COLUMNS}
    df = pl.DataFrame(rows, schema=schema, orient="row")
    return df.with_columns(
        pl.when(pl.col("due_at") < at).then(pl.lit("overdue")).otherwise(pl.lit("near_due"))
        .alias("state"))


# ------------------------------------------------------------ the Feedback page's own reads
# (hotspots, the report list, the channel trend, drill-down options; the KPI figures and the
# breakdowns are ioc.kpis.feedback_values')

REPORT_COLUMNS = ("feedback_id", "status", "ward_code", "agency_code", "channel", "category",
                  "received_at", "due_at", "responded_at", "closed_at", "rating", "lat", "lon",
                  "text")
_FLOATS = ("lat", "lon")
# What the report list shows and exports (ioc.ui.feedback.tables.report_frame): no
# coordinates, rating or response time — 4 of 14 columns fewer through the DB-API for 5,000
# rows (≈17 % of the list's read).
LIST_COLUMNS = tuple(c for c in REPORT_COLUMNS
                     if c not in ("lat", "lon", "rating", "responded_at"))


def _where(scope: str, category: str | None) -> ColumnElement[bool]:
    f = s.feedback
    where = scope_filter(f, scope)
    if where is None:
        raise ValueError(f"scope: {scope!r} cannot be applied to feedback")
    return and_(where, f.c.category == category) if category else where


def _report_frame(engine: Engine, where: ColumnElement[bool], limit: int | None = None
                  ) -> pl.DataFrame:
    f = s.feedback
    return _reports(engine, _newest(select(*[f.c[c] for c in REPORT_COLUMNS]).where(where),
                                    limit))


def _newest(q: Select, limit: int | None) -> Select:
    f = s.feedback
    q = q.order_by(f.c.received_at.desc(), f.c.feedback_id)
    return q.limit(limit) if limit else q


def _reports(engine: Engine, q: Select, columns: tuple[str, ...] = REPORT_COLUMNS
             ) -> pl.DataFrame:
    schema = {c: pl.Datetime("us") if c.endswith("_at") else pl.Float64 if c in _FLOATS
              else pl.String for c in columns}
    return _rows_frame(engine, q, schema)


def received_reports(engine: Engine, scope: str, start: datetime, end: datetime,
                     category: str | None = None) -> pl.DataFrame:
    """Reports of the scope received in [start, end) (REPORT_COLUMNS), what
    ioc.feedback.hotspots counts."""
    f = s.feedback
    return _report_frame(engine, and_(_where(scope, category), f.c.received_at >= start,
                                      f.c.received_at < end))


def with_age(reports: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """Adds `age_days`: working days from receipt to `at` (naive UTC), or to closing for a
    closed report; redacts `text` again (it was redacted before Kafka; the screen and the
    files must never be the first place personal data shows)."""
    until = reports.select(pl.coalesce("closed_at", pl.lit(at, pl.Datetime("us")))
                           .clip(upper_bound=pl.lit(at, pl.Datetime("us"))))["closed_at"]
    age = (office_times(until) - office_times(reports["received_at"])) / DAY_US
    return redact_texts(reports).with_columns(age.round(2).alias("age_days"))


# Texts this process has redacted already, raw → redacted: the report list is read again at
# every refresh, and the windows' lists share their newest reports, so each row's text went
# through every rule again (redact_frame: ≈10 µs a row, 5,000 rows a list). Redaction is a
# function of the text alone; the memo starts afresh past _REDACTED_MAX entries (bounded RSS).
_REDACTED: dict[str, str] = {}
_REDACTED_MAX = 50_000


def redact_texts(reports: pl.DataFrame) -> pl.DataFrame:
    """`reports` with `text` redacted (ioc.events.redact.redact_frame), each distinct text
    not seen before in this process redacted once."""
    if "text" not in reports.columns:
        return reports
    memo = _REDACTED
    raw = reports["text"].to_list()
    # One look per row: another session may clear the memo meanwhile.
    texts = [None if t is None else memo.get(t) for t in raw]
    fresh = list(dict.fromkeys(t for t, c in zip(raw, texts, strict=True)
                               if t is not None and c is None))
    if fresh:
        clean = redact_frame(pl.DataFrame({"text": fresh}, schema={"text": pl.String}))
        done = dict(zip(fresh, clean["text"].to_list(), strict=True))
        if len(memo) + len(done) > _REDACTED_MAX:
            memo.clear()
        memo.update(done)
        texts = [done[t] if c is None and t is not None else c
                 for t, c in zip(raw, texts, strict=True)]
    return reports.with_columns(pl.Series("text", texts, dtype=pl.String))


def report_list(engine: Engine, scope: str, period: Period, category: str | None = None,
                now: datetime | None = None, limit: int = 5000) -> pl.DataFrame:
    """The drill-down's last level: reports of the scope received in the window or still open
    at its end, newest first: LIST_COLUMNS with `age_days` and `state` (overdue | open |
    closed).

    Read as disjoint index ranges, not one OR (which scanned every report received before
    the end when fewer than `limit` matched): the newest `limit` received in the window
    (ix_feedback_received, backwards, no sort); then, only when fewer came, the newest of
    those received before it (and before `at`: all older than the first part's) still open
    or closed at or after `at` (two ranges of ix_feedback_closed_open)."""
    at = min(period.end, utc_naive(now))
    f = s.feedback
    where = _where(scope, category)
    sel = select(*[f.c[c] for c in LIST_COLUMNS])
    listed = _reports(engine, _newest(sel.where(where, f.c.received_at >= period.start,
                                                f.c.received_at < period.end), limit),
                      LIST_COLUMNS)
    if not limit or listed.height < limit:
        before = min(at, period.start)
        older = union_all(sel.where(where, f.c.closed_at.is_(None), f.c.received_at < before),
                          sel.where(where, f.c.closed_at >= at, f.c.received_at < before)
                          ).subquery()
        q = select(*older.c).order_by(older.c.received_at.desc(), older.c.feedback_id)
        listed = pl.concat([listed, _reports(
            engine, q.limit(limit - listed.height) if limit else q, LIST_COLUMNS)])
    return with_state(with_age(listed, at), at)


def with_state(reports: pl.DataFrame, at: datetime) -> pl.DataFrame:
    closed = pl.col("closed_at").is_not_null() & (pl.col("closed_at") <= at)
    return reports.with_columns(
        pl.when(closed).then(pl.lit("closed"))
        .when(pl.col("due_at") < at).then(pl.lit("overdue"))
        .otherwise(pl.lit("open")).alias("state"))


def cell_reports(engine: Engine, scope: str, cell: str, start: datetime, end: datetime,
                 category: str | None = None, now: datetime | None = None,
                 resolution: int = RESOLUTION) -> pl.DataFrame:
    """The reports of one H3 cell received in [start, end): redacted text, channel,
    category, age, due, status."""
    at = min(end, utc_naive(now))
    located = with_cells(received_reports(engine, scope, start, end, category), resolution)
    return with_state(with_age(located.filter(pl.col("cell") == cell).drop("cell"), at), at)


def channel_trend(engine: Engine, scope: str, period: Period, category: str | None = None,
                  every: str = "1d") -> pl.DataFrame:
    """Reports received per (bucket, channel), buckets of `every` ('1h' or '1d') in local
    time (naive Vietnam wall clock, as charts show it), from the hourly buckets; daily
    buckets read whole local days from the day rollup (a day row's `hour` is its local
    midnight, so it truncates to its own day)."""
    parts = []
    need = {*parse_scope(scope), "channel", *(["category"] if category else [])}
    for b, a, z in bucket_parts(s.feedback_buckets, period.start, period.end,
                                "day" if every == "1d" else "hour", need):
        where = scope_filter(b, scope)
        if where is None:
            raise ValueError(f"scope: {scope!r} cannot be applied to feedback")
        if category:
            where = and_(where, b.c.category == category)
        parts.append(select(b.c.hour, b.c.channel, func.sum(b.c.received).label("received"))
                     .where(where, b.c.hour >= a, b.c.hour < z)
                     .group_by(b.c.hour, b.c.channel))
    q = union_all(*parts) if len(parts) > 1 else parts[0]
    with engine.connect() as conn:  # a few rows per day: SQLAlchemy's cached compilation
        rows = [tuple(r) for r in conn.execute(q)]
    df = pl.DataFrame(rows, schema={"hour": pl.Datetime("us"), "channel": pl.String,
                                    "received": pl.Int64}, orient="row")
    local = (pl.col("hour").dt.replace_time_zone("UTC").dt.convert_time_zone(str(TZ))
             .dt.replace_time_zone(None).dt.truncate(every).alias("bucket"))
    return (df.filter(pl.col("received") > 0).with_columns(local)
            .group_by("bucket", "channel").agg(pl.col("received").sum())
            .sort("bucket", "channel"))


def feedback_options(engine: Engine, scope: str, period: Period, column: str) -> list[str]:
    """Codes of `column` (ward_code, agency_code, category) with reports in the scope: received
    in the window (its bucket sums, from the narrowest rollups holding the column) or still
    open (an old overdue one counts too)."""
    f = s.feedback
    received = summed_parts(s.feedback_buckets, lambda t: scope_filter(t, scope), period.start,
                            period.end, [column], ("received",),
                            need={*parse_scope(scope), column})
    still_open = select(f.c[column]).distinct().where(_where(scope, None),
                                                      f.c.is_open.is_(True))
    with engine.connect() as conn:
        codes = {r[0] for r in conn.execute(received) if r[1]}
        codes |= {r[0] for r in conn.execute(still_open)}
    return sorted(c for c in codes if c)
