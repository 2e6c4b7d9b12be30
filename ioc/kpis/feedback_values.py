"""Feedback (PAKN) KPI values from the SQL state (the I/O half; the arithmetic is in
ioc.kpis.feedback_scorecard). Scopes: province, commune, agency, category, or several joined
by ',' (e.g. 'agency:SXD-25,category:giao thông')."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Engine, Table, and_, func, or_, select

from ioc.db import schema as s
from ioc.db.columns import FEEDBACK_COUNTERS
from ioc.kpis.catalogue import BY_CODE
from ioc.kpis.feedback_kpis import AGE_BAND_LABELS, AGE_BANDS, FEEDBACK_KPIS
from ioc.kpis.feedback_scorecard import REPORT_COLUMNS, feedback_scorecard
from ioc.kpis.values import KpiValue, near_due_limit, scope_filter, utc_naive
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


def _frame(engine: Engine, q, schema: dict[str, Any]) -> pl.DataFrame:  # noqa: ANN001
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(q)]
    return pl.DataFrame(rows, schema=schema, orient="row")


def feedback_bucket_sums(engine: Engine, scope: str, start: datetime, end: datetime,
                         by: list[str]) -> pl.DataFrame:
    """Feedback counters of the scope summed in SQL over ``[start, end)`` per group of `by`."""
    t = s.feedback_buckets
    q = (select(*[t.c[c] for c in by], *[func.sum(t.c[c]).label(c) for c in FEEDBACK_COUNTERS])
         .where(_where(t, scope), t.c.hour >= start, t.c.hour < end)
         .group_by(*[t.c[c] for c in by]).having(func.count() > 0))
    return _frame(engine, q, {**{c: pl.String for c in by},
                              **{c: pl.Int64 for c in FEEDBACK_COUNTERS}})


def report_frame(engine: Engine, scope: str, start: datetime, end: datetime, at: datetime,
                 by: list[str]) -> pl.DataFrame:
    """Reports of the scope open at `at`, or responded / closed in ``[start, end)``."""
    f = s.feedback
    cols = [*REPORT_COLUMNS, *[c for c in by if c not in REPORT_COLUMNS]]
    open_at = and_(f.c.received_at < at, or_(f.c.closed_at.is_(None), f.c.closed_at >= at))
    q = select(*[f.c[c] for c in cols]).where(
        _where(f, scope),
        or_(open_at, and_(f.c.responded_at >= start, f.c.responded_at < end),
            and_(f.c.closed_at >= start, f.c.closed_at < end)))
    return _frame(engine, q, {c: (pl.Datetime("us") if c.endswith("_at") else pl.String)
                              for c in cols})


def feedback_card(engine: Engine, scope: str, period: Period, now: datetime | None = None,
                  by: list[str] | None = None) -> pl.DataFrame:
    """Every feedback KPI of `scope` over `period`, one row per group of `by`."""
    by = list(by or [])
    at = min(period.end, utc_naive(now))
    return feedback_scorecard(
        feedback_bucket_sums(engine, scope, period.start, period.end, by),
        report_frame(engine, scope, period.start, period.end, at, by),
        period.start, period.end, at, near_due_limit(at), by)


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
    cur = _row(feedback_card(engine, scope, period, now))
    prev = _row(feedback_card(engine, scope, period.previous(), now)) if with_previous else {}
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
    back = period.previous()
    for dim in ("channel", "category"):
        now_by = feedback_bucket_sums(engine, scope, period.start, period.end, [dim])
        before_by = (feedback_bucket_sums(engine, scope, back.start, back.end, [dim])
                     if with_previous else now_by.clear())
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
    cur = feedback_card(engine, scope, period, now, [by])
    prev = feedback_card(engine, scope, period.previous(), now, [by]).select(
        by, pl.col("on_time_rate").alias("previous_on_time_rate"))
    out = cur.join(prev, on=by, how="left").rename(
        {"rated_satisfied": "satisfied", "overdue_open": "overdue"})
    return out.select(by, *BREAKDOWN_COLUMNS).sort(by)


def feedback_state_count(engine: Engine, scope: str, at: datetime, column: str) -> int:
    """One state count of the scope at instant `at` (naive UTC): open, overdue_open,
    near_due or backlog_age_* (burst rules compare it with the same instant of past weeks)."""
    return int(_row(feedback_card(engine, scope, Period(at, at, "now"), at)).get(column) or 0)


def backlog_age(engine: Engine, scope: str, at: datetime | None = None) -> pl.DataFrame:
    """Open reports of `scope` at instant `at` (default now) per age band in working days:
    band ('≤ 3', '4–7', '8–15', '> 15', always all four, in order) and count."""
    when = utc_naive(at)
    card = _row(feedback_card(engine, scope, Period(when, when, "now"), when))
    return pl.DataFrame(
        {"band": [AGE_BAND_LABELS[b] for b, _ in AGE_BANDS],
         "count": [int(card.get(f"backlog_age_{b}") or 0) for b, _ in AGE_BANDS]},
        schema={"band": pl.String, "count": pl.Int64})
