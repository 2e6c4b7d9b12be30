"""Backtest a rule over the stored history: how many times, and when, would it have fired?

The rule's KPI is computed at every whole hour of the last `days` days exactly as the live
evaluator computes it at that instant (same windows, same scorecard), and the same lifecycle
`step` replays the transitions. Dossier KPIs read the hourly sums and the dossier rows once:
window counters are differences of running sums, the state counts at every instant are
evaluated on the rows' time columns as arrays (the rules of ioc.kpis.scorecard.state_at), the
p90 is a selection in the completions sorted by time, and the scorecard's arithmetic
(`derive`) runs once over one row per instant; other KPIs are computed per instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
from sqlalchemy import Engine, func, select, union_all

from ioc.alerts.bursts import burst_reading
from ioc.alerts.lifecycle import FIRE, Status, step
from ioc.alerts.rules import Rule
from ioc.db import schema as s
from ioc.kpis.catalogue import BY_CODE
from ioc.kpis.feedback_values import feedback_kpis
from ioc.kpis.scorecard import ENTITY_COLUMNS, P90_COLUMN, STATE_COUNTS, derive, scorecard
from ioc.kpis.values import (
    _entity_types,
    _rows_frame,
    compute_kpis,
    near_due_limit,
    scope_filter,
)
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
    return _rows_frame(engine, q, {"hour": pl.Datetime("us"),
                                   **{c: pl.Int64 for c in s.DOSSIER_COUNTERS}})


def _dossier_rows(engine: Engine, scope: str, start: datetime, end: datetime,
                  limit: int | None = None) -> pl.DataFrame:
    """Every dossier that may be open, or completed, somewhere in [start, end): the open ones
    and those closed since `start`, as two disjoint reads (an OR of the two is a scan of
    every dossier of the province; each branch alone is an index range on closed_at)."""
    d = s.dossiers
    cols = [d.c[c] for c in ENTITY_COLUMNS]
    where = (scope_filter(d, scope), d.c.received_at < end)
    q = union_all(select(*cols).where(*where, d.c.closed_at.is_(None)),
                  select(*cols).where(*where, d.c.closed_at >= start))
    types = _entity_types(list(ENTITY_COLUMNS))
    if limit is not None:
        return _rows_frame(engine, select(q.subquery()).limit(limit), types)
    return _rows_frame(engine, q, types)


def _inputs(engine: Engine, rule: Rule, hours: list[datetime], completions: bool = True
            ) -> tuple[list, pl.DataFrame, pl.DataFrame, bool]:
    """The periods, their hourly sums, the dossier rows and whether any dossier was open or
    completed in the span. Without `completions` (a KPI other than the p90) the rows are
    only those open at one of the instants: the windows' earlier completions are not read."""
    periods = [resolve(rule.window, t.replace(tzinfo=UTC)) for t in hours]
    lo = min(p.start for p in periods)
    hi = max(p.end for p in periods)
    if completions:
        rows = _dossier_rows(engine, rule.scope, lo, hi)
        return periods, _hourly_sums(engine, rule.scope, lo, hi), rows, rows.height > 0
    ats = [min(p.end, t) for t, p in zip(hours, periods, strict=True)]
    # Open at `at` = received before it and not closed before it: received before the last
    # instant and not closed before the first.
    rows = _dossier_rows(engine, rule.scope, min(ats), max(ats))
    return (periods, _hourly_sums(engine, rule.scope, lo, hi), rows,
            rows.height > 0 or _dossier_rows(engine, rule.scope, lo, hi, limit=1).height > 0)


def _value(card: pl.DataFrame, rule: Rule) -> float | None:
    value = card[BY_CODE[rule.kpi].column][0] if card.height else None
    if value is None and BY_CODE[rule.kpi].unit == "count":
        value = 0
    return value


def dossier_values_per_instant(engine: Engine, rule: Rule, hours: list[datetime]
                               ) -> list[float | None]:
    """One full scorecard per instant (the reference `dossier_values` is tested against)."""
    periods, sums, rows, _ = _inputs(engine, rule, hours)
    out: list[float | None] = []
    for t, p in zip(hours, periods, strict=True):
        at = min(p.end, t)
        b = sums.filter((pl.col("hour") >= p.start) & (pl.col("hour") < p.end)).drop("hour")
        done = rows.filter((pl.col("status") == "completed") & (pl.col("completed_at") >= p.start)
                           & (pl.col("completed_at") < p.end)).select("proc_minutes")
        out.append(_value(scorecard(b, rows, done, at, near_due_limit(at), []), rule))
    return out


_NEVER = np.iinfo(np.int64).max  # a missing time: after every instant


