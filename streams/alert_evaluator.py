"""Evaluate the enabled rules against the committed state and deliver their notifications.

The aggregator calls `evaluate_once` after it commits a batch (and every few seconds when
idle, since overdue figures change with the clock), so an alert is visible within one
aggregation cycle of the crossing. KPI values come from `ioc.kpis.values.compute_kpis`, the same
figures the pages show; transitions come from `ioc.alerts.lifecycle.step`; episodes, history
and the notification outbox are written together (`ioc.alerts.store`), delivered after.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from kafka import KafkaProducer
from sqlalchemy import Engine

from ioc.alerts import store
from ioc.alerts.bursts import burst_reading
from ioc.alerts.lifecycle import NOTIFYING, step
from ioc.alerts.notify import registry as notify
from ioc.alerts.rule_store import list_stored
from ioc.alerts.rules import Rule
from ioc.alerts.text import (
    area_names,
    comparison_text,
    fmt_kpi,
    kpi_label,
    scope_text,
    window_text,
)
from ioc.events.contracts import TOPIC_ALERTS
from ioc.kpis.catalogue import BY_CODE, parse_scope
from ioc.kpis.values import compute_kpis

log = logging.getLogger(__name__)
ALERT_SCHEMA = "ioc.alert.v1"


@dataclass
class EvalResult:
    evaluated: int = 0
    transitions: dict[str, int] = field(default_factory=dict)
    delivered: int = 0
    failed: int = 0


def _naive(now: datetime | None) -> datetime:
    n = now or datetime.now(UTC)
    return n.astimezone(UTC).replace(tzinfo=None) if n.tzinfo else n


def rule_values(engine: Engine, rules: list[Rule], now: datetime) -> dict[str, float | None]:
    """The KPI value each rule looks at; one computation per (scope, window)."""
    cache: dict[tuple[str, str], dict[str, float | None]] = {}
    out: dict[str, float | None] = {}
    for r in rules:
        key = (r.scope, r.window)
        if key not in cache:
            try:
                kv = compute_kpis(engine, r.scope, r.window, now.replace(tzinfo=UTC),
                                  with_previous=False)
                cache[key] = {k.kpi: k.value for k in kv if not k.by}
            except ValueError as exc:  # e.g. a scope that table cannot be cut by
                log.warning("rule %s: %s", r.rule_id, exc)
                cache[key] = {}
        out[r.rule_id] = cache[key].get(r.kpi)
    return out


@lru_cache(maxsize=8)
def _names(scope: str) -> dict[str, str]:
    province = parse_scope(scope).get("province_code")
    return area_names(province) if province else {}


def payload(rule: Rule, alert_id: str, transition: str, value: float | None,
            at: datetime) -> dict[str, Any]:
    """The notification record; its messages read like the banner (place names, values in
    their unit: '98,7 % < 99,0 %')."""
    row = {"kpi": rule.kpi, "scope": rule.scope, "window": rule.window,
           "comparator": rule.comparator, "threshold": rule.threshold, "value": value}
    k = BY_CODE.get(rule.kpi)
    label_en = k.label_en if k else rule.kpi
    where_vi = (f"{kpi_label(rule.kpi)} ({scope_text(rule.scope, _names(rule.scope))}, "
                f"{window_text(rule.window)})")
    where_en = f"{label_en} ({rule.scope}, {rule.window})"
    limit = f"{rule.comparator} {fmt_kpi(rule.threshold, rule.kpi)}"
    if transition == "fire":
        text_vi = f"{where_vi}: {comparison_text(row)} — vượt ngưỡng"
        text_en = f"{where_en} crossed its threshold: {comparison_text(row)}"
    else:  # the value no longer meets the condition: show it beside the threshold
        text_vi = (f"{where_vi}: {fmt_kpi(value, rule.kpi)} — đã trở lại bình thường "
                   f"(ngưỡng {limit})")
        text_en = f"{where_en} is back to normal: {fmt_kpi(value, rule.kpi)} (threshold {limit})"
    return {
        "schema": ALERT_SCHEMA, "alert_id": alert_id, "type": "rule",
        "transition": transition, "rule_id": rule.rule_id, "rule_name": rule.name,
        "kpi": rule.kpi, "scope": rule.scope, "window": rule.window,
        "comparator": rule.comparator, "threshold": rule.threshold, "severity": rule.severity,
        "value": value, "at": at.isoformat() + "Z",
        "message_vi": f"{rule.name}: {text_vi}",
        "message_en": f"{rule.name}: {text_en}",
    }


class AlertEvaluator:
    def __init__(self, engine: Engine, producer: KafkaProducer | None) -> None:
        self.engine = engine
        self.producer = producer

    def evaluate_once(self, now: datetime | None = None, external: bool = True) -> EvalResult:
        """Evaluate every enabled rule once; deliver to the topic, and to webhook/e-mail
        too unless `external` is False (the aggregator leaves those, which may wait on
        retries, to `run_deliveries` in its own thread)."""
        at = _naive(now)
        started = time.monotonic()
        result = EvalResult()
        stored = list_stored(self.engine, include_disabled=False)
        values = rule_values(self.engine, [s.rule for s in stored if s.rule.kind != "burst"],
                             at)
        for st in stored:
            rule, value = st.rule, values.get(st.rule.rule_id)
            limit = None
            if rule.kind == "burst":
                try:
                    value, limit = burst_reading(self.engine, rule, at)
                except ValueError as exc:
                    log.warning("rule %s: %s", rule.rule_id, exc)
                    value = None
            with self.engine.begin() as conn:
                row = store.open_alert(conn, rule.rule_id)
                new, transition = step(rule, store.status_of(row), value, at, limit)
                alert_id = store.record_step(conn, rule, st.version, row, new, transition,
                                             value, at)
                if transition in NOTIFYING and alert_id:
                    silence = next((x for x in store.active_silences(conn, at)
                                    if x.matches(rule.rule_id, rule.scope, at)), None)
                    channels = ["topic", *[t for t in rule.targets if t != "banner"]]
                    store.enqueue(conn, alert_id, transition, channels,
                                  payload(rule, alert_id, transition, value, at),
                                  silence.silence_id if silence else None, at)
            result.evaluated += 1
            if transition:
                result.transitions[transition] = result.transitions.get(transition, 0) + 1
        delivered, failed = self.deliver(at, external=external)
        result.delivered, result.failed = delivered, failed
        took = time.monotonic() - started
        if result.transitions or took > 1.0:  # a slow evaluation delays every alert
            log.info("alerts: %d rule(s) in %.2f s; %s; %d delivered", result.evaluated, took,
                     result.transitions or "no transition", delivered)
        return result

    def deliver(self, now: datetime, external: bool = True, topic: bool = True
                ) -> tuple[int, int]:
        rows = store.pending_deliveries(self.engine)
        results: dict[int, tuple[bool, str | None]] = {}
        if topic:
            results.update(self._send_topic([r for r in rows if r["channel"] == "topic"]))
        if external:
            for row in rows:
                if row["channel"] != "topic":
                    results[row["id"]] = self._send(row)
        store.mark_deliveries(self.engine, results, now)
        ok_n = sum(ok for ok, _ in results.values())
        return ok_n, len(results) - ok_n

    def _send_topic(self, rows: list[dict[str, Any]]) -> dict[int, tuple[bool, str | None]]:
        """All records sent first, then every acknowledgement awaited: hundreds of reminder
        notifications at once (the first scan after a start) take one round trip, not one
        each, so a rule alert written beside them is not held up."""
        if not rows:
            return {}
        if self.producer is None:
            return {r["id"]: (False, "no Kafka producer") for r in rows}
        futures = {}
        for r in rows:
            try:
                futures[r["id"]] = self.producer.send(
                    TOPIC_ALERTS, key=r["alert_id"].encode(), value=r["payload"].encode(),
                    headers=[("alert_id", r["alert_id"].encode()),
                             ("transition", r["transition"].encode())])
            except Exception as exc:  # noqa: BLE001 - retried next cycle
                futures[r["id"]] = exc
        out: dict[int, tuple[bool, str | None]] = {}
        for row_id, fut in futures.items():
            if isinstance(fut, Exception):
                out[row_id] = (False, repr(fut))
                continue
            try:
                fut.get(timeout=30)
                out[row_id] = (True, None)
            except Exception as exc:  # noqa: BLE001 - retried next cycle
                log.warning("delivery topic of outbox row %s failed: %r", row_id, exc)
                out[row_id] = (False, repr(exc))
        return out

    def _send(self, row: dict[str, Any]) -> tuple[bool, str | None]:
        """Webhook and e-mail rows, through the sender registered for the channel's kind."""
        try:
            r = notify.send(row["channel"], row["payload"])
            return r.ok, r.error
        except Exception as exc:  # noqa: BLE001 - a failed delivery is retried next cycle
            log.warning("delivery %s of %s failed: %r", row["channel"], row["alert_id"], exc)
            return False, repr(exc)


def run_deliveries(evaluator: AlertEvaluator, stop: threading.Event, every_s: float = 5.0
                   ) -> None:
    """Webhook and e-mail deliveries, off the aggregation loop (they retry with backoff)."""
    while not stop.wait(every_s):
        try:
            evaluator.deliver(_naive(None), external=True, topic=False)
        except Exception:
            log.exception("alert deliveries failed")
