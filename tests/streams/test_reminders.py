"""Deadline reminders in the alert lifecycle: real broker, real database, the aggregator's state.
One episode per stream, agency and kind: it fires once, new items are reminded inside it at
most once per digest interval, an operator acknowledges it, and it resolves by itself when no
item is left in that state; a silence suppresses the notification, not the episode."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from kafka import KafkaProducer
from sqlalchemy import Engine, func, select

from ioc.alerts import store as alert_store
from ioc.auth import Identity
from ioc.db import schema as s
from streams.alert_evaluator import AlertEvaluator
from streams.chaos.workload import dossier_event, feedback_event, iso
from streams.reminder_scan import ReminderScanner
from tests.helpers import aggregate_all, read_topic

# Wednesday 4 March 2026, 10:00 in Hà Nội: near-due horizon = Thursday 10:00.
NOW = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)
NAIVE = NOW.replace(tzinfo=None)
OPERATOR = Identity("op1", "operator")


def _ev(did: str, agency: str, due: datetime, seq: int = 2, type_: str = "in_progress",
        **kw) -> dict:
    received = NOW - timedelta(days=6)
    return dossier_event(did, seq, type_, received, agency_code=agency,
                         agency_name=f"Cơ quan {agency}", due_at=iso(due), **kw)


def _scenario() -> list[tuple[str, dict]]:
    dossiers = [
        _ev("X-over", "X", NOW - timedelta(days=1)),
        _ev("X-near", "X", NOW + timedelta(minutes=20)),
        _ev("X-later", "X", NOW + timedelta(days=3)),
        _ev("Y-over", "Y", NOW - timedelta(hours=2)),
        # Waiting for the applicant: the clock is paused, no reminder.
        _ev("Y-paused", "Y", NOW - timedelta(days=1), type_="supplement_requested",
            supplement_requested_at=iso(NOW - timedelta(days=2))),
        _ev("X-done", "X", NOW - timedelta(days=1), seq=3, type_="completed",
            completed_at=NOW - timedelta(days=2)),
        # Received 10 minutes ago: the stream is live (reminders wait for that).
        dossier_event("Z-fresh", 1, "received", NOW - timedelta(minutes=10), agency_code="Z",
                      due_at=iso(NOW + timedelta(days=5))),
    ]
    feedback = [
        feedback_event("F-over", 1, "received", NOW - timedelta(days=5),
                       due_at=iso(NOW - timedelta(days=1))),
        feedback_event("F-fresh", 1, "received", NOW - timedelta(minutes=10)),
    ]
    return ([("ioc.dossier.v1", e) for e in dossiers]
            + [("ioc.feedback.v1", e) for e in feedback])


def _send(broker, engine: Engine, producer: KafkaProducer,
          events: list[tuple[str, dict]]) -> None:
    for topic, e in events:
        key = e.get("dossier_id") or e.get("feedback_id")
        producer.send(topic, key=key.encode(), value=json.dumps(e).encode())
    producer.flush()
    aggregate_all(broker.bootstrap, engine, "rem-test")


@pytest.fixture()
def loaded(broker, engine: Engine) -> KafkaProducer:
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    _send(broker, engine, producer, _scenario())
    yield producer
    producer.close()


def _scanner(engine: Engine, producer: KafkaProducer, **kw) -> ReminderScanner:
    evaluator = AlertEvaluator(engine, producer)
    return ReminderScanner(engine, "25", deliver=lambda now: evaluator.deliver(now), **kw)


def _records(bootstrap: str, n: int) -> list[dict]:
    return [json.loads(r.value) for r in read_topic(bootstrap, "ioc.alerts", n, timeout=10)]


def _episode(engine: Engine, rule_id: str) -> dict:
    rows = [a for a in alert_store.list_alerts(engine) if a["rule_id"] == rule_id]
    assert len(rows) == 1, rows
    return rows[0]


def test_fire_once_remind_in_digest_ack_and_resolve(broker, engine: Engine,
                                                    loaded: KafkaProducer) -> None:
    scanner = _scanner(engine, loaded, digest=timedelta(minutes=60))
    first = scanner.scan_once(NOW)
    assert (first.detected, first.fired, first.items) == (4, 4, 4)
    fired = _records(broker.bootstrap, 4)
    got = {(a["agency_code"], a["kind"]): [i["id"] for i in a["items"]] for a in fired}
    assert got == {("X", "dossier.overdue"): ["X-over"], ("X", "dossier.near_due"): ["X-near"],
                   ("Y", "dossier.overdue"): ["Y-over"],
                   ("UBND-08494", "feedback.overdue"): ["F-over"]}
    assert {a["transition"] for a in fired} == {"fire"}
    assert {a["severity"] for a in fired if a["kind"].endswith("overdue")} == {"critical"}
    assert all(a["value"] == 1 and a["message_vi"] for a in fired)
    x_over = _episode(engine, "rem.dossier.overdue.X")
    assert (x_over["state"], x_over["scope"], x_over["kpi"]) == ("firing", "agency:X",
                                                                 "dossier.overdue")

    # A minute later, and from a second scanner (another instance): nothing fires twice.
    again = _scanner(engine, loaded).scan_once(NOW + timedelta(minutes=1))
    assert (again.detected, again.fired, again.reminded, again.resolved) == (0, 0, 0, 0)

    # 30 min later X-near is overdue: recorded; X's near-due episode resolves; X's overdue
    # episode was notified 30 min ago, so the new item waits for the digest.
    later = scanner.scan_once(NOW + timedelta(minutes=30))
    assert (later.detected, later.fired, later.reminded, later.resolved) == (1, 0, 0, 1)
    assert _episode(engine, "rem.dossier.near_due.X")["state"] == "resolved"
    digest = scanner.scan_once(NOW + timedelta(minutes=61))
    assert (digest.reminded, digest.items) == (1, 1)
    resolve_near, remind = _records(broker.bootstrap, 6)[-2:]
    assert (resolve_near["transition"], resolve_near["kind"]) == ("resolve",
                                                                   "dossier.near_due")
    assert (remind["transition"], remind["alert_id"]) == ("remind", x_over["alert_id"])
    assert [i["id"] for i in remind["items"]] == ["X-near"] and remind["value"] == 2

    # The operator acknowledges; the agency completes both: it resolves by itself.
    alert_store.acknowledge(engine, x_over["alert_id"], OPERATOR, "Đã gọi điện cho cơ quan X",
                            now=NOW + timedelta(minutes=62))
    _send(broker, engine, loaded, [
        ("ioc.dossier.v1", _ev(d, "X", due, seq=3, type_="completed",
                               completed_at=NOW + timedelta(minutes=63)))
        for d, due in (("X-over", NOW - timedelta(days=1)),
                       ("X-near", NOW + timedelta(minutes=20)))])
    done = scanner.scan_once(NOW + timedelta(minutes=65))
    assert (done.fired, done.reminded, done.resolved) == (0, 0, 1)
    episode = _episode(engine, "rem.dossier.overdue.X")
    assert (episode["state"], episode["acked_by"]) == ("resolved", "op1")
    trail = [h["transition"] for h in reversed(alert_store.history(engine,
                                                                  x_over["alert_id"]))]
    assert trail == ["fire", "remind", "ack", "resolve"]
    assert _records(broker.bootstrap, 7)[-1]["transition"] == "resolve"
    with engine.connect() as conn:
        unsent = conn.execute(select(func.count()).select_from(s.deadline_reminders)
                              .where(s.deadline_reminders.c.sent_at.is_(None))).scalar()
    assert unsent == 0


def test_silence_suppresses_the_notification_not_the_episode(
        broker, engine: Engine, loaded: KafkaProducer) -> None:
    alert_store.add_silence(engine, OPERATOR, NAIVE - timedelta(hours=1),
                            NAIVE + timedelta(hours=1), "Cơ quan Y đang bảo trì hệ thống",
                            scope_prefix="agency:Y")
    result = _scanner(engine, loaded).scan_once(NOW)
    assert result.fired == 4
    assert _episode(engine, "rem.dossier.overdue.Y")["state"] == "firing"
    records = _records(broker.bootstrap, 3)
    assert "Y" not in {r["agency_code"] for r in records}
    with engine.connect() as conn:
        suppressed = conn.execute(select(func.count()).select_from(s.alert_outbox).where(
            s.alert_outbox.c.suppressed_by.is_not(None))).scalar()
    assert suppressed == 1


def test_no_reminder_while_the_stream_is_behind(broker, engine: Engine,
                                               loaded: KafkaProducer) -> None:
    """Seen from two days later with nothing newer received, the state may be a backlog still
    being read (a backfill): nothing is recorded or sent until the stream is live."""
    later = _scanner(engine, loaded, live_within=timedelta(hours=6))
    result = later.scan_once(NOW + timedelta(days=2))
    assert result.waiting and (result.detected, result.fired) == (0, 0)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.deadline_reminders)
                            ).scalar() == 0
        assert conn.execute(select(func.count()).select_from(s.alerts)).scalar() == 0


def test_notification_cut_off_by_a_crash_is_delivered_after_with_the_same_ids(
        broker, engine: Engine, loaded: KafkaProducer) -> None:
    # Committed, then the process died before delivering (no deliver hook = no delivery).
    cut = ReminderScanner(engine, "25").scan_once(NOW)
    assert cut.fired == 4
    with engine.connect() as conn:
        waiting = conn.execute(select(s.alert_outbox.c.alert_id).where(
            s.alert_outbox.c.sent_at.is_(None))).scalars().all()
    assert len(waiting) == 4
    # The restarted aggregator's evaluator delivers the outbox; the scan adds nothing.
    again = _scanner(engine, loaded).scan_once(NOW + timedelta(minutes=1))
    assert again.fired == 0
    delivered, failed = AlertEvaluator(engine, loaded).deliver(NAIVE)
    assert (delivered, failed) == (4, 0)
    records = _records(broker.bootstrap, 4)
    assert sorted(r["alert_id"] for r in records) == sorted(waiting)
