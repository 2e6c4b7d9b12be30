"""Open311 GeoReport v2 connector against a real local server (ThreadingHTTPServer on
127.0.0.1:0) speaking GeoReport v2 with real-shaped payloads, on the real broker and database:
a full response splits the window, a 500 is retried, a restart resumes without a gap or a
repeat, a bad record is dead-lettered while the rest flow, a point outside the province is
kept with ward_code null and a reason, and a later status change comes through once."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from connectors.open311.config import Open311Config
from connectors.open311.source import Open311Source
from connectors.runtime import ConnectorRuntime, run_until_idle
from ioc.events.contracts import FEEDBACK_CONTRACT, validate_event
from ioc.reference import geo
from ioc.reference.admin_units import commune
from ioc.reference.calendar import TZ
from streams.clients import make_producer
from tests.connectors.local_http import LocalHttpServer
from tests.helpers import read_topic

KEY = "k3y-0f9a8b7c6d5e"
ENV = "IOC_TEST_OPEN311_KEY"
CAP = 4  # this server returns at most 4 requests per response
SERVICES = [
    {"service_code": "001", "service_name": "Ổ gà, hư hỏng mặt đường", "metadata": False,
     "type": "realtime", "keywords": "road", "group": "Giao thông"},
    {"service_code": "002", "service_name": "môi trường", "metadata": False,
     "type": "realtime", "keywords": "", "group": "Môi trường"},
    {"service_code": "003", "service_name": "Đèn chiếu sáng", "metadata": False,
     "type": "batch", "keywords": "", "group": "Khác"},
]


class GeoReport:
    """A GeoReport v2 endpoint: services.json, requests.json filtered by start_date/end_date
    (inclusive, on requested_datetime), at most CAP requests per response (oldest first),
    api_key checked, failures injected from a queue."""

    def __init__(self) -> None:
        self.requests: dict[str, dict[str, Any]] = {}
        self.log: list[tuple[str, dict[str, str], int]] = []
        self.failures: list[int] = []
        self.lock = threading.Lock()
        self.http = LocalHttpServer(self.handle)
        self.base = f"{self.http.base}/open311/v2"

    def close(self) -> None:
        self.http.close()

    def put(self, *reqs: dict[str, Any]) -> None:
        with self.lock:
            for r in reqs:
                self.requests[str(r.get("service_request_id"))] = r

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            status = self.failures.pop(0) if self.failures else 200
            if status == 200 and q.get("api_key") != KEY:
                status = 401
            self.log.append((parts.path.rsplit("/", 1)[-1], q, status))
            if status != 200:
                body: Any = [{"code": status, "description": "error"}]
            elif parts.path.endswith("/services.json"):
                body = SERVICES
            elif parts.path.endswith("/requests.json"):
                a = datetime.fromisoformat(q["start_date"])
                b = datetime.fromisoformat(q["end_date"])
                hits = [r for r in self.requests.values()
                        if a <= datetime.fromisoformat(r["requested_datetime"]) <= b]
                hits.sort(key=lambda r: r["requested_datetime"])
                body = hits[:CAP]
            else:
                status, body = 404, [{"code": 404, "description": "not found"}]
        data = json.dumps(body, ensure_ascii=False).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)


@pytest.fixture()
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[GeoReport]:
    monkeypatch.setenv(ENV, KEY)
    srv = GeoReport()
    yield srv
    srv.close()


LAM_THAO = commune("08494")
assert LAM_THAO is not None
T0 = datetime(2026, 4, 6, 8, 0, tzinfo=TZ)  # a Monday


def sr(n: int, day: float, **kw: Any) -> dict[str, Any]:
    """A GeoReport v2 service request, as servers send it."""
    req = (T0 + timedelta(days=day)).isoformat()
    base = {"service_request_id": f"{n:05d}", "status": "open", "status_notes": None,
            "service_name": "Ổ gà, hư hỏng mặt đường", "service_code": "001",
            "description": f"Mặt đường hư hỏng số {n}", "agency_responsible": None,
            "service_notice": None, "requested_datetime": req, "updated_datetime": req,
            "expected_datetime": None, "address": None, "address_id": None, "zipcode": None,
            "lat": LAM_THAO.lat + 0.005, "long": LAM_THAO.lon, "media_url": None}
    return {**base, **kw}


def dataset() -> list[dict[str, Any]]:
    late = (T0 + timedelta(days=3, hours=5)).isoformat()
    return [
        # Days 0-1: six requests in one 30-day window, more than CAP: the window splits.
        *[sr(i, i * 0.25) for i in range(1, 7)],
        sr(7, 2, status="closed", status_notes="Đã vá ổ gà", updated_datetime=late),
        sr(8, 2.5, status="open", status_notes="Đã chuyển Sở Xây dựng", service_code="002",
           updated_datetime=late),
        sr(9, 3, lat=None, long=None, address="thôn 3, xã Lâm Thao, tỉnh Phú Thọ",
           service_code="999", service_name="môi trường"),
        sr(10, 4, lat=21.0278, long=105.8342),  # Hà Nội: outside Phú Thọ
        sr(11, 5, lat=None, long=None, address=None, service_code="003"),  # nowhere
        sr(12, 6, lat=0, long=0, address="phường Gia Cẩm, thành phố Việt Trì, tỉnh Phú Thọ"),
        sr(13, 7, status="pending"),  # not GeoReport v2: dead-lettered
        sr(14, 8, status="closed",  # closed before it was received: the contract refuses
           updated_datetime=(T0 + timedelta(days=7)).isoformat()),
        sr(15, 40),  # in the second 30-day window
    ]


def config(server: GeoReport, **kw: Any) -> Open311Config:
    return Open311Config.from_dict({
        "base_url": server.base, "name": "test", "province_code": "25",
        "jurisdiction_id": "phutho.gov.vn", "api_key_env": ENV,
        "start": "2026-04-01T00:00:00+07:00", "window_days": 30, "max_requests": CAP,
        "min_window_s": 60, "lag_s": 0, "interval_s": 3600, "lookback_days": 60,
        "timeout_s": 2, "max_retries": 3, "backoff_s": 0.01, "backoff_max_s": 0.02,
        "services": {"001": {"category": "giao thông", "agency": "SXD"},
                     "002": {"category": "môi trường"},
                     "003": "khác"}, **kw})


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def feedback(bootstrap: str, expect: int) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in read_topic(bootstrap, "ioc.feedback.v1", expect)]


def test_mapping_of_service_requests(server):
    src = Open311Source(config(server), clock=Clock(T0))
    closed = src.map_request(dataset()[6])
    assert validate_event(FEEDBACK_CONTRACT, closed) == []
    assert (closed["type"], closed["status"], closed["channel"]) == ("closed", "closed",
                                                                      "open311")
    assert closed["closed_at"] == closed["responded_at"] == closed["occurred_at"] == \
        "2026-04-09T13:00:00+07:00"
    assert closed["received_at"] == "2026-04-08T08:00:00+07:00"
    # giao thông: 3 working days from Wed 8 Apr 08:00 → Mon 13 Apr 08:00 (weekend skipped).
    assert closed["due_at"] == "2026-04-13T08:00:00+07:00"
    assert (closed["category"], closed["agency_code"]) == ("giao thông", "SXD-25")
    assert closed["ward_code"] == "08494" and closed["feedback_id"] == "o311-00007"
    responded = src.map_request(dataset()[7])
    assert (responded["type"], responded["closed_at"]) == ("responded", None)
    assert (responded["category"], responded["agency_code"]) == ("môi trường", "SNNMT-25")
    # A newer status wins; at the same second closed beats responded beats received.
    assert closed["seq"] > src.map_request(sr(7, 2))["seq"]
    assert src.map_request(sr(7, 2, status="closed"))["seq"] == \
        src.map_request(sr(7, 2, status_notes="x"))["seq"] + 1
    by_name = src.map_request(dataset()[8])  # unmapped code: category by service_name
    assert (by_name["category"], by_name["ward_code"]) == ("môi trường", "08494")
    assert by_name["lat"] is None and by_name["geo_reason"] == "không có tọa độ"
    zero = src.map_request(dataset()[11])  # 0,0 placeholder dropped; the address used
    assert (zero["lat"], zero["ward_code"]) == (None, "07900")
    with pytest.raises(ValueError, match="status"):
        src.map_request(dataset()[12])
    with pytest.raises(ValueError, match="requested_datetime: not an ISO 8601 time"):
        src.map_request(sr(16, 1, requested_datetime="hôm qua"))
    with pytest.raises(ValueError, match="requested_datetime: missing"):
        src.map_request(sr(16, 1, requested_datetime=None))


def test_windows_split_retry_resume_dead_letters(server, broker, engine):
    server.put(*dataset())
    server.failures = [500]  # the first request (services.json) fails once, then succeeds
    clock = Clock(T0 + timedelta(days=45))
    producer = make_producer(broker.bootstrap)
    try:
        # First run stops after two batches (a crash); a new source and runtime resume.
        first = ConnectorRuntime(Open311Source(config(server), clock=clock), producer, engine)
        assert first.run_once() is not None and first.run_once() is not None
        assert [s for p, _, s in server.log[:2]] == [500, 200]
        src = Open311Source(config(server), clock=clock)
        rest = run_until_idle(ConnectorRuntime(src, producer, engine), timeout=60)
        assert rest.errors == 0 and rest.drained
        produced = first.stats.produced + rest.produced
        dead = first.stats.dead + rest.dead
        assert (produced, dead) == (13, 2)
        events = feedback(broker.bootstrap, expect=13)
        counts = Counter(e["feedback_id"] for e in events)
        good = {f"o311-{n:05d}" for n in range(1, 16)} - {"o311-00013", "o311-00014"}
        assert set(counts) == good and set(counts.values()) == {1}  # no gap, no repeat
        # The full responses split the window: a request with a narrower end_date.
        asked = [(q["start_date"], q["end_date"]) for p, q, s in server.log
                 if p == "requests.json" and s == 200]
        # 1-30 Apr was full (CAP), so it was asked again halved: 1-16 Apr, then 1-8 Apr.
        start = "2026-04-01T00:00:00+07:00"
        assert asked[:3] == [(start, "2026-05-01T00:00:00+07:00"),
                             (start, "2026-04-16T00:00:00+07:00"),
                             (start, "2026-04-08T12:00:00+07:00")]
        assert all(q.get("jurisdiction_id") == "phutho.gov.vn" for _, q, _ in server.log)

        by_id = {e["feedback_id"]: e for e in events}
        outside = by_id["o311-00010"]
        assert (outside["ward_code"], outside["ward_code_reason"]) == (None, geo.REASON_OUTSIDE)
        assert outside["lat"] == 21.0278  # kept: it says where the report is
        nowhere = by_id["o311-00011"]
        assert (nowhere["ward_code"], nowhere["ward_code_reason"]) == (None,
                                                                       geo.REASON_NO_LOCATION)
        assert by_id["o311-00015"]["received_at"] == "2026-05-16T08:00:00+07:00"

        dlq = read_topic(broker.bootstrap, "ioc.dlq", expect=2)
        heads = sorted(({k: v.decode() for k, v in m.headers} for m in dlq),
                       key=lambda h: h["record_id"])
        assert [(h["record_id"], h["stage"], h["source"]) for h in heads] == [
            ("00013", "map", "open311:test"), ("00014", "validate", "open311:test")]
        assert heads[0]["reason"] == "status: not open or closed"
        assert "is before received_at" in heads[1]["reason"]
        assert all(KEY not in h["url"] and "start_date=" in h["url"] for h in heads)

        # An hour later request 1 is closed on the server (plain GeoReport: no "updated
        # since" parameter, so the lookback is re-read): exactly one new event for it.
        clock.now += timedelta(hours=2)
        closed_at = (clock.now - timedelta(hours=1)).isoformat()
        server.put(sr(1, 0.25, status="closed", status_notes="Đã xử lý",
                      updated_datetime=closed_at))
        again = run_until_idle(ConnectorRuntime(Open311Source(config(server), clock=clock),
                                                producer, engine), timeout=60)
        assert (again.produced, again.dead) == (1, 1)  # the bad record 13 re-read too
        events = feedback(broker.bootstrap, expect=14)
        assert len(events) == 14
        last = [e for e in events if e["feedback_id"] == "o311-00001"]
        assert [e["type"] for e in last] == ["received", "closed"]
        assert last[1]["seq"] > last[0]["seq"]
    finally:
        producer.close()
