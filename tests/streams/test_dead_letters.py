"""Bad input goes to ioc.dlq with its reason; the good record after it is still counted."""

from __future__ import annotations

import json
from datetime import timedelta

from kafka import KafkaProducer
from sqlalchemy import select

from connectors.files.jsonl import JsonlFileSource
from connectors.runtime import ConnectorRuntime, run_until_idle
from ioc.db.schema import dead_letters
from ioc.events.contracts import DOSSIER_CONTRACT
from ioc.kpis.values import compute_kpis
from streams.aggregator import Aggregator
from streams.chaos.workload import dossier_event
from streams.clients import make_producer
from tests.helpers import drain, now_utc, read_topic


def _kpi(values, code):
    return next(v for v in values if v.kpi == code and not v.by)


def test_malformed_records_dead_lettered_good_ones_counted(broker, engine, tmp_path):
    t = now_utc() - timedelta(hours=2)
    good1 = dossier_event("D-1", 1, "received", t)
    bad_channel = dossier_event("D-2", 1, "received", t, channel="fax")
    good2 = dossier_event("D-3", 1, "received", t)
    # Bad data: the result is dated before the receipt.
    backwards = dossier_event("D-5", 3, "completed", t, completed_at=t - timedelta(days=1))
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"\n".join([
        json.dumps(good1).encode(), b'{"dossier_id": "D-9", oops', json.dumps(bad_channel).encode(),
        json.dumps(good2).encode(), json.dumps(backwards).encode()]) + b"\n")

    producer = make_producer(broker.bootstrap)
    stats = run_until_idle(ConnectorRuntime(JsonlFileSource(path, DOSSIER_CONTRACT), producer,
                                            engine))
    assert (stats.produced, stats.dead) == (2, 3)

    dlq = read_topic(broker.bootstrap, "ioc.dlq", expect=3)
    reasons = {dict(r.headers)["row"].decode(): dict(r.headers)["reason"].decode() for r in dlq}
    assert reasons["2"].startswith("invalid JSON")
    assert reasons["3"].startswith("channel: not one of") and "fax" not in reasons["3"]
    assert "completed_at" in reasons["5"] and "is before received_at" in reasons["5"]
    assert {dict(r.headers)["stage"] for r in dlq} == {b"map", b"validate"}
    assert dlq[0].value == b'{"dossier_id": "D-9", oops'  # original bytes kept

    # A record that skips the connector (raw producer) is caught by the aggregator's decoder.
    raw = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    raw.send("ioc.dossier.v1", key=b"X", value=b"\x00not json")
    raw.send("ioc.dossier.v1", key=b"D-4",
             value=json.dumps(dossier_event("D-4", 1, "received", t)).encode())
    raw.send("ioc.dossier.v1", key=b"D-5", value=json.dumps(backwards).encode())
    raw.flush()

    agg = Aggregator(broker.bootstrap, engine, group="g-dlq")
    try:
        drain(agg)
        drain(agg)  # the aggregate-stage dead letter lands on ioc.dlq during the first drain
    finally:
        agg.close()
    kpis = compute_kpis(engine, "province:25", "24h")
    assert _kpi(kpis, "dossier.received").value == 3
    with engine.connect() as conn:
        rows = conn.execute(select(dead_letters.c.stage, dead_letters.c.reason)).all()
    assert sorted(r.stage for r in rows) == ["aggregate", "aggregate", "map", "validate",
                                             "validate"]
    assert any("invalid JSON" in r.reason for r in rows if r.stage == "aggregate")
    assert any("completed_at" in r.reason and "before received_at" in r.reason
               for r in rows if r.stage == "aggregate")
    producer.close()
    raw.close()
