"""A poison record is isolated, never fatal: records that raise inside the working-day
calendar, the decoder, the redaction and the database are dead-lettered (the exception as the
reason) while every good record beside them, on all three topics, is counted and lag reaches 0.
Real broker, real database; the calendar and redaction faults are injected in-process."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from sqlalchemy import Engine, select, text

import ioc.reference.calendar as calendar
import streams.aggregator as aggregator_mod
from ioc.db.schema import dead_letters
from streams.aggregator import Aggregator
from streams.chaos.workload import (
    db_totals,
    dossier_event,
    expected_totals,
    feedback_event,
    social_event,
)
from streams.clients import make_producer
from tests.helpers import drain, now_utc

SECRET = "0912345678"


def _poison_trigger(engine: Engine) -> None:
    """A real database failure for one dossier id (not OperationalError: not transient).
    Replaces the one an earlier test of this module left (the database is reset, not
    re-created, between tests)."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER IF EXISTS poison"))
            conn.execute(text(
                "CREATE TRIGGER poison BEFORE INSERT ON dossiers "
                "WHEN NEW.dossier_id = 'D-POISON-DB' "
                "BEGIN SELECT RAISE(ABORT, 'poison row for Nguyễn Văn An 0912345678'); END"))
        else:
            conn.execute(text(
                "CREATE OR REPLACE FUNCTION poison_fn() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'poison row for Nguyễn Văn An 0912345678'; END $$ "
                "LANGUAGE plpgsql"))
            conn.execute(text("DROP TRIGGER IF EXISTS poison ON dossiers"))
            conn.execute(text(
                "CREATE TRIGGER poison BEFORE INSERT ON dossiers FOR EACH ROW "
                "WHEN (NEW.dossier_id = 'D-POISON-DB') EXECUTE FUNCTION poison_fn()"))


def test_poison_records_isolated_good_ones_counted(broker, engine, monkeypatch):
    t = now_utc() - timedelta(hours=3)
    good = ([dossier_event(f"D-{i}", 1, "received", t) for i in range(60)]
            + [dossier_event(f"D-{i}", 2, "completed", t, completed_at=t + timedelta(hours=1))
               for i in range(0, 60, 3)]
            + [feedback_event(f"F-{i}", 1, "received", t) for i in range(40)]
            + [social_event(f"P-{i}", t) for i in range(30)])

    # The calendar raises for a plausible year (as it did for 9999 by recursion).
    real_holidays = calendar.holiday_dates

    def fragile_holidays(year: int) -> frozenset:
        if year == 2099:
            raise RecursionError("maximum recursion depth exceeded")
        return real_holidays(year)

    monkeypatch.setattr(calendar, "holiday_dates", fragile_holidays)
    t2099 = t.replace(year=2099)
    in_calendar = dossier_event("D-2099", 1, "completed", t2099,
                                completed_at=t2099 + timedelta(hours=2))
    in_database = dossier_event("D-POISON-DB", 1, "received", t)
    _poison_trigger(engine)

    # Redaction raising on one post (inside the decode step of the aggregator).
    real_redact = aggregator_mod.redact_frame

    def fragile_redact(frame):
        if "text" in frame.columns and frame["text"].str.contains("BOOM").any():
            raise ValueError(f"cannot redact {SECRET}")
        return real_redact(frame)

    monkeypatch.setattr(aggregator_mod, "redact_frame", fragile_redact)
    in_redaction = social_event("P-BOOM", t, text="BOOM")

    year_9999 = dossier_event("D-9999", 1, "received", t)
    year_9999.update(received_at="9999-01-01T00:00:00+00:00",
                     due_at="9999-01-05T00:00:00+00:00")
    deep = b'{"dossier_id":"D-deep","x":' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    p = make_producer(broker.bootstrap)
    topic = {"ioc.dossier.v1": "dossier_id", "ioc.feedback.v1": "feedback_id",
             "ioc.social.v1": "post_id"}
    poison = [in_calendar, in_database, in_redaction, year_9999]
    for e in good[:100] + poison + good[100:]:
        p.send(e["schema"], key=str(e[topic[e["schema"]]]).encode(), value=json.dumps(e).encode())
    p.send("ioc.dossier.v1", key=b"D-deep", value=deep)
    p.flush()
    p.close()

    # In this process: the calendar's fault is monkeypatched here (the database trigger's
    # poison goes through the transactor process in test_poison_in_transactor_process).
    agg = Aggregator(broker.bootstrap, engine, group="g-poison", apply_in_process=False)
    try:
        drain(agg)  # raises if the aggregator raised or never caught up (lag 0)
        drain(agg)  # and the dead letters it sent to ioc.dlq are archived
    finally:
        agg.close()

    assert db_totals(engine) == {**dict.fromkeys(db_totals(engine), 0),
                                 **expected_totals(good)}
    with engine.connect() as conn:
        rows = conn.execute(select(dead_letters)).mappings().all()
    by_topic_offset = {(r["original_topic"], r["original_offset"]) for r in rows}
    assert len(rows) == len(by_topic_offset) == 5  # each poison record exactly once
    # The SHA-256 of the original bytes names each dead letter (its payload is redacted).
    names = {hashlib.sha256(json.dumps(e).encode()).hexdigest(): e.get("dossier_id")
             or e.get("post_id") for e in poison}
    names[hashlib.sha256(deep).hexdigest()] = "deep"
    reasons = {names[r["payload_sha256"]]: (r["stage"], r["reason"]) for r in rows}
    assert reasons["D-2099"][0] == "apply" and "RecursionError" in reasons["D-2099"][1]
    assert reasons["D-POISON-DB"][0] == "apply"
    assert "poison row" in reasons["D-POISON-DB"][1]
    assert reasons["P-BOOM"][0] == "aggregate" and "ValueError" in reasons["P-BOOM"][1]
    assert reasons["D-9999"] == ("aggregate", "received_at: must be between 2000-01-01 and "
                                 "2100-12-31; due_at: must be between 2000-01-01 and 2100-12-31")
    assert "nested deeper than 20" in reasons["deep"][1]
    for r in rows:  # personal data never in a reason
        assert SECRET not in r["reason"] and "Nguyễn Văn An" not in r["reason"]
        assert len(r["payload_sha256"]) == 64


