"""Alert lifecycle (pure): ok → pending → firing → acknowledged → resolved (→ ok).

One function, `step`, decides every transition from the rule, the current status and the
newest KPI value. The live evaluator and the backtest both call it, so what the backtest
shows is what the live system would have done.

- A condition must hold for `pending_minutes` before it fires (0 = at once); if it stops
  holding while pending, the pending alert is dropped silently.
- While firing (or acknowledged) nothing is emitted, however often it is evaluated: no
  duplicate firing while the condition holds.
- It resolves only past the hysteresis margin (`ioc.alerts.rules.resolved`); a missing value (no
  data) keeps the current state.
- Acknowledging changes who knows, not whether it holds: an acknowledged alert still
  resolves by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ioc.alerts.rules import Rule, condition_holds, resolved

OK, PENDING, FIRING, ACKNOWLEDGED = "ok", "pending", "firing", "acknowledged"
ACTIVE = (FIRING, ACKNOWLEDGED)

# Transitions `step` reports; "fire" and "resolve" are the ones that notify.
PEND, DROP, FIRE, RESOLVE = "pend", "drop", "fire", "resolve"
NOTIFYING = (FIRE, RESOLVE)


@dataclass(frozen=True)
class Status:
    state: str = OK
    since: datetime | None = None  # pending since, or firing since


def step(rule: Rule, status: Status, value: float | None, now: datetime,
         limit: float | None = None) -> tuple[Status, str | None]:
    """The next status and the transition taken (None = nothing happened)."""
    if status.state == OK:
        if not condition_holds(rule, value, limit):
            return status, None
        if rule.pending_minutes <= 0:
            return Status(FIRING, now), FIRE
        return Status(PENDING, now), PEND
    if status.state == PENDING:
        holds = condition_holds(rule, value, limit)
        if holds is None:
            return status, None  # no data: neither confirms nor clears
        if not holds:
            return Status(), DROP
        assert status.since is not None
        if now - status.since >= timedelta(minutes=rule.pending_minutes):
            return Status(FIRING, now), FIRE
        return status, None
    if resolved(rule, value, limit):
        return Status(), RESOLVE
    return status, None


def acknowledge(status: Status) -> Status:
    if status.state != FIRING:
        raise ValueError(f"only a firing alert can be acknowledged (it is {status.state})")
    return Status(ACKNOWLEDGED, status.since)
