"""Storage of the feedback SLA rules (table `feedback_sla_rules`, append-only: every change is
a new row, never an update, so the table is the audit trail). Resolution is in
ioc.feedback.sla."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import Engine, insert, select

from ioc.db import schema as s
from ioc.feedback.sla import SlaPolicy, SlaRule, validate
from ioc.reference.calendar import TZ


def history(engine: Engine) -> list[SlaRule]:
    """Every version ever set, newest first."""
    t = s.feedback_sla_rules
    q = select(t.c.category, t.c.agency_code, t.c.days, t.c.valid_from, t.c.set_by,
               t.c.set_at, t.c.reason).order_by(t.c.set_at.desc(), t.c.valid_from.desc(),
                                                t.c.category, t.c.agency_code)
    with engine.connect() as conn:
        return [SlaRule(r.category, r.agency_code, float(r.days), r.valid_from, r.set_by,
                        r.set_at, r.reason or "") for r in conn.execute(q)]


def load_policy(engine: Engine) -> SlaPolicy:
    return SlaPolicy(history(engine))


def start_of(day: date | None, now: datetime) -> datetime:
    """valid_from (naive UTC) of a rule starting on local `day` (None or today: now)."""
    now_utc = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
    if day is None:
        return now_utc
    midnight = datetime(day.year, day.month, day.day, tzinfo=TZ).astimezone(UTC)
    return max(midnight.replace(tzinfo=None), now_utc)


def set_rule(engine: Engine, category: str, days: float, actor: str, agency_code: str = "",
             valid_from: date | None = None, reason: str = "",
             now: datetime | None = None) -> SlaRule:
    """Append a version. It applies to reports received from `valid_from` (a local date; None =
    now) on; it can not start in the past, because deadlines already given are not moved."""
    at = now or datetime.now(UTC)
    errors = validate(category, days, agency_code, actor)
    today = at.astimezone(TZ).date() if at.tzinfo else at.replace(tzinfo=UTC).astimezone(TZ).date()
    if valid_from is not None and valid_from < today:
        errors.append(f"Ngày áp dụng đã qua · the start date {valid_from:%d/%m/%Y} is in the "
                      "past; a change applies to reports received from now on")
    if errors:
        raise ValueError("; ".join(errors))
    set_at = start_of(None, at)
    rule = SlaRule(category, agency_code, float(days), start_of(valid_from, at), actor.strip(),
                   set_at, reason.strip())
    with engine.begin() as conn:
        conn.execute(insert(s.feedback_sla_rules).values(
            category=rule.category, agency_code=rule.agency_code, days=rule.days,
            valid_from=rule.valid_from, set_by=rule.set_by, set_at=rule.set_at,
            reason=rule.reason))
    return rule


def policy_provider(engine: Engine, ttl_s: float = 30.0) -> Callable[[], SlaPolicy]:
    """A cached reader for long-running connectors: a change is seen within `ttl_s`."""
    lock = threading.Lock()
    cache: dict[str, tuple[float, SlaPolicy]] = {}

    def provider() -> SlaPolicy:
        with lock:
            hit = cache.get("p")
            if hit is None or time.monotonic() - hit[0] > ttl_s:
                hit = (time.monotonic(), load_policy(engine))
                cache["p"] = hit
            return hit[1]

    return provider