def test_a_failure_no_record_explains_retries_without_dead_lettering(broker, engine,
                                                                   monkeypatch):
    """If the batch fails but no record raises alone (the database, not the data), nothing
    is dead-lettered and the aggregator neither crashes nor skips: the batch is read again."""
    t = now_utc() - timedelta(hours=2)
    events = [dossier_event(f"D-{i}", 1, "received", t) for i in range(20)]
    p = make_producer(broker.bootstrap)
    for e in events:
        p.send("ioc.dossier.v1", key=e["dossier_id"].encode(), value=json.dumps(e).encode())
    p.flush()
    p.close()
    agg = Aggregator(broker.bootstrap, engine, group="g-flaky", apply_in_process=False)
    real = agg.transactor.write_heartbeat
    failures = []

    def flaky(conn, records, lag):
        if not failures:
            failures.append(1)
            raise ValueError("heartbeat table trouble")
        return real(conn, records, lag)

    monkeypatch.setattr(agg.transactor, "write_heartbeat", flaky)
    try:
        drain(agg)
    finally:
        agg.close()
    assert failures == [1]
    assert db_totals(engine)["dossier.received"] == 20
    with engine.connect() as conn:
        assert conn.execute(select(dead_letters)).all() == []


def test_poison_in_transactor_process(broker, engine):
    """The transaction runs in the transactor's own process (the default): a record the
    database refuses is found there by trial transactions and dead-lettered by the
    aggregator; the good records beside it, and its batch's offsets, commit."""
    t = now_utc() - timedelta(hours=3)
    good = [dossier_event(f"D-{i}", 1, "received", t) for i in range(50)]
    _poison_trigger(engine)
    bad = dossier_event("D-POISON-DB", 1, "received", t)
    p = make_producer(broker.bootstrap)
    for e in good[:25] + [bad] + good[25:]:
        p.send("ioc.dossier.v1", key=e["dossier_id"].encode(), value=json.dumps(e).encode())
    p.flush()
    p.close()
    agg = Aggregator(broker.bootstrap, engine, group="g-poison-proc")
    try:
        assert agg.transactor.__class__.__name__ == "TransactorProcess"
        drain(agg)
        assert agg.stats.last_batch.poison or agg.stats.dead == 1
    finally:
        agg.close()
    assert db_totals(engine)["dossier.received"] == 50
    with engine.connect() as conn:
        rows = conn.execute(select(dead_letters.c.stage, dead_letters.c.reason,
                                   dead_letters.c.payload_sha256)).all()
    digest = hashlib.sha256(json.dumps(bad).encode()).hexdigest()
    assert [(r.stage, r.payload_sha256) for r in rows] == [("apply", digest)]
    assert "poison row" in rows[0].reason and SECRET not in rows[0].reason
