"""A scripted scenario drives a KPI across a threshold and back through the real pipeline
(broker → aggregator → SQL → evaluator → ioc.alerts): exactly one firing, the acknowledgement
recorded, one resolution; a silence suppresses the notification, not the evaluation; a
viewer cannot acknowledge. Plus the pure lifecycle rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from kafka import KafkaProducer
from sqlalchemy import Engine

from ioc.alerts import store
from ioc.alerts.lifecycle import FIRE, PEND, RESOLVE, Status, step
from ioc.alerts.rule_store import save_rule
from ioc.alerts.rules import parse_rule
from ioc.auth import Identity, PermissionDenied
from streams.aggregator import Aggregator
from streams.alert_evaluator import AlertEvaluator
from streams.chaos.workload import dossier_event
from tests.helpers import drain, read_topic

NOW = datetime(2026, 3, 4, 3, 30, tzinfo=UTC)
OPERATOR = Identity("op1", "operator")
VIEWER = Identity("leader", "viewer")


ADMIN_ID = Identity("test", "admin")


def _rule(**kw) -> dict:
    base = dict(rule_id="busy-commune", name="Nhiều hồ sơ", kind="threshold",
                kpi="dossier.received", scope="commune:08494", window="24h", comparator=">",
                threshold=3, pending_minutes=0, hysteresis=2, severity="warning",
                targets=["banner"])
    return {**base, **kw}


def _send(producer: KafkaProducer, prefix: str, n: int, at: datetime) -> None:
    for i in range(n):
        e = dossier_event(f"{prefix}{i}", 1, "received", at)
        producer.send("ioc.dossier.v1", key=e["dossier_id"].encode(),
                      value=json.dumps(e).encode())
    producer.flush()


def _alerts_on_topic(bootstrap: str, expect: int) -> list[dict]:
    return [json.loads(r.value) for r in read_topic(bootstrap, "ioc.alerts", expect, 10)]


def test_across_the_threshold_and_back(broker, engine: Engine) -> None:
    save_rule(engine, parse_rule(_rule()), ADMIN_ID)
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    agg = Aggregator(broker.bootstrap, engine, group="g-alerts")
    ev = AlertEvaluator(engine, producer)
    try:
        _send(producer, "A", 3, NOW - timedelta(hours=2))
        drain(agg)
        assert ev.evaluate_once(NOW).transitions == {}  # 3 is not > 3
        _send(producer, "B", 2, NOW - timedelta(hours=1))  # 5 > 3: crosses
        drain(agg)
        assert ev.evaluate_once(NOW).transitions == {FIRE: 1}
        for minutes in (1, 5, 30):  # holds on: never a second firing
            assert ev.evaluate_once(NOW + timedelta(minutes=minutes)).transitions == {}
        (alert,) = store.list_alerts(engine, open_only=True)
        assert (alert["state"], alert["value"]) == ("firing", 5)

        with pytest.raises(PermissionDenied):
            store.acknowledge(engine, alert["alert_id"], VIEWER, "tôi xem rồi")
        with pytest.raises(ValueError, match="note"):
            store.acknowledge(engine, alert["alert_id"], OPERATOR, "  ")
        store.acknowledge(engine, alert["alert_id"], OPERATOR, "Đã gọi UBND xã",
                          now=NOW + timedelta(minutes=40))

        # 22 h later only B's two are inside the 24 whole hours: 2 is below the threshold
        # but not at or below 3 − 2 (hysteresis), so it keeps firing …
        assert ev.evaluate_once(NOW + timedelta(hours=22)).transitions == {}
        # … 25 h later none are: resolved by itself.
        assert ev.evaluate_once(NOW + timedelta(hours=25)).transitions == {RESOLVE: 1}
        assert ev.evaluate_once(NOW + timedelta(hours=26)).transitions == {}
    finally:
        agg.close()

    (done,) = store.list_alerts(engine)
    assert (done["state"], done["acked_by"], done["ack_note"]) == (
        "resolved", "op1", "Đã gọi UBND xã")
    trail = [(h["transition"], h["actor"]) for h in reversed(store.history(engine))]
    assert trail == [(FIRE, "evaluator"), ("ack", "op1"), (RESOLVE, "evaluator")]
    records = _alerts_on_topic(broker.bootstrap, 2)
    assert [(r["transition"], r["alert_id"]) for r in records] == [
        (FIRE, done["alert_id"]), (RESOLVE, done["alert_id"])]
    assert "Hồ sơ tiếp nhận" in records[0]["message_vi"]
    producer.close()


def test_silence_suppresses_notification_not_evaluation(broker, engine: Engine) -> None:
    save_rule(engine, parse_rule(_rule(rule_id="silenced", targets=["banner", "webhook"])),
              ADMIN_ID)
    with pytest.raises(PermissionDenied):
        store.add_silence(engine, VIEWER, NOW, NOW + timedelta(hours=2), "bảo trì")
    store.add_silence(engine, OPERATOR, NOW - timedelta(minutes=5), NOW + timedelta(hours=2),
                      "Bảo trì hệ thống một cửa", rule_id="silenced")
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    agg = Aggregator(broker.bootstrap, engine, group="g-silence")
    try:
        _send(producer, "S", 5, NOW - timedelta(hours=1))
        drain(agg)
        result = AlertEvaluator(engine, producer).evaluate_once(NOW)
    finally:
        agg.close()
    assert result.transitions == {FIRE: 1} and result.delivered == 0
    (alert,) = store.list_alerts(engine, open_only=True)
    assert alert["state"] == "firing"  # evaluated and firing: shown on the wall screen
    assert store.pending_deliveries(engine) == []  # topic and webhook both suppressed
    assert read_topic(broker.bootstrap, "ioc.alerts", 1, timeout=3) == []
    producer.close()


# ---------------------------------------------------------------- the pure lifecycle

def test_pending_duration_and_drop() -> None:
    rule = parse_rule(_rule(pending_minutes=30))
    s0 = Status()
    s1, t1 = step(rule, s0, 5, NOW)
    assert t1 == PEND
    assert step(rule, s1, 5, NOW + timedelta(minutes=29)) == (s1, None)
    s2, t2 = step(rule, s1, 5, NOW + timedelta(minutes=30))
    assert (s2.state, t2) == ("firing", FIRE)
    # a pending condition that stops holding is dropped, no notification
    assert step(rule, s1, 2, NOW + timedelta(minutes=10)) == (Status(), "drop")
    # no data keeps the state either way
    assert step(rule, s1, None, NOW + timedelta(minutes=40)) == (s1, None)
    assert step(rule, s2, None, NOW + timedelta(hours=5)) == (s2, None)


def test_firing_reaches_the_webhook_signed(broker, engine: Engine,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The evaluator's outbox delivers to a real local HTTP receiver, which verifies the
    HMAC signature and sees the alert id once."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from ioc.alerts.notify.webhook import verify_signature

    got: list[tuple[bool, dict]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            ok = verify_signature("s3cret-key", self.headers["X-IOC-Timestamp"], body,
                                  self.headers["X-IOC-Signature"])
            got.append((ok, json.loads(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("IOC_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")
    monkeypatch.setenv("IOC_WEBHOOK_SECRET", "s3cret-key")
    save_rule(engine, parse_rule(_rule(rule_id="hooked", targets=["webhook"])), ADMIN_ID)
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    agg = Aggregator(broker.bootstrap, engine, group="g-hook")
    try:
        _send(producer, "W", 5, NOW - timedelta(hours=1))
        drain(agg)
        result = AlertEvaluator(engine, producer).evaluate_once(NOW)
        AlertEvaluator(engine, producer).evaluate_once(NOW + timedelta(minutes=1))
    finally:
        agg.close()
        server.shutdown()
        producer.close()
    assert result.transitions == {FIRE: 1} and result.delivered == 2  # topic + webhook
    assert len(got) == 1
    ok, body = got[0]
    assert ok and body["transition"] == FIRE and body["rule_id"] == "hooked"


def test_notification_messages_read_like_the_banner() -> None:
    from streams.alert_evaluator import payload

    rule = parse_rule(_rule(rule_id="dung-han", name="Đúng hạn Lâm Thao",
                            kpi="dossier.on_time_rate", scope="province:25,commune:08494",
                            window="30d", comparator="<", threshold=0.99, hysteresis=0))
    fire = payload(rule, "a1", "fire", 0.987, datetime(2026, 11, 20, 2))
    assert fire["message_vi"] == ("Đúng hạn Lâm Thao: Tỷ lệ đúng hạn (Tỉnh Phú Thọ › Xã Lâm "
                                  "Thao, 30 ngày): 98,7 % < 99,0 % — vượt ngưỡng")
    back = payload(rule, "a1", "resolve", 0.995, datetime(2026, 11, 20, 5))
    assert back["message_vi"].endswith("99,5 % — đã trở lại bình thường (ngưỡng < 99,0 %)")
    assert back["message_en"].endswith("is back to normal: 99,5 % (threshold < 99,0 %)")
