"""Alert rules in SQL (tables alert_rules and rule_audit).

Every write and its audit row share one transaction, so the audit trail cannot miss a change
or record one that was rolled back. A save that changes nothing writes nothing: the trail
only holds real changes and `version` counts them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from ioc.alerts.rules import Rule, RuleError, parse_rule, rule_to_dict
from ioc.auth import Identity, require
from ioc.db import schema as s

T = s.alert_rules
A = s.rule_audit


class RuleNotFound(KeyError):
    """No rule with that id."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "rule not found"


class RuleExists(ValueError):
    """A create-only save met an existing rule id."""


@dataclass(frozen=True)
class StoredRule:
    rule: Rule
    version: int
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class AuditEntry:
    id: int
    rule_id: str
    action: str
    actor: str
    at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def utc_naive() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # the schema stores naive UTC


def _checked(rule: Rule) -> Rule:
    """Re-validate: a Rule built directly (not via parse_rule) must not reach the table."""
    return parse_rule(rule_to_dict(rule))


def _from_row(row: Any) -> StoredRule:
    data = {c: getattr(row, c) for c in ("rule_id", "name", "kind", "kpi", "scope", "window",
                                         "comparator", "threshold", "pending_minutes",
                                         "hysteresis", "severity", "enabled")}
    data["targets"] = json.loads(row.targets)
    params = json.loads(row.params)
    if params:
        data["params"] = params
    return StoredRule(parse_rule(data), row.version, row.updated_at, row.updated_by)


def _values(rule: Rule) -> dict[str, Any]:
    d = rule_to_dict(rule)
    d["targets"] = json.dumps(list(rule.targets), ensure_ascii=False)
    d["params"] = json.dumps(dict(rule.params), sort_keys=True)
    return d


def _snapshot(rule: Rule, version: int) -> str:
    return json.dumps({**rule_to_dict(rule), "version": version}, ensure_ascii=False)


def _load(conn: Connection, rule_id: str, lock: bool = False) -> StoredRule | None:
    q = select(T).where(T.c.rule_id == rule_id)
    if lock:
        q = q.with_for_update()  # PostgreSQL: serialise concurrent edits of one rule
    row = conn.execute(q).first()
    return _from_row(row) if row is not None else None


def _write(conn: Connection, rule: Rule, who: Identity, action: str | None,
           create_only: bool = False) -> str:
    """Create or update one rule inside `conn`'s transaction; returns "create", "update" or
    "unchanged". `action` overrides the audit action (import). The permission is checked
    here, on what the write really is (a create or an edit), whatever path called it."""
    at = utc_naive()
    old = _load(conn, rule.rule_id, lock=True)
    actor = require(who, "rule.create" if old is None else "rule.edit").username
    if old is not None and create_only:
        raise RuleExists(f"rule_id: rule {rule.rule_id!r} already exists")
    if old is None:
        version, result, before = 1, "create", None
        conn.execute(insert(T).values(**_values(rule), version=1, updated_at=at,
                                      updated_by=actor))
    elif old.rule == rule:
        return "unchanged"
    else:
        version, result, before = old.version + 1, "update", _snapshot(old.rule, old.version)
        conn.execute(update(T).where(T.c.rule_id == rule.rule_id)
                     .values(**_values(rule), version=version, updated_at=at,
                             updated_by=actor))
    conn.execute(insert(A).values(rule_id=rule.rule_id, action=action or result, actor=actor,
                                  at=at, before=before, after=_snapshot(rule, version)))
    return result


# ------------------------------------------------------------------------------ reads

def list_stored(engine: Engine, include_disabled: bool = True) -> list[StoredRule]:
    q = select(T).order_by(T.c.rule_id)
    if not include_disabled:
        q = q.where(T.c.enabled.is_(True))
    with engine.connect() as conn:
        return [_from_row(r) for r in conn.execute(q)]