def _us(rows: pl.DataFrame, col: str) -> np.ndarray:
    return rows[col].dt.epoch("us").fill_null(_NEVER).to_numpy()


def _epoch_us(t: datetime) -> int:
    """A naive-UTC instant as microseconds, the unit of the frames' datetime columns."""
    return (t - datetime(1970, 1, 1)) // timedelta(microseconds=1)


def _state_counts(rows: pl.DataFrame, ats: list[datetime], limits: list[datetime]
                  ) -> dict[str, list[int]]:
    """In progress, paused, overdue and near-due counts at each instant: state_at's rules on
    the rows' times as integer arrays (a missing time is _NEVER, which is how state_at's
    null tests resolve), one vector pass per instant instead of a frame per instant."""
    received, closed = _us(rows, "received_at"), _us(rows, "closed_at")
    req, rec = _us(rows, "supplement_requested_at"), _us(rows, "supplement_received_at")
    due = _us(rows, "due_at")
    legal = rows["due_at_legal"].dt.epoch("us").to_numpy()
    legal = np.where(rows["due_at_legal"].is_null().to_numpy(), due, legal)
    out: dict[str, list[int]] = {c: [] for c in STATE_COUNTS}
    for at_dt, lim_dt in zip(ats, limits, strict=True):
        at, lim = _epoch_us(at_dt), _epoch_us(lim_dt)
        is_open = (received < at) & (closed >= at)
        paused = is_open & (req < at) & (rec >= at)
        deadline = np.where(rec < at, due, legal)
        active = is_open & ~paused
        out["in_progress"].append(int(is_open.sum()))
        out["paused"].append(int(paused.sum()))
        out["overdue"].append(int((active & (deadline < at)).sum()))
        out["near_due"].append(int((active & (deadline >= at) & (deadline <= lim)).sum()))
    return out


def dossier_values(engine: Engine, rule: Rule, hours: list[datetime]) -> list[float | None]:
    """The rule's dossier KPI at each instant, equal to one scorecard per instant."""
    # The p90 is the only figure made from the window's completions (derive drops it).
    needs_p90 = BY_CODE[rule.kpi].column == "processing_days_p90"
    periods, sums, rows, any_rows = _inputs(engine, rule, hours, completions=needs_p90)
    if not hours:
        return []
    starts = [p.start for p in periods]
    ends = [p.end for p in periods]
    ats = [min(p.end, t) for t, p in zip(hours, periods, strict=True)]
    # Window counters: running sums over the hours, read at each window's two edges.
    sums = sums.sort("hour")
    bucket_us = sums["hour"].dt.epoch("us").to_numpy()
    first = np.searchsorted(bucket_us, [_epoch_us(x) for x in starts], side="left")
    last = np.searchsorted(bucket_us, [_epoch_us(x) for x in ends], side="left")
    frame: dict[str, object] = {}
    for c in s.DOSSIER_COUNTERS:
        run = np.concatenate([[0], np.cumsum(sums[c].fill_null(0).to_numpy())])
        frame[c] = run[last] - run[first]
    frame.update(_state_counts(rows, ats, [near_due_limit(a) for a in ats]))
    p90: list[int | None] = [None] * len(hours)
    if needs_p90:
        # The p90 of each window's completions: a selection among them, sorted by time.
        done = rows.filter((pl.col("status") == "completed") & pl.col("completed_at").is_not_null()
                           & pl.col("proc_minutes").is_not_null()).sort("completed_at")
        done_us = done["completed_at"].dt.epoch("us").to_numpy()
        minutes = done["proc_minutes"].to_numpy()
        a = np.searchsorted(done_us, [_epoch_us(x) for x in starts], side="left")
        b = np.searchsorted(done_us, [_epoch_us(x) for x in ends], side="left")
        p90 = []
        for i, j in zip(a, b, strict=True):
            n = int(j - i)
            k = -(-9 * n // 10) - 1  # the ceil(0.9·n)-th smallest
            p90.append(int(np.partition(minutes[i:j], k)[k]) if n else None)
    frame[P90_COLUMN] = pl.Series(p90, dtype=pl.Int64)
    cards = derive(pl.DataFrame(frame))
    values = _values(cards, rule)
    if not any_rows:  # and no bucket in the window: the scorecard was empty, no value
        empty = _values(pl.DataFrame({BY_CODE[rule.kpi].column: [None]}), rule)[0]
        values = [empty if j == i else v for i, j, v in zip(first, last, values, strict=True)]
    return values


def _values(cards: pl.DataFrame, rule: Rule) -> list[float | None]:
    values = cards[BY_CODE[rule.kpi].column].to_list()
    return [0 if v is None and BY_CODE[rule.kpi].unit == "count" else v for v in values]


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
