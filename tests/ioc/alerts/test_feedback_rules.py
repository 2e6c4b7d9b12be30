"""Feedback KPIs in alert rules: a threshold rule on the overdue count and burst rules on the
received count and on the overdue count (a state count), all at category scope, fire through
the real evaluator on SQLite / PostgreSQL; the backtest replays the threshold rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from ioc.alerts.backtest import backtest
from ioc.alerts.bursts import burst_reading
from ioc.alerts.lifecycle import FIRE
from ioc.alerts.rule_store import save_rule
from ioc.alerts.rules import Rule, parse_rule
from ioc.auth import Identity
from ioc.reference.calendar import TZ
from streams.alert_evaluator import AlertEvaluator
from streams.chaos.workload import feedback_event, iso
from tests.helpers import apply_events

NOW = datetime(2026, 3, 9, 2, 20, tzinfo=UTC)  # Monday 9 Mar 09:20 in Hà Nội
WEEK = timedelta(days=7)
ADMIN = Identity("test", "admin")
ROADS = "category:giao thông"


def _report(fid: str, received: datetime, due: datetime, category: str = "giao thông") -> dict:
    return feedback_event(fid, 1, "received", received.astimezone(UTC), category=category,
                          due_at=iso(due.astimezone(UTC)))


def _rule(rule_id: str, kind: str, kpi: str, **kw: object) -> Rule:
    base = {"rule_id": rule_id, "name": rule_id, "kind": kind, "kpi": kpi, "scope": ROADS,
            "window": "1h", "severity": "warning", "targets": ["banner"]}
    return parse_rule({**base, **kw})


def test_threshold_and_burst_rules_on_feedback_kpis_fire(engine: Engine) -> None:
    local = NOW.astimezone(TZ)
    events = [
        # overdue now: 3 road reports due last Friday (and 2 of another category, not counted)
        *[_report(f"R{i}", local - timedelta(days=10), local - timedelta(days=3))
          for i in range(3)],
        *[_report(f"E{i}", local - timedelta(days=10), local - timedelta(days=3),
                  category="môi trường") for i in range(2)],
        # received in the current hour (09:00–09:20): 6 road reports; one a week before
        *[_report(f"N{i}", local.replace(minute=5 + i), local + timedelta(days=3))
          for i in range(6)],
        _report("W1", local.replace(minute=5) - WEEK, local + timedelta(days=3)),
    ]
    apply_events(engine, events)
    threshold = _rule("overdue-roads", "threshold", "feedback.overdue_open", comparator=">=",
                      threshold=3)
    burst = _rule("burst-roads", "burst", "feedback.received",
                  params={"baseline_weeks": 2, "min_count": 3, "factor": 2})
    # 3 overdue now; a week ago (Mon 2 Mar) they were open but not yet due (Fri 6 Mar), two
    # weeks ago not yet received: baseline [0, 0] → limit = min_count 2
    state_burst = _rule("overdue-burst", "burst", "feedback.overdue_open",
                        params={"baseline_weeks": 2, "min_count": 2, "factor": 2})
    # 6 in the hour against [1, 0] the same hour of the last two weeks: limit max(3, 2·0.5)
    assert burst_reading(engine, burst, NOW) == (6, 3.0)
    assert burst_reading(engine, state_burst, NOW) == (3, 2.0)
    for r in (threshold, burst, state_burst):
        save_rule(engine, r, ADMIN)
    result = AlertEvaluator(engine, None).evaluate_once(NOW)
    assert result.transitions == {FIRE: 3}
    # The same threshold rule one category over stays quiet (2 overdue < 3).
    quiet = _rule("overdue-env", "threshold", "feedback.overdue_open", comparator=">=",
                  threshold=3, scope="category:môi trường")
    save_rule(engine, quiet, ADMIN)
    assert AlertEvaluator(engine, None).evaluate_once(NOW).transitions == {}
    # Replayed hour by hour, the threshold rule fires at the first whole hour after the three
    # fell due (Fri 6 Mar 09:20 local = 02:20 UTC → 03:00 UTC), not before.
    replay = backtest(engine, threshold, now=NOW, days=4)
    assert replay.count == 1
    assert replay.firings[0] == datetime(2026, 3, 6, 3, 0)
