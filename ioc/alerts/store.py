"""Alert episodes, their history, silences and the notification outbox in SQL.

Every transition and the notifications it causes are written in one transaction with the
episode, so a crash never loses a firing nor sends one twice (the outbox is delivered after,
with ids receivers dedupe on). Human actions (acknowledge, silence) are checked here, on the
server side, with `ioc.auth.require`: a forged request from a page cannot skip them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, insert, or_, select, update

from ioc.alerts.lifecycle import ACKNOWLEDGED, FIRING, OK, PENDING, Status
from ioc.alerts.reminders import RULE_PREFIX
from ioc.alerts.rules import Rule
from ioc.auth import Identity, require
from ioc.db import schema as s

A, H, S, OB = s.alerts, s.alert_history, s.silences, s.alert_outbox
OPEN_STATES = (PENDING, FIRING, ACKNOWLEDGED)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _naive(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


@dataclass(frozen=True)
class Silence:
    silence_id: str
    rule_id: str | None
    scope_prefix: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str

    def matches(self, rule_id: str, scope: str, at: datetime) -> bool:
        return (self.starts_at <= at < self.ends_at
                and (self.rule_id is None or self.rule_id == rule_id)
                and scope.startswith(self.scope_prefix))


# ---------------------------------------------------------------- episodes

def open_alert(conn: Connection, rule_id: str) -> dict[str, Any] | None:
    q = select(A).where(A.c.rule_id == rule_id, A.c.is_open.is_(True))
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()  # two evaluators must not both open an episode
    row = conn.execute(q).first()
    return dict(row._mapping) if row else None


def status_of(row: dict[str, Any] | None) -> Status:
    if row is None:
        return Status()
    since = row["pending_since"] if row["state"] == PENDING else row["fired_at"]
    return Status(row["state"], since)


def add_history(conn: Connection, alert_id: str, rule_id: str, at: datetime, transition: str,
             actor: str, value: float | None = None, note: str | None = None) -> None:
    conn.execute(insert(H).values(alert_id=alert_id, rule_id=rule_id, at=at,
                                  transition=transition, actor=actor, value=value, note=note))


def record_step(conn: Connection, rule: Rule, version: int, row: dict[str, Any] | None,
                new: Status, transition: str | None, value: float | None,
                now: datetime) -> str | None:
    """Write the outcome of `ioc.alerts.lifecycle.step`; returns the episode's alert_id."""
    if row is None and transition is None:
        return None
    if row is None:  # a new episode (pending, or firing at once)
        alert_id = f"{rule.rule_id}-{uuid.uuid4().hex[:12]}"
        conn.execute(insert(A).values(
            alert_id=alert_id, rule_id=rule.rule_id, rule_version=version, kpi=rule.kpi,
            scope=rule.scope, window=rule.window, comparator=rule.comparator,
            threshold=rule.threshold, severity=rule.severity, state=new.state, is_open=True,
            value=value, pending_since=now if new.state == PENDING else None,
            fired_at=now if new.state == FIRING else None, evaluated_at=now))
        add_history(conn, alert_id, rule.rule_id, now, transition or "", "evaluator", value)
        return alert_id
    alert_id = row["alert_id"]
    values: dict[str, Any] = {"value": value, "evaluated_at": now}
    if transition is not None:
        if new.state == OK:  # resolved after firing, or dropped while pending
            values.update(state="resolved" if row["state"] in (FIRING, ACKNOWLEDGED)
                          else "dropped", is_open=False, resolved_at=now)
        else:
            values.update(state=new.state)
            if new.state == FIRING:
                values["fired_at"] = now
        add_history(conn, alert_id, rule.rule_id, now, transition, "evaluator", value)
    conn.execute(update(A).where(A.c.alert_id == alert_id).values(**values))
    return alert_id


def acknowledge(engine: Engine, alert_id: str, identity: Identity | None, note: str,
                now: datetime | None = None) -> None:
    who = require(identity, "alert.ack")
    note = (note or "").strip()
    if not note:
        raise ValueError("note: an acknowledgement needs a note (what is being done)")
    at = _naive(now) if now else utcnow()
    with engine.begin() as conn:
        row = conn.execute(select(A).where(A.c.alert_id == alert_id)).first()
        if row is None:
            raise KeyError(f"no alert {alert_id!r}")
        if row.state != FIRING:
            raise ValueError(f"only a firing alert can be acknowledged; {alert_id} is "
                             f"{row.state}")
        conn.execute(update(A).where(A.c.alert_id == alert_id, A.c.state == FIRING).values(
            state=ACKNOWLEDGED, acked_at=at, acked_by=who.username, ack_note=note))
        add_history(conn, alert_id, row.rule_id, at, "ack", who.username, row.value, note)


