"""Feedback (PAKN) KPI values from the SQL state (the I/O half; the arithmetic is in
ioc.kpis.feedback_scorecard). Scopes: province, commune, agency, category, or several joined
by ',' (e.g. 'agency:SXD-25,category:giao thông')."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Engine,
    Table,
    and_,
    cast,
    func,
    literal,
    select,
    union_all,
)

from ioc.db import schema as s
from ioc.db.columns import FEEDBACK_COUNTERS
from ioc.kpis.catalogue import BY_CODE, parse_scope
from ioc.kpis.feedback_kpis import AGE_BAND_LABELS, AGE_BANDS, FEEDBACK_KPIS
from ioc.kpis.feedback_scorecard import REPORT_COLUMNS, feedback_scorecard
from ioc.kpis.feedback_times import province_times
from ioc.kpis.open_bound import bounded_read
from ioc.kpis.scorecard import ratio
from ioc.kpis.values import (
    KpiValue,
    _rows_frame,
    _rows_on,
    near_due_limit,
    scope_filter,
    summed_parts,
    utc_naive,
)
from ioc.kpis.windows import Period

BREAKDOWNS = ("channel", "category", "agency_code", "ward_code")
BREAKDOWN_COLUMNS = ("received", "closed", "closed_on_time", "on_time_rate", "rated",
                     "satisfied", "satisfaction_rate", "open", "overdue",
                     "previous_on_time_rate")


def _where(table: Table, scope: str) -> ColumnElement[bool]:
    where = scope_filter(table, scope)
    if where is None:
        raise ValueError(f"scope {scope!r} does not apply to feedback "
                         "(province, commune, agency or category)")
    return where


def feedback_bucket_sums(engine: Engine, scope: str, start: datetime, end: datetime,
                         by: list[str]) -> pl.DataFrame:
    """Feedback counters of the scope summed in SQL over ``[start, end)`` per group of `by`;
    whole local months and days come from the narrowest day and month rollups holding the
    scope's and `by`'s columns, hours at the edges."""
    schema = {**{c: pl.String for c in by}, **{c: pl.Int64 for c in FEEDBACK_COUNTERS}}
    if start >= end:  # an instant (the backlog, a state count): no bucket, no query
        return pl.DataFrame(schema=schema)
    q = summed_parts(s.feedback_buckets, lambda t: _where(t, scope), start, end, by,
                     FEEDBACK_COUNTERS, need={*parse_scope(scope), *by})
    # A few rows: SQLAlchemy's cached compilation costs less than the DB-API read's own.
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(q)]
    return pl.DataFrame(rows, schema=schema, orient="row")


# Reports open at an instant, shared within a `shared_reports` block: a Feedback page draw
# asks for them at its window's end four times (the tiles, both breakdowns, the backlog).
_SHARED_REPORTS: ContextVar[dict[Any, pl.DataFrame] | None] = ContextVar("shared_reports",
                                                                          default=None)


@contextmanager
def shared_reports(store: dict[Any, pl.DataFrame] | None = None) -> Iterator[None]:
    """Within the block, report_frame reads the reports open at an instant once per (engine,
    scope, instant) with every BREAKDOWNS column into `store` (a fresh one by default) and
    serves each grouping from it. The caller vouches that the rows do not change
    meanwhile: one page draw, or a store keyed on the committed aggregator batch
    (ioc.ui.feedback.loaders)."""
    token = _SHARED_REPORTS.set({} if store is None else store)
    try:
        yield
    finally:
        _SHARED_REPORTS.reset(token)


def report_frame(engine: Engine, scope: str, at: datetime, by: list[str]) -> pl.DataFrame:
    """Reports of the scope open at `at`: received before it and still open, or closed at or
    after it (REPORT_COLUMNS + `by`). Inside `shared_reports`, from the block's one read."""
    cols = [*REPORT_COLUMNS, *[c for c in by if c not in REPORT_COLUMNS]]
    store = _SHARED_REPORTS.get()
    if store is None or not set(by) <= set(BREAKDOWNS):
        return _report_read(engine, scope, at, cols)
    key = (engine, scope, at)
    shared = store.get(key)
    if shared is None:
        shared = store[key] = _report_read(engine, scope, at, [*REPORT_COLUMNS, *BREAKDOWNS])
    return shared.select(cols)


