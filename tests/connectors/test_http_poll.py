"""HTTP JSON polling against a real local server (ThreadingHTTPServer on 127.0.0.1:0): auth,
both pagination styles, retries of 503 / slow / non-JSON answers, exactly-once delivery to the
real broker, and resuming from the database checkpoint after a restart."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from kafka import KafkaProducer
from sqlalchemy import Engine

from connectors.base import Source
from connectors.files.mapping import ColumnMapping
from connectors.http.poller import (
    HttpJsonSource,
    HttpPollConfig,
    HttpSourceError,
    HttpUnavailableError,
)
from connectors.runtime import ConnectorRuntime, ConnectorStats, run_until_idle
from ioc.db.checkpoints import load_cursor
from ioc.reference.calendar import TZ
from streams.chaos.workload import dossier_event
from streams.clients import make_producer
from tests.connectors.local_http import LocalHttpServer
from tests.helpers import read_topic

TOKEN = "s3cr3t-token-0f9a8b7c"
ENV = "IOC_TEST_DVC_TOKEN"


class FakeApi:
    """A one-stop-shop API: records sorted by (updated_at, id), `updated_since` inclusive,
    Bearer auth, and failures injected per request from a queue."""

    def __init__(self) -> None:
        self.records: dict[Any, dict[str, Any]] = {}
        self.log: list[tuple[str, dict[str, str], str]] = []  # (path, query, outcome)
        self.failures: list[str] = []  # next requests: "503", "slow", "garbage"
        self.release = threading.Event()  # lets a "slow" handler finish at teardown
        self.lock = threading.Lock()
        self.http = LocalHttpServer(self.handle)  # the request log above is what tests read
        self.base = self.http.base

    def close(self) -> None:
        self.release.set()
        self.http.close()

    def put(self, *records: dict[str, Any]) -> None:
        with self.lock:
            for r in records:
                self.records[r["id"]] = r

    def outcomes(self) -> list[str]:
        return [o for _, _, o in self.log]

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            failure = self.failures.pop(0) if self.failures else None
        if h.headers.get("Authorization") != f"Bearer {TOKEN}":
            # Echo the credential, as careless servers do: the client must scrub it.
            self._send(h, 401, {"error": f"token {h.headers.get('Authorization')} rejected"},
                       parts.path, q, "401")
            return
        if failure == "503":
            self._send(h, 503, {"error": "maintenance"}, parts.path, q, "503")
            return
        if failure == "slow":
            self.log.append((parts.path, q, "slow"))
            self.release.wait(5)  # far beyond the client's timeout
            self._send(h, 200, {"data": []}, parts.path, q, None)
            return
        if failure == "garbage":
            self._send(h, 200, b"<html>proxy error</html>", parts.path, q, "garbage")
            return
        with self.lock:
            rows = sorted(self.records.values(), key=lambda r: (r["updated_at"], r["id"]))
        if "updated_since" in q:
            since = datetime.fromisoformat(q["updated_since"])
            rows = [r for r in rows if datetime.fromisoformat(r["updated_at"]) >= since]
        if parts.path == "/paged":
            page, size = int(q.get("page", 1)), int(q.get("per_page", 50))
            body: Any = {"data": rows[(page - 1) * size:page * size], "page": page}
        elif parts.path == "/linked":
            offset, limit = int(q.get("offset", 0)), 2
            nxt = None
            if offset + limit < len(rows):
                nxt = "/linked?" + urlencode({**q, "offset": offset + limit})
            body = {"items": rows[offset:offset + limit], "links": {"next": nxt}}
        else:
            self._send(h, 404, {"error": "no such path"}, parts.path, q, "404")
            return
        self._send(h, 200, body, parts.path, q, "200")

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: Any, path: str,
              q: dict[str, str], outcome: str | None) -> None:
        if outcome:
            self.log.append((path, q, outcome))
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)


@pytest.fixture()
def api() -> Iterator[FakeApi]:
    srv = FakeApi()
    yield srv
    srv.close()


@pytest.fixture()
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(ENV, f"Bearer {TOKEN}")
    return TOKEN


def _config(api: FakeApi, path: str, **kw: Any) -> HttpPollConfig:
    spec: dict[str, Any] = {
        "url": f"{api.base}{path}", "name": f"dvc{path.replace('/', '-')}",
        "auth_header": "Authorization", "auth_env": ENV, "timeout_s": 0.3,
        "max_retries": 3, "backoff_s": 0.01, "backoff_max_s": 0.05, **kw,
    }
    return HttpPollConfig.from_dict(spec)


API_MAPPING = ColumnMapping.from_dict({
    "constants": {"province_code": "25", "source": "dvc-api"},
    "fields": {"dossier_id": "code", "procedure_code": "procedure.code",
               "agency_code": "agency.code", "ward_code": "ward", "channel": "channel",
               "received_at": "received_at", "completed_at": "completed_at",
               "status": "status", "occurred_at": "updated_at"},
    "values": {"channel": {"Trực tuyến": "online", "Trực tiếp": "in_person"}},
})

def _run(source: Source, producer: KafkaProducer, engine: Engine) -> ConnectorStats:
    # Bounded: a source that never goes idle fails the test instead of hanging it.
    return run_until_idle(ConnectorRuntime(source, producer, engine), timeout=60)


T0 = datetime(2026, 4, 20, 8, 0, tzinfo=TZ)


def api_record(id_: int, updated: datetime, *, status: str = "received",
               channel: str = "Trực tuyến", completed: datetime | None = None) -> dict:
    return {"id": id_, "code": f"H25.08494-{id_:04d}", "procedure": {"code": "1.004873"},
            "agency": {"code": "UBND-08494"}, "ward": "08494", "channel": channel,
            "received_at": T0.isoformat(), "status": status,
            "completed_at": completed.isoformat() if completed else None,
            "updated_at": updated.isoformat()}


def _events(bootstrap: str, expect: int) -> list[dict]:
    return [json.loads(r.value) for r in read_topic(bootstrap, "ioc.dossier.v1", expect=expect)]


def test_paged_api_retries_exactly_once_and_resume(api, token, broker, engine, caplog):
    caplog.set_level(logging.DEBUG)
    tie = T0 + timedelta(minutes=5)  # three records share a timestamp across a page boundary
    api.put(api_record(1, tie), api_record(2, tie), api_record(3, tie),
            api_record(4, T0 + timedelta(hours=1)),
            api_record(5, T0 + timedelta(hours=2), channel="Fax"))
    api.failures = ["503", "slow"]
    config = _config(api, "/paged", page_param="page", page_size_param="per_page",
                     page_size=2, records_path="data")

    producer = make_producer(broker.bootstrap)
    try:
        stats = _run(HttpJsonSource(config, API_MAPPING), producer, engine)
        assert (stats.produced, stats.dead, stats.errors) == (4, 1, 0)
        # 503, then a timeout, both retried; then the tie forced a walk to page 2.
        assert api.outcomes()[:3] == ["503", "slow", "200"]
        assert any(q.get("page") == "2" and q.get("updated_since") == tie.isoformat()
                   for _, q, o in api.log if o == "200")
        events = _events(broker.bootstrap, expect=4)
        assert sorted(e["event_id"] for e in events) == [
            f"dvc-api:H25.08494-000{i}:1" for i in (1, 2, 3, 4)]  # once each, despite retries
        assert {e["due_at"] for e in events} == {"2026-04-23T08:00:00+07:00"}  # 3 working days

        dlq = read_topic(broker.bootstrap, "ioc.dlq", expect=1)
        assert len(dlq) == 1
        h = {k: v.decode() for k, v in dlq[0].headers}
        assert (h["stage"], h["record_id"]) == ("map", "5")
        assert h["url"].startswith(f"{api.base}/paged?") and "'channel'" in h["reason"]
        assert json.loads(dlq[0].value)["channel"] == "Fax"

        saved = json.loads(load_cursor(engine, HttpJsonSource(config).connector_id) or "{}")
        assert saved == {"updated": (T0 + timedelta(hours=2)).isoformat(), "id": 5}

        # Restart: a new source and runtime on the same database; one new record and one
        # updated (completed) record on the server.
        api.log.clear()
        done = T0 + timedelta(hours=3)
        api.put(api_record(2, done, status="completed", completed=done),
                api_record(6, done + timedelta(minutes=1)))
        again = _run(HttpJsonSource(config, API_MAPPING), producer, engine)
        assert (again.produced, again.dead) == (2, 0)
        assert api.log[0][1]["updated_since"] == (T0 + timedelta(hours=2)).isoformat()
        events = _events(broker.bootstrap, expect=6)
        assert len(events) == 6  # nothing repeated
        latest = {e["event_id"]: e for e in events}
        assert latest["dvc-api:H25.08494-0002:6"]["completed_at"] == done.isoformat()
        assert "dvc-api:H25.08494-0006:1" in latest
    finally:
        producer.close()
    assert TOKEN not in caplog.text


def test_linked_pages_contract_records_and_invalid_json_retried(api, token, broker, engine):
    t = datetime(2026, 4, 21, 9, 0, tzinfo=TZ)
    updated = (t + timedelta(hours=1)).isoformat()
    for i in range(1, 5):  # records that already are contract events
        ev = dossier_event(f"L-{i}", 1, "received", t)
        api.put({**ev, "id": f"L-{i}", "updated_at": updated if i < 4 else
                 (t + timedelta(hours=2)).isoformat()})
    api.failures = ["garbage"]
    config = _config(api, "/linked", records_path="items", next_path="links.next")
    source = HttpJsonSource(config, None)

    producer = make_producer(broker.bootstrap)
    try:
        stats = _run(source, producer, engine)
        assert (stats.produced, stats.dead, stats.errors) == (4, 0, 0)
        assert api.outcomes()[:2] == ["garbage", "200"]
        assert any("offset" in q for _, q, o in api.log if o == "200")  # a next link followed
        events = _events(broker.bootstrap, expect=4)
        assert sorted(e["dossier_id"] for e in events) == ["L-1", "L-2", "L-3", "L-4"]
        assert all(e["updated_at"] and e["schema"] == "ioc.dossier.v1" for e in events)

        requests = len(api.log)
        assert _run(HttpJsonSource(config), producer, engine).produced == 0
        assert len(api.log) > requests  # it did ask the server, which had nothing new
    finally:
        producer.close()


def test_wrong_token_is_refused_without_retry_or_leak(api, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "Bearer wrong-token-1234567"
    monkeypatch.setenv(ENV, wrong)
    source = HttpJsonSource(_config(api, "/paged", records_path="data"), API_MAPPING)
    with pytest.raises(HttpSourceError) as err:
        source.poll(None)
    msg = str(err.value)
    assert not isinstance(err.value, HttpUnavailableError)
    assert "401" in msg and f"{api.base}/paged" in msg and err.value.status == 401
    assert "wrong-token-1234567" not in msg and "rejected" in msg  # body excerpt, scrubbed
    assert "wrong-token-1234567" not in caplog.text
    assert api.outcomes() == ["401"]  # a refusal is not retried


def test_server_down_exhausts_retries(api, token, caplog):
    api.failures = ["503"] * 10
    source = HttpJsonSource(_config(api, "/paged", max_retries=2, records_path="data"))
    with pytest.raises(HttpUnavailableError, match="after 3 attempts: HTTP 503") as err:
        source.poll(None)
    assert isinstance(err.value, OSError)  # the long-running runtime backs off and retries
    assert api.outcomes() == ["503", "503", "503"]
    assert caplog.text.count("retry") == 2 and TOKEN not in caplog.text


def test_config_from_yaml_and_credential_stays_on_its_host(api, token, tmp_path):
    path = tmp_path / "dvc.yaml"
    path.write_text(f"url: {api.base}/paged\nauth_header: Authorization\nauth_env: {ENV}\n"
                    "records_path: data\nmapping: maps/dvc.yaml\n", encoding="utf-8")
    cfg = HttpPollConfig.load(path)
    assert cfg.mapping == str(tmp_path / "maps/dvc.yaml") and cfg.since_param == "updated_since"
    with pytest.raises(ValueError, match="unknown HTTP poll settings \\['pagesize'\\]"):
        HttpPollConfig.from_dict({"url": api.base, "pagesize": 10})
    source = HttpJsonSource(cfg)
    with pytest.raises(HttpSourceError, match="refusing to send Authorization to evil.example"):
        source._request("http://evil.example/steal")
