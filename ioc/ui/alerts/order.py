"""Which alert comes first, and since when it is in its state: shared by the banner and the
Alerts page. Pure; alert rows are the dicts of `ioc.alerts.store` (naive UTC times)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ioc.alerts.reminders import is_reminder
from ioc.alerts.text import SEVERITY_RANK


def since_of(row: Mapping[str, Any]) -> datetime | None:
    """When the alert entered its current state (pending, firing, acknowledged, closed)."""
    state = row.get("state")
    if state == "pending":
        return row.get("pending_since")
    if state == "acknowledged":
        return row.get("acked_at") or row.get("fired_at")
    if state in ("resolved", "dropped"):
        return row.get("resolved_at")
    return row.get("fired_at")


def by_severity(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Most severe first; rules before deadline reminders; firing before acknowledged;
    newest first within those."""
    def key(r: Mapping[str, Any]) -> tuple[int, bool, int, float]:
        fired = r.get("fired_at") or r.get("evaluated_at")
        ts = fired.replace(tzinfo=UTC).timestamp() if isinstance(fired, datetime) else 0.0
        return (SEVERITY_RANK.get(r.get("severity", ""), 9),
                is_reminder(str(r.get("rule_id", ""))),
                0 if r.get("state") == "firing" else 1, -ts)
    return sorted(rows, key=key)