def list_rules(engine: Engine, include_disabled: bool = True) -> list[Rule]:
    return [sr.rule for sr in list_stored(engine, include_disabled)]


def get_stored(engine: Engine, rule_id: str) -> StoredRule:
    with engine.connect() as conn:
        sr = _load(conn, rule_id)
    if sr is None:
        raise RuleNotFound(f"rule_id: no rule {rule_id!r}")
    return sr


def get_rule(engine: Engine, rule_id: str) -> Rule:
    return get_stored(engine, rule_id).rule


def audit_trail(engine: Engine, rule_id: str | None = None) -> list[AuditEntry]:
    """Audit rows oldest first (by insertion id, which is also commit order per rule)."""
    q = select(A).order_by(A.c.id)
    if rule_id is not None:
        q = q.where(A.c.rule_id == rule_id)
    with engine.connect() as conn:
        return [AuditEntry(r.id, r.rule_id, r.action, r.actor, r.at,
                           json.loads(r.before) if r.before else None,
                           json.loads(r.after) if r.after else None)
                for r in conn.execute(q)]


# ------------------------------------------------------------------------------ writes

def _identity(who: Identity | None) -> Identity:
    return require(who, "view")  # signed in at all; the write checks the real action


def save_rule(engine: Engine, rule: Rule, who: Identity | None,
              create_only: bool = False) -> str:
    """Create or update a rule; returns "create", "update" or "unchanged" (nothing written).
    `create_only` refuses an existing id (RuleExists) instead of replacing it. Raises
    PermissionDenied unless `who` may create (or edit) rules."""
    rule = _checked(rule)
    with engine.begin() as conn:
        return _write(conn, rule, _identity(who), None, create_only)


def set_enabled(engine: Engine, rule_id: str, enabled: bool, who: Identity | None) -> bool:
    """Enable or disable a rule; False when it already was (no audit row, no new version)."""
    actor = require(who, "rule.disable").username
    with engine.begin() as conn:
        old = _load(conn, rule_id, lock=True)
        if old is None:
            raise RuleNotFound(f"rule_id: no rule {rule_id!r}")
        if old.rule.enabled == enabled:
            return False
        new, version, at = replace(old.rule, enabled=enabled), old.version + 1, utc_naive()
        conn.execute(update(T).where(T.c.rule_id == rule_id)
                     .values(enabled=enabled, version=version, updated_at=at, updated_by=actor))
        conn.execute(insert(A).values(rule_id=rule_id, action="enable" if enabled else "disable",
                                      actor=actor, at=at,
                                      before=_snapshot(old.rule, old.version),
                                      after=_snapshot(new, version)))
    return True


def import_rules(engine: Engine, rules: Iterable[Rule], who: Identity | None
                 ) -> dict[str, str]:
    """Create or update many rules in ONE transaction: all are written or none is.
    Rules absent from `rules` are kept (import never deletes). Returns {rule_id: "create" |
    "update" | "unchanged"}; audit rows carry the action "import"."""
    rules = list(rules)
    errors: list[str] = []
    checked: list[Rule] = []
    seen: set[str] = set()
    for i, r in enumerate(rules, start=1):
        try:
            checked.append(_checked(r))
        except RuleError as exc:
            errors.extend(f"rule {i} ({r.rule_id}): {e}" for e in exc.errors)
            continue
        if r.rule_id in seen:
            errors.append(f"rule {i} ({r.rule_id}): rule_id: duplicate in the import")
        seen.add(r.rule_id)
    if errors:
        raise RuleError(errors)  # before any write: nothing to roll back
    with engine.begin() as conn:
        return {r.rule_id: _write(conn, r, _identity(who), "import") for r in checked}


def changed_fields(entry: AuditEntry) -> dict[str, tuple[Any, Any]]:
    """{field: (before, after)} of one audit entry, without the version counter."""
    before, after = entry.before or {}, entry.after or {}
    keys: Sequence[str] = [k for k in {**before, **after} if k != "version"]
    return {k: (before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)}
