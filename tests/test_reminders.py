"""Deadline reminders: real broker, real database, the aggregator's state. One alert per agency
and kind, never twice for the same deadline, digest interval respected, and an alert whose
produce was cut off by a crash is re-sent with the same id."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from kafka import KafkaProducer
from sqlalchemy import Engine, func, select

from ioc.db import schema as s
from streams.aggregator import Aggregator
from streams.reminders import ReminderScanner
from tests.helpers import dossier_event, drain, iso, read_topic

# Wednesday 4 March 2026, 10:00 in Hà Nội: near-due horizon = Thursday 10:00.
NOW = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)


def _ev(did: str, agency: str, due: datetime, seq: int = 2, type_: str = "in_progress",
        **kw) -> dict:
    received = NOW - timedelta(days=6)
    return dossier_event(did, seq, type_, received, agency_code=agency,
                         agency_name=f"Cơ quan {agency}", due_at=iso(due), **kw)


def _scenario() -> list[dict]:
    return [
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


def _alerts(bootstrap: str, n: int) -> list[dict]:
    recs = read_topic(bootstrap, "ioc.alerts", n, timeout=10)
    return [json.loads(r.value) for r in recs]


@pytest.fixture()
def loaded(broker, engine: Engine) -> KafkaProducer:  # noqa: ANN001
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    for e in _scenario():
        producer.send("ioc.dossier.v1", key=e["dossier_id"].encode(),
                      value=json.dumps(e).encode())
    producer.flush()
    agg = Aggregator(broker.bootstrap, engine, group="rem-test")
    try:
        drain(agg)
    finally:
        agg.close()
    yield producer
    producer.close()


def test_one_alert_per_agency_and_kind_then_digest(broker, engine: Engine,  # noqa: ANN001
                                                   loaded: KafkaProducer) -> None:
    scanner = ReminderScanner(engine, loaded, "25", digest=timedelta(minutes=60))
    first = scanner.scan_once(NOW)
    assert (first.detected, first.alerts, first.dossiers) == (3, 3, 3)
    alerts = _alerts(broker.bootstrap, 3)
    got = {(a["agency_code"], a["kind"]): [d["dossier_id"] for d in a["dossiers"]]
           for a in alerts}
    assert got == {("X", "dossier.overdue"): ["X-over"], ("X", "dossier.near_due"): ["X-near"],
                   ("Y", "dossier.overdue"): ["Y-over"]}
    assert {a["severity"] for a in alerts if a["kind"] == "dossier.overdue"} == {"critical"}
    assert all(a["count"] == 1 and "Cơ quan" in a["message_vi"] for a in alerts)

    # Nothing new a minute later: no second reminder for the same deadlines.
    again = scanner.scan_once(NOW + timedelta(minutes=1))
    assert (again.detected, again.alerts) == (0, 0)

    # 30 min later X-near is overdue: recorded, but X had an overdue alert 30 min ago.
    later = scanner.scan_once(NOW + timedelta(minutes=30))
    assert (later.detected, later.alerts) == (1, 0)
    # Once the digest interval has passed, the pending one goes out alone.
    digest = scanner.scan_once(NOW + timedelta(minutes=61))
    assert (digest.detected, digest.alerts, digest.dossiers) == (0, 1, 1)
    alerts = _alerts(broker.bootstrap, 4)
    assert len(alerts) == 4
    assert alerts[-1]["kind"] == "dossier.overdue" and alerts[-1]["agency_code"] == "X"
    assert [d["dossier_id"] for d in alerts[-1]["dossiers"]] == ["X-near"]
    with engine.connect() as conn:
        unsent = conn.execute(select(func.count()).select_from(s.dossier_reminders)
                              .where(s.dossier_reminders.c.sent_at.is_(None))).scalar()
    assert unsent == 0


def test_no_reminder_while_the_stream_is_behind(broker, engine: Engine,  # noqa: ANN001
                                               loaded: KafkaProducer) -> None:
    """Seen from two days later with nothing newer received, the state may be a backlog still
    being read (a backfill): nothing is recorded or sent until the stream is live."""
    later = ReminderScanner(engine, loaded, "25", live_within=timedelta(hours=6))
    result = later.scan_once(NOW + timedelta(days=2))
    assert result.waiting and (result.detected, result.alerts) == (0, 0)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.dossier_reminders)).scalar() == 0


class _CrashAfterClaim(ReminderScanner):
    """Dies between the DB commit of the alert id and the produce (like a power cut)."""

    def _produce(self, aid: str, rows: list[dict], now: datetime) -> None:
        raise SystemExit("crash before produce")


def test_alert_cut_off_by_a_crash_is_resent_with_the_same_id(  # noqa: ANN001
        broker, engine: Engine, loaded: KafkaProducer) -> None:
    with pytest.raises(SystemExit):
        _CrashAfterClaim(engine, loaded, "25").scan_once(NOW)
    with engine.connect() as conn:
        claimed = conn.execute(select(s.dossier_reminders.c.alert_id).where(
            s.dossier_reminders.c.alert_id.is_not(None))).scalars().all()
    assert len(claimed) == 1  # the first group was claimed, then the process died

    result = ReminderScanner(engine, loaded, "25").scan_once(NOW)
    assert result.alerts == 3  # the re-sent one + the two groups not claimed before
    alerts = _alerts(broker.bootstrap, 3)
    ids = [a["alert_id"] for a in alerts]
    assert claimed[0] in ids and len(set(ids)) == 3
