"""Dead letters are counted once: a crash between the send to ioc.dlq and the DB commit, or a
connector re-sending a batch, leaves one row per bad record (keyed by the original topic,
partition and offset, or by source + position + bytes), stored redacted with the hash of the
original; rows older than the retention period are purged."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import func, select

from connectors.base import SourceBatch, record_from_json_line
from connectors.files.jsonl import JsonlFileSource
from connectors.runtime import ConnectorRuntime
from ioc.db.schema import dead_letters
from ioc.events.contracts import DOSSIER_CONTRACT
from streams.aggregator import Aggregator, utcnow
from streams.chaos.workload import db_totals, dossier_event
from streams.clients import make_producer
from tests import REPO_ROOT
from tests.helpers import drain, now_utc, read_topic

PHONE = "0912345678"


def _count(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(dead_letters)).scalar())


def test_crash_between_dlq_send_and_db_commit_counts_each_dead_letter_once(
        broker, engine, db_url):
    t = now_utc() - timedelta(hours=2)
    p = make_producer(broker.bootstrap)
    bad, good = 300, 200
    for i in range(bad):
        e = dossier_event(f"B-{i}", 1, "received", t, applicant_note=f"gọi {PHONE}")
        e["received_at"] = "9999-01-01T00:00:00+00:00"  # implausible: aggregate-stage dead letter
        p.send("ioc.dossier.v1", key=e["dossier_id"].encode(), value=json.dumps(e).encode())
    for i in range(good):
        e = dossier_event(f"G-{i}", 1, "received", t)
        p.send("ioc.dossier.v1", key=e["dossier_id"].encode(), value=json.dumps(e).encode())
    p.flush()
    p.close()

    env = {**os.environ, "IOC_KAFKA_BOOTSTRAP": broker.bootstrap, "IOC_DATABASE_URL": db_url,
           "IOC_CRASH_AFTER_DLQ_SEND": "2"}
    proc = subprocess.run([sys.executable, "-c",
                           "import os, threading; from streams import aggregator as a;"
                           "from ioc.db.engine import make_engine;"
                           "g=a.Aggregator(os.environ['IOC_KAFKA_BOOTSTRAP'],"
                           "make_engine(os.environ['IOC_DATABASE_URL']), group='g-once',"
                           "max_poll_records=60); g.run(threading.Event())"],
                          env=env, cwd=str(REPO_ROOT), timeout=180)
    assert proc.returncode == 18  # died with dead letters sent, their batch not committed
    sent_before = len(read_topic(broker.bootstrap, "ioc.dlq", expect=10_000, timeout=3))
    assert sent_before > 0

    agg = Aggregator(broker.bootstrap, engine, group="g-once")
    try:
        drain(agg)
        drain(agg)  # archive what the crashed run and this one sent to ioc.dlq
    finally:
        agg.close()
    on_topic = read_topic(broker.bootstrap, "ioc.dlq", expect=10_000, timeout=3)
    assert len(on_topic) > bad  # the crash re-sent some: the table must still count once
    assert _count(engine) == bad
    assert db_totals(engine)["dossier.received"] == good
    with engine.connect() as conn:
        rows = conn.execute(select(dead_letters.c.payload, dead_letters.c.payload_sha256,
                                   dead_letters.c.original_topic)).all()
    assert all(PHONE.encode() not in r.payload for r in rows)  # stored redacted
    assert all(PHONE.encode() not in r.value for r in on_topic)  # sent redacted
    assert {r.original_topic for r in rows} == {"ioc.dossier.v1"}
    assert all(len(r.payload_sha256) == 64 for r in rows)


def test_connector_resending_a_batch_archives_each_dead_letter_once(broker, engine, tmp_path):
    t = now_utc() - timedelta(hours=2)
    lines = [json.dumps(dossier_event("D-1", 1, "received", t)).encode(),
             b'{"dossier_id": "D-2", "note": "' + PHONE.encode() + b'", oops',
             json.dumps(dossier_event("D-3", 1, "received", t, channel="fax")).encode(),
             b'{"dossier_id": "D-2", "note": "' + PHONE.encode() + b'", oops']  # same bytes
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    source = JsonlFileSource(path, DOSSIER_CONTRACT)
    producer = make_producer(broker.bootstrap)
    runtime = ConnectorRuntime(source, producer, engine)
    batch = source.poll(None)
    assert isinstance(batch, SourceBatch)
    runtime.send_batch(batch)
    runtime.send_batch(batch)  # a crash before the checkpoint: the whole batch again
    producer.close()
    dlq = read_topic(broker.bootstrap, "ioc.dlq", expect=6)
    assert len(dlq) == 6
    assert all(PHONE.encode() not in r.value for r in dlq)
    sha = {dict(r.headers)["payload_sha256"].decode() for r in dlq}
    assert hashlib.sha256(lines[1]).hexdigest() in sha

    agg = Aggregator(broker.bootstrap, engine, group="g-conn-once")
    try:
        drain(agg)
    finally:
        agg.close()
    assert _count(engine) == 3  # rows 2, 3 and 4 (4 has row 2's bytes at another row)
    assert record_from_json_line(lines[1]).error.startswith("invalid JSON")


def test_dead_letters_older_than_retention_are_purged(broker, engine):
    old, recent = utcnow() - timedelta(days=31), utcnow() - timedelta(days=29)
    with engine.begin() as conn:
        conn.execute(dead_letters.insert(), [
            {"dead_id": "old", "reason": "r", "stage": "validate", "dead_at": old},
            {"dead_id": "recent", "reason": "r", "stage": "validate", "dead_at": recent}])
    agg = Aggregator(broker.bootstrap, engine, group="g-purge", dlq_retention_days=30)
    try:
        assert agg.purge_dead_letters() == 1
    finally:
        agg.close()
    with engine.connect() as conn:
        assert conn.execute(select(dead_letters.c.dead_id)).scalars().all() == ["recent"]
