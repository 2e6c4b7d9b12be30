"""Backtest a rule over the stored history: how many times, and when, would it have fired?

The rule's KPI is computed at every whole hour of the last `days` days exactly as the live
evaluator computes it at that instant (same windows, same scorecard), and the same lifecycle
`step` replays the transitions. Dossier KPIs read the buckets and the dossier rows once and
slice them in memory (720 instants in about a second); other KPIs are computed per instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl
from sqlalchemy import DateTime, Engine, func, or_, select

from ioc.alerts.bursts import burst_reading
from ioc.alerts.lifecycle import FIRE, Status, step
from ioc.alerts.rules import Rule
from ioc.db import schema as s
from ioc.kpis.catalogue import BY_CODE
from ioc.kpis.feedback_values import feedback_kpis
from ioc.kpis.scorecard import ENTITY_COLUMNS, scorecard
from ioc.kpis.values import compute_kpis, near_due_limit, scope_filter
from ioc.kpis.windows import WINDOW_NAMES, resolve


@dataclass(frozen=True)
class BacktestResult:
    firings: list[datetime]  # naive UTC instants of each "fire" transition
    series: pl.DataFrame  # hour, value, state

    @property
    def count(self) -> int:
        return len(self.firings)


def instants(now: datetime, days: int) -> list[datetime]:
    """Whole hours (naive UTC) of the last `days` days, oldest first, ending at now's hour."""
    n = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
    last = n.replace(minute=0, second=0, microsecond=0)
    return [last - timedelta(hours=h) for h in range(days * 24 - 1, -1, -1)]


def _hourly_sums(engine: Engine, scope: str, start: datetime, end: datetime) -> pl.DataFrame:
    t = s.dossier_buckets
    q = (select(t.c.hour, *[func.sum(t.c[c]).label(c) for c in s.DOSSIER_COUNTERS])
         .where(scope_filter(t, scope), t.c.hour >= start, t.c.hour < end).group_by(t.c.hour))
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(q)]
    return pl.DataFrame(rows, schema={"hour": pl.Datetime("us"),
                                      **{c: pl.Int64 for c in s.DOSSIER_COUNTERS}},
                        orient="row")


def _dossier_rows(engine: Engine, scope: str, start: datetime, end: datetime) -> pl.DataFrame:
    """Every dossier that may be open, or completed, somewhere in [start, end)."""
    d = s.dossiers
    times = {c.name for c in d.columns if isinstance(c.type, DateTime)}
    q = select(*[d.c[c] for c in ENTITY_COLUMNS]).where(
        scope_filter(d, scope), d.c.received_at < end,
        or_(d.c.closed_at.is_(None), d.c.closed_at >= start))
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(q)]
    return pl.DataFrame(rows, schema={c: (pl.Datetime("us") if c in times else pl.Int64
                                          if c == "proc_minutes" else pl.String)
                                      for c in ENTITY_COLUMNS}, orient="row")


def dossier_values(engine: Engine, rule: Rule, hours: list[datetime]) -> list[float | None]:
    column = BY_CODE[rule.kpi].column
    periods = [resolve(rule.window, t.replace(tzinfo=UTC)) for t in hours]
    lo = min(p.start for p in periods)
    hi = max(p.end for p in periods)
    sums = _hourly_sums(engine, rule.scope, lo, hi)
    rows = _dossier_rows(engine, rule.scope, lo, hi)
    out: list[float | None] = []
    for t, p in zip(hours, periods, strict=True):
        at = min(p.end, t)
        b = sums.filter((pl.col("hour") >= p.start) & (pl.col("hour") < p.end)).drop("hour")
        done = rows.filter((pl.col("status") == "completed") & (pl.col("completed_at") >= p.start)
                           & (pl.col("completed_at") < p.end)).select("proc_minutes")
        card = scorecard(b, rows, done, at, near_due_limit(at), [])
        value = card[column][0] if card.height else None
        if value is None and BY_CODE[rule.kpi].unit == "count":
            value = 0
        out.append(value)
    return out


def backtest(engine: Engine, rule: Rule, now: datetime | None = None,
             days: int = 30) -> BacktestResult:
    if rule.window not in WINDOW_NAMES or rule.window == "custom":
        raise ValueError(f"window: {rule.window!r} cannot be backtested")
    hours = instants(now or datetime.now(UTC), days)
    limits: list[float | None] = [None] * len(hours)
    if rule.kind == "burst":
        readings = [burst_reading(engine, rule, t) for t in hours]
        values: list[float | None] = [float(v) for v, _ in readings]
        limits = [lim for _, lim in readings]
    elif rule.kpi.startswith("dossier."):
        values = dossier_values(engine, rule, hours)
    elif rule.kpi.startswith("feedback."):  # feedback KPIs only, without the dossiers' cost
        values = [next(k.value for k in feedback_kpis(
            engine, rule.scope, resolve(rule.window, t.replace(tzinfo=UTC)),
            t.replace(tzinfo=UTC), with_previous=False) if k.kpi == rule.kpi and not k.by)
            for t in hours]
    else:
        values = [next((k.value for k in compute_kpis(engine, rule.scope, rule.window,
                                                      t.replace(tzinfo=UTC),
                                                      with_previous=False)
                        if k.kpi == rule.kpi and not k.by), None) for t in hours]
    status, firings, states = Status(), [], []
    for t, v, lim in zip(hours, values, limits, strict=True):
        status, transition = step(rule, status, v, t, lim)
        if transition == FIRE:
            firings.append(t)
        states.append(status.state)
    series = pl.DataFrame({"hour": hours, "value": values, "limit": limits, "state": states},
                          schema={"hour": pl.Datetime("us"), "value": pl.Float64,
                                  "limit": pl.Float64, "state": pl.String})
    return BacktestResult(firings, series)