def _report_read(engine: Engine, scope: str, at: datetime, cols: list[str]) -> pl.DataFrame:
    """report_frame's read: two disjoint index ranges on ix_feedback_closed_open under
    UNION ALL, the closures since `at` read only up to `at` + the longest time any report of
    the scope's province (of any, for a scope without one) stayed open
    (ioc.kpis.open_bound.bounded_read)."""
    f = s.feedback
    where = and_(_where(f, scope), f.c.received_at < at)
    sel = select(*[f.c[c] for c in cols])
    schema = {c: (pl.Datetime("us") if c.endswith("_at") else pl.String) for c in cols}

    def read(until: datetime | None) -> pl.DataFrame:
        since = f.c.closed_at >= at
        if until is not None:
            since = and_(since, f.c.closed_at < until)
        return _rows_on(conn, union_all(sel.where(where, f.c.closed_at.is_(None)),
                                        sel.where(where, since)), schema)

    with engine.connect() as conn:
        return bounded_read(conn, s.feedback_open_bound,
                            parse_scope(scope).get("province_code"), at, read)


def times_frame(engine: Engine, scope: str, start: datetime, end: datetime, by: list[str]
                ) -> pl.DataFrame:
    """`by` + TIME_COLUMNS of the scope's reports first responded in ``[start, end)`` (kind
    "response_days", from their stored response_us) and closed in it ("close_days",
    close_us): per group the count, the sum and the nearest-rank p90 (the ceil(0.9·n)-th
    smallest) of the office microseconds. A province's totals come from the histogram of
    ioc.kpis.feedback_times when the window holds a whole local day; otherwise they are
    ranked in SQL (at province scope one range of ix_feedback_responded /
    ix_feedback_closed_open each, the durations being their last columns)."""
    filters = parse_scope(scope)
    if not by and list(filters) == ["province_code"]:  # the histogram, when it applies
        with engine.connect() as conn:
            stored = province_times(conn, filters["province_code"], start, end)
        if stored is not None:
            return stored
    f = s.feedback
    where = _where(f, scope)
    keys = [f.c[c] for c in by]
    parts = []
    for kind, us, at in (("response_days", f.c.response_us, f.c.responded_at),
                         ("close_days", f.c.close_us, f.c.closed_at)):
        part = keys or None
        ranked = select(
            *keys, us.label("office_us"),
            func.row_number().over(partition_by=part, order_by=us).label("rank"),
            func.count().over(partition_by=part).label("n"),
            func.sum(us).over(partition_by=part).label("total"),
        ).where(where, at >= start, at < end).subquery()
        parts.append(select(
            *[ranked.c[c] for c in by], literal(kind).label("kind"), ranked.c.n,
            cast(ranked.c.total, BigInteger).label("total_us"),
            ranked.c.office_us.label("p90_us"),
        ).where(ranked.c.rank == (ranked.c.n * 9 + 9) // 10))  # ceil(0.9·n)
    return _rows_frame(engine, union_all(*parts), {**{c: pl.String for c in by},
                                                   "kind": pl.String, "n": pl.Int64,
                                                   "total_us": pl.Int64, "p90_us": pl.Int64})


def feedback_card(engine: Engine, scope: str, period: Period, now: datetime | None = None,
                  by: list[str] | None = None, durations: bool = True,
                  sums: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every feedback KPI of `scope` over `period`, one row per group of `by`. Without
    `durations` the times to response and to close are left null and not read (a long
    window's breakdowns and the backlog show none). `sums`: the window's bucket sums when
    the caller has read them already (finer groups are summed to `by`)."""
    by = list(by or [])
    at = min(period.end, utc_naive(now))
    return feedback_scorecard(
        feedback_bucket_sums(engine, scope, period.start, period.end, by) if sums is None
        else sums,
        report_frame(engine, scope, at, by), period.start, period.end, at, near_due_limit(at),
        by, times=(times_frame(engine, scope, period.start, period.end, by) if durations
                   else None))


def _row(df: pl.DataFrame) -> dict[str, Any]:
    return df.row(0, named=True) if df.height else {}


def _value(row: dict[str, Any], col: str, unit: str) -> float | int | None:
    v = row.get(col)
    if unit == "count":
        return int(v or 0)
    return None if v is None else float(v)


def feedback_kpis(engine: Engine, scope: str, period: Period, now: datetime | None = None,
                  targets: dict[str, float | None] | None = None,
                  with_previous: bool = True) -> list[KpiValue]:
    """Every feedback KPI of `scope` over `period` with the previous equal period; received
    also per channel and per category (`by`)."""
    back = period.previous()
    # One bucket read per period, per channel × category: the tiles' totals and the
    # received-by-channel and by-category rows below all come from it.
    dims = ["channel", "category"]
    now_both = feedback_bucket_sums(engine, scope, period.start, period.end, dims)
    before_both = (feedback_bucket_sums(engine, scope, back.start, back.end, dims)
                   if with_previous else now_both.clear())
    cur = _row(feedback_card(engine, scope, period, now, sums=now_both))
    prev = (_row(feedback_card(engine, scope, back, now, sums=before_both))
            if with_previous else {})
    out = []
    for k in FEEDBACK_KPIS:
        value = _value(cur, k.column, k.unit)
        before = _value(prev, k.column, k.unit) if with_previous else None
        out.append(KpiValue(
            k.code, scope, period.window if k.windowed else "now", value,
            int(cur.get(k.num) or 0) if k.num else None,
            int(cur.get(k.den) or 0) if k.den else None,
            k.label_vi, k.label_en, k.unit, previous=before,
            change=None if value is None or before is None else value - before,
            target=(targets or {}).get(k.code, k.target)))
    k = BY_CODE["feedback.received"]
    for dim in dims:
        now_by = now_both.group_by(dim).agg(pl.col("received").sum())
        before_by = before_both.group_by(dim).agg(pl.col("received").sum())
        was = dict(zip(before_by[dim], before_by["received"], strict=True))
        for code, n in sorted(zip(now_by[dim], now_by["received"], strict=True)):
            if not n:
                continue
            before = int(was.get(code) or 0) if with_previous else None
            out.append(KpiValue(k.code, scope, period.window, int(n), label_vi=k.label_vi,
                                label_en=k.label_en, unit=k.unit, by={dim: code},
                                previous=before,
                                change=None if before is None else int(n) - before))
    return out


def feedback_breakdown(engine: Engine, scope: str, period: Period, by: str,
                       now: datetime | None = None) -> pl.DataFrame:
    """One row per value of `by` (channel | category | agency_code | ward_code) with received,
    closed, closed_on_time, on_time_rate, rated, satisfied, satisfaction_rate, open, overdue
    and the previous period's on_time_rate (for the ranking's movement)."""
    if by not in BREAKDOWNS:
        raise ValueError(f"by must be one of {list(BREAKDOWNS)}, got {by!r}")
    cur = feedback_card(engine, scope, period, now, [by], durations=False)
    back = period.previous()  # its on-time rate only: the bucket sums alone
    prev = feedback_bucket_sums(engine, scope, back.start, back.end, [by]).select(
        by, ratio("closed_on_time", "closed").alias("previous_on_time_rate"))
    out = cur.join(prev, on=by, how="left").rename(
        {"rated_satisfied": "satisfied", "overdue_open": "overdue"})
    return out.select(by, *BREAKDOWN_COLUMNS).sort(by)


def feedback_state_count(engine: Engine, scope: str, at: datetime, column: str) -> int:
    """One state count of the scope at instant `at` (naive UTC): open, overdue_open,
    near_due or backlog_age_* (burst rules compare it with the same instant of past weeks)."""
    return int(_row(feedback_card(engine, scope, Period(at, at, "now"), at, durations=False))
               .get(column) or 0)


def backlog_age(engine: Engine, scope: str, at: datetime | None = None) -> pl.DataFrame:
    """Open reports of `scope` at instant `at` (default now) per age band in working days:
    band ('≤ 3', '4–7', '8–15', '> 15', always all four, in order) and count."""
    when = utc_naive(at)
    card = _row(feedback_card(engine, scope, Period(when, when, "now"), when, durations=False))
    return pl.DataFrame(
        {"band": [AGE_BAND_LABELS[b] for b, _ in AGE_BANDS],
         "count": [int(card.get(f"backlog_age_{b}") or 0) for b, _ in AGE_BANDS]},
        schema={"band": pl.String, "count": pl.Int64})
