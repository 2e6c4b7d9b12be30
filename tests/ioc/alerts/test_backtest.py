"""The backtest (buckets and dossier rows read once, sliced in memory) fires exactly as a
brute-force replay that asks the live KPI code at every hour and steps the same lifecycle."""

from __future__ import annotations

import json
import random
from datetime import UTC, timedelta

import pytest
from sqlalchemy import Engine

from ioc.alerts.backtest import backtest, instants
from ioc.alerts.lifecycle import FIRE, Status, step
from ioc.alerts.rules import parse_rule
from ioc.events.contracts import DOSSIER_CONTRACT
from ioc.events.decode import decode_batch
from ioc.kpis.values import compute_kpis
from streams.apply import apply_dossiers
from tests.ioc.dossiers.test_dossier_windows_property import NOW, random_lifecycle

DAYS = 4


def _load(engine: Engine, n: int = 160) -> None:
    rng = random.Random(11)
    events = [e for i in range(n) for e in random_lifecycle(rng, i)]
    decoded = decode_batch([json.dumps(e).encode() for e in events], DOSSIER_CONTRACT)
    with engine.begin() as conn:
        apply_dossiers(conn, decoded.frame.drop("_row"))


def _replay(engine: Engine, rule) -> tuple[list, list]:
    status, fired, values = Status(), [], []
    for t in instants(NOW, DAYS):
        kv = compute_kpis(engine, rule.scope, rule.window, t.replace(tzinfo=UTC),
                          with_previous=False)
        v = next(k.value for k in kv if k.kpi == rule.kpi and not k.by)
        values.append(v)
        status, transition = step(rule, status, v, t)
        if transition == FIRE:
            fired.append(t)
    return fired, values


RULES = [
    dict(kpi="dossier.received", window="24h", comparator=">", threshold=4, hysteresis=1),
    dict(kpi="dossier.overdue", window="24h", comparator=">=", threshold=3, pending_minutes=120),
    dict(kpi="dossier.on_time_rate", window="7d", comparator="<", threshold=0.8,
         hysteresis=0.02),
    dict(kpi="dossier.near_due", window="today", comparator=">", threshold=1),
]


@pytest.mark.parametrize("spec", RULES, ids=[r["kpi"] for r in RULES])
def test_backtest_equals_brute_force_replay(engine: Engine, spec: dict) -> None:
    _load(engine)
    rule = parse_rule({"rule_id": "bt", "name": "bt", "kind": "threshold",
                       "scope": "province:25", "severity": "warning", "targets": ["banner"],
                       **spec})
    result = backtest(engine, rule, now=NOW, days=DAYS)
    fired, values = _replay(engine, rule)
    assert result.series["value"].to_list() == pytest.approx(values, abs=1e-12)
    assert result.firings == fired
    assert result.count == len(fired)
    assert result.series.height == DAYS * 24 and result.series["hour"][-1] == NOW.replace(
        minute=0, tzinfo=None)


def test_scenario_has_firings_to_compare(engine: Engine) -> None:
    """Not vacuous: the loaded history makes at least one of the rules fire, and resolve."""
    _load(engine)
    rule = parse_rule({"rule_id": "bt", "name": "bt", "kind": "threshold",
                       "scope": "province:25", "severity": "warning", "targets": ["banner"],
                       **RULES[0]})
    result = backtest(engine, rule, now=NOW, days=DAYS)
    assert result.count >= 1
    assert "ok" in result.series["state"].to_list()
    assert timedelta(hours=1) == result.series["hour"][1] - result.series["hour"][0]


# Every kind of column: counters, state counts at the instant, p90, mean, ratio, score.
COMPARED = ("dossier.received", "dossier.in_progress", "dossier.paused", "dossier.overdue",
            "dossier.near_due", "dossier.on_time_rate", "dossier.processing_days_p90",
            "dossier.processing_days_mean", "dossier.score_total")


@pytest.mark.parametrize("window", ["1h", "24h", "30d"])
def test_vectorised_values_equal_one_scorecard_per_instant(engine: Engine, window: str) -> None:
    """The vectorised backtest's values equal a full scorecard per instant, on the lifecycles
    (pauses, returns) and on a scope without any dossier."""
    from ioc.alerts.backtest import dossier_values, dossier_values_per_instant

    _load(engine)
    hours = instants(NOW, DAYS)
    moving = 0
    for scope in ("province:25", "province:25,commune:99999"):
        for code in COMPARED:
            rule = parse_rule({"rule_id": "bt", "name": "bt", "kind": "threshold",
                               "scope": scope, "severity": "warning", "targets": ["banner"],
                               "kpi": code, "window": window, "comparator": ">",
                               "threshold": 1})
            fast = dossier_values(engine, rule, hours)
            slow = dossier_values_per_instant(engine, rule, hours)
            assert fast == pytest.approx(slow, abs=1e-12), (scope, code)
            moving += sum(v not in (None, 0) for v in slow)
    assert moving > 200  # not vacuous: most series move
