"""Bursts: the count of the current hour against the same hour of the previous weeks, from
stored buckets; the evaluator fires on it and the backtest replays it exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert

from ioc.alerts.backtest import backtest, instants
from ioc.alerts.bursts import burst_limit, burst_reading
from ioc.alerts.lifecycle import FIRE, Status, step
from ioc.alerts.rule_store import save_rule
from ioc.alerts.rules import parse_rule
from ioc.auth import Identity
from ioc.db import schema as s
from streams.alert_evaluator import AlertEvaluator

NOW = datetime(2026, 3, 9, 2, 20, tzinfo=UTC)  # Monday 09:20 in Hà Nội
HOUR = NOW.replace(minute=0, tzinfo=None)
WARD = "04792"


def _feedback(engine: Engine, counts: dict[datetime, int], ward: str = WARD) -> None:
    rows = [{**dict.fromkeys(s.FEEDBACK_COUNTERS, 0), "hour": h, "province_code": "25",
             "ward_code": ward, "channel": "hotline_1022", "category": "môi trường",
             "agency_code": f"UBND-{ward}", "received": n} for h, n in counts.items()]
    with engine.begin() as conn:
        conn.execute(insert(s.feedback_buckets), rows)


ADMIN_ID = Identity("test", "admin")


def _rule(**kw):
    return parse_rule({"rule_id": "burst-fb", "name": "Phản ánh tăng đột biến",
                       "kind": "burst", "kpi": "feedback.received", "scope": f"commune:{WARD}",
                       "window": "1h", "severity": "warning", "targets": ["banner"],
                       "params": {"baseline_weeks": 4, "min_count": 5, "factor": 3}, **kw})


def test_limit_formula() -> None:
    assert burst_limit([2, 3, 1, 2], min_count=5, factor=3, floor=0) == 6.0
    assert burst_limit([0, 0, 0, 0], min_count=5, factor=3, floor=0) == 5.0  # quiet commune
    assert burst_limit([], min_count=1, factor=2, floor=4) == 4.0


def test_same_hour_of_previous_weeks(engine: Engine) -> None:
    week = timedelta(days=7)
    _feedback(engine, {HOUR - k * week: n for k, n in zip(range(1, 5), [2, 3, 1, 2],
                                                           strict=True)})
    _feedback(engine, {HOUR - timedelta(hours=1): 40})  # the hour before does not count
    _feedback(engine, {HOUR: 6}, ward="04795")  # nor another commune
    _feedback(engine, {HOUR: 6})
    assert burst_reading(engine, _rule(), NOW) == (6, 6.0)  # 6 is not > 6
    save_rule(engine, _rule(), ADMIN_ID)
    ev = AlertEvaluator(engine, None)
    assert ev.evaluate_once(NOW).transitions == {}
    with engine.begin() as conn:  # one more report in the same hour
        conn.execute(s.feedback_buckets.update().where(
            s.feedback_buckets.c.hour == HOUR, s.feedback_buckets.c.ward_code == WARD,
            s.feedback_buckets.c.received == 6).values(received=7))
    assert ev.evaluate_once(NOW).transitions == {FIRE: 1}


def test_backtest_replays_bursts_exactly(engine: Engine) -> None:
    days = 3
    counts = {}
    for i, h in enumerate(instants(NOW, 35)):  # five weeks of a daily rhythm + two spikes
        counts[h] = (h.hour % 5) + (9 if i in (800 - 24, 830 - 24) else 0)
    _feedback(engine, counts)
    rule = _rule()
    result = backtest(engine, rule, now=NOW, days=days)
    status, fired = Status(), []
    for t in instants(NOW, days):
        v, lim = burst_reading(engine, rule, t)
        status, tr = step(rule, status, v, t, lim)
        if tr == FIRE:
            fired.append(t)
    assert result.firings == fired and result.count >= 1
