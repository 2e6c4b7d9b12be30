"""Bursts: sudden volume in one scope against the same hours of the previous weeks.

Method (editable per rule in `params`): the rule's count KPI over its window (typically "1h":
the current hour so far) is compared with the same window shifted back 1..`baseline_weeks`
whole weeks, so Monday 9 o'clock is compared with earlier Mondays at 9, not with a quiet
night. It fires when the count exceeds

    limit = max(min_count, threshold, factor × mean(baseline counts))

`min_count` keeps a commune that usually has 0 reports from "bursting" at 1; `threshold` is
an extra floor. Counts come from the hourly buckets, so a replay is exact.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, Table, func, select

from ioc.alerts.rules import Rule
from ioc.db import schema as s
from ioc.kpis.catalogue import BY_CODE
from ioc.kpis.feedback_kpis import FEEDBACK_KPIS
from ioc.kpis.feedback_values import feedback_state_count
from ioc.kpis.values import scope_filter, utc_naive
from ioc.kpis.windows import resolve

# Count KPIs a burst rule can watch → (bucket table, counter).
BURST_COUNTS: dict[str, tuple[Table, str]] = {
    "feedback.received": (s.feedback_buckets, "received"),
    "social.posts": (s.social_buckets, "posts"),
    "social.negative_posts": (s.social_buckets, "negative"),
    "social.positive_posts": (s.social_buckets, "positive"),
    "social.engagement": (s.social_buckets, "engagement"),
    "dossier.received": (s.dossier_buckets, "received"),
    "feedback.responded": (s.feedback_buckets, "responded"),
    "feedback.closed": (s.feedback_buckets, "closed"),
    "feedback.closed_on_time": (s.feedback_buckets, "closed_on_time"),
}
# Feedback state counts (open, overdue, near-due, backlog age bands): the count at the end of
# the window (now) against the count at the same instant of the previous weeks.
STATE_COUNTS: tuple[str, ...] = tuple(
    k.code for k in FEEDBACK_KPIS if k.unit == "count" and not k.windowed)
WEEK = timedelta(days=7)


def burst_limit(baseline: list[int], min_count: float, factor: float, floor: float) -> float:
    mean = sum(baseline) / len(baseline) if baseline else 0.0
    return max(float(min_count), float(floor), factor * mean)


def _count(engine: Engine, table: Table, counter: str, scope: str, start: datetime,
           end: datetime) -> int:
    where = scope_filter(table, scope)
    if where is None:
        raise ValueError(f"scope: {scope!r} cannot be applied to {table.name}")
    q = select(func.coalesce(func.sum(table.c[counter]), 0)).where(
        where, table.c.hour >= start, table.c.hour < end)
    with engine.connect() as conn:
        return int(conn.execute(q).scalar() or 0)


def burst_reading(engine: Engine, rule: Rule, now: datetime) -> tuple[int, float]:
    """(count now, limit) of a burst rule at instant `now` (aware or naive UTC)."""
    if rule.kpi not in BURST_COUNTS and rule.kpi not in STATE_COUNTS:
        raise ValueError("kpi: bursts watch one of "
                         f"{sorted([*BURST_COUNTS, *STATE_COUNTS])}, got {rule.kpi!r}")
    at = now if now.tzinfo else now.replace(tzinfo=UTC)
    p = resolve(rule.window, at)
    weeks = int(rule.params["baseline_weeks"])
    if rule.kpi in STATE_COUNTS:
        column = BY_CODE[rule.kpi].column
        end = min(p.end, utc_naive(at))
        current = feedback_state_count(engine, rule.scope, end, column)
        baseline = [feedback_state_count(engine, rule.scope, end - k * WEEK, column)
                    for k in range(1, weeks + 1)]
        return current, burst_limit(baseline, rule.params["min_count"],
                                    rule.params["factor"], rule.threshold)
    table, counter = BURST_COUNTS[rule.kpi]
    current = _count(engine, table, counter, rule.scope, p.start, p.end)
    baseline = [_count(engine, table, counter, rule.scope, p.start - k * WEEK, p.end - k * WEEK)
                for k in range(1, weeks + 1)]
    return current, burst_limit(baseline, rule.params["min_count"], rule.params["factor"],
                                rule.threshold)