# ---------------------------------------------------------------- silences

def add_silence(engine: Engine, identity: Identity | None, starts_at: datetime,
                ends_at: datetime, reason: str, rule_id: str | None = None,
                scope_prefix: str = "", now: datetime | None = None) -> str:
    who = require(identity, "alert.silence")
    if not reason.strip():
        raise ValueError("reason: a silence needs a reason")
    if _naive(ends_at) <= _naive(starts_at):
        raise ValueError("ends_at: must be after starts_at")
    sid = f"sil-{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        conn.execute(insert(S).values(
            silence_id=sid, rule_id=rule_id, scope_prefix=scope_prefix or "",
            starts_at=_naive(starts_at), ends_at=_naive(ends_at), reason=reason.strip(),
            created_by=who.username, created_at=_naive(now) if now else utcnow()))
    return sid


def active_silences(conn: Connection, at: datetime) -> list[Silence]:
    rows = conn.execute(select(S).where(S.c.starts_at <= at, S.c.ends_at > at))
    return [Silence(r.silence_id, r.rule_id, r.scope_prefix, r.starts_at, r.ends_at, r.reason,
                    r.created_by) for r in rows]


# ---------------------------------------------------------------- outbox

def enqueue(conn: Connection, alert_id: str, transition: str, channels: list[str],
            payload: dict[str, Any], silenced_by: str | None, now: datetime) -> None:
    body = json.dumps(payload, ensure_ascii=False, default=str)
    conn.execute(insert(OB), [{"alert_id": alert_id, "transition": transition, "channel": ch,
                              "payload": body, "created_at": now, "suppressed_by": silenced_by,
                              "attempts": 0} for ch in channels])


MAX_ATTEMPTS = 50  # then the row stays in the outbox with its last error, for a human


def pending_deliveries(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            select(OB).where(OB.c.sent_at.is_(None), OB.c.suppressed_by.is_(None),
                            OB.c.attempts < MAX_ATTEMPTS).order_by(OB.c.id))]


def mark_deliveries(engine: Engine, results: Mapping[int, tuple[bool, str | None]],
                    now: datetime) -> None:
    """Record delivery attempts {outbox row id: (ok, error)} in one transaction."""
    if not results:
        return
    with engine.begin() as conn:
        conn.execute(update(OB).where(OB.c.id == bindparam("row_id")).values(
            attempts=OB.c.attempts + 1, last_error=bindparam("error"),
            sent_at=bindparam("sent")),
            [{"row_id": i, "error": err, "sent": now if ok else None}
             for i, (ok, err) in results.items()])


# ---------------------------------------------------------------- reading

KINDS = ("rule", "reminder")  # alert kinds: rules ops staff set, deadline reminders


def _kind_filter(column: Any, kind: str | None) -> Any:
    """Reminder episodes have synthetic rule ids under ioc.alerts.reminders.RULE_PREFIX."""
    if kind is None:
        return None
    if kind not in KINDS:
        raise ValueError(f"kind: one of {KINDS}, got {kind!r}")
    like = column.like(f"{RULE_PREFIX}%")
    return like if kind == "reminder" else ~like


def list_alerts(engine: Engine, open_only: bool = False, rule_id: str | None = None,
                severity: str | None = None, limit: int = 500, kind: str | None = None
                ) -> list[dict[str, Any]]:
    q = select(A)
    conds = []
    if kind:
        conds.append(_kind_filter(A.c.rule_id, kind))
    if open_only:
        conds.append(A.c.is_open.is_(True))
    if rule_id:
        conds.append(A.c.rule_id == rule_id)
    if severity:
        conds.append(A.c.severity == severity)
    q = q.where(and_(*conds)) if conds else q
    q = q.order_by(A.c.is_open.desc(), A.c.evaluated_at.desc()).limit(limit)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def history(engine: Engine, alert_id: str | None = None, limit: int = 1000,
            rule_id: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    q = select(H).order_by(H.c.at.desc(), H.c.id.desc()).limit(limit)
    if alert_id:
        q = q.where(H.c.alert_id == alert_id)
    if rule_id:
        q = q.where(H.c.rule_id == rule_id)
    if kind:
        q = q.where(_kind_filter(H.c.rule_id, kind))
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def firing_now(engine: Engine) -> list[dict[str, Any]]:
    """Open episodes past pending (for the banner and ticker on every page)."""
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            select(A).where(A.c.is_open.is_(True),
                            or_(A.c.state == FIRING, A.c.state == ACKNOWLEDGED))
            .order_by(A.c.severity, A.c.fired_at.desc()))]
