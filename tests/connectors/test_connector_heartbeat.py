"""The connector runtime keeps its heartbeat row on the real broker and database: a running
simulator writes it (polls with nothing new included), a stopped one makes freshness name its
stream once the threshold has passed (an injected `now`, no sleeps); a failing source's row
carries its reason redacted; a one-shot import writes none."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from connectors.base import SourceBatch
from connectors.runtime import ConnectorRuntime, run_until_idle
from connectors.simulators import FeedbackSimulator
from connectors.simulators.source import SimulatorSource
from ioc.db import connector_heartbeats as chb
from ioc.events.contracts import CONTRACTS
from ioc.kpis.freshness import freshness
from streams.clients import make_producer


def _wait_for(fn: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.1)  # polling a condition, not standing in for one
    raise AssertionError(f"timed out waiting for {what}")


class _CountedSim(SimulatorSource):
    polls = 0

    def poll(self, cursor: str | None) -> SourceBatch | None:
        self.polls += 1
        return super().poll(cursor)


def _sim() -> _CountedSim:
    now = datetime.now(UTC)
    return _CountedSim("sim-feedback", CONTRACTS["feedback"], FeedbackSimulator(seed=3),
                       backfill_days=0.5, clock=lambda: now)  # drained after a few polls


def _row(engine: Engine, name: str) -> chb.ConnectorHeartbeat | None:
    return {h.connector: h for h in chb.load(engine)}.get(name)


def _run(runtime: ConnectorRuntime, stop: threading.Event, **kw: Any) -> threading.Thread:
    t = threading.Thread(target=runtime.run, args=(stop,), kwargs=kw, daemon=True)
    t.start()
    return t


def test_a_running_connector_beats_and_a_stopped_one_goes_stale(broker, engine):
    producer = make_producer(broker.bootstrap)
    source = _sim()
    runtime = ConnectorRuntime(source, producer, engine)
    stop = threading.Event()
    thread = _run(runtime, stop, idle_wait=0.05)
    try:
        first = _wait_for(lambda: _row(engine, "sim-feedback"), "the first heartbeat")
        assert first.stream == "feedback" and first.last_ok_at is not None
        # The source has drained: polls now find nothing new and still count as success.
        _wait_for(lambda: runtime.stats.batches and runtime.heartbeat is not None
                  and runtime.heartbeat.writes >= 2
                  and _row(engine, "sim-feedback").last_ok_at > first.last_ok_at,
                  "a later successful poll", timeout=90)
    finally:
        stop.set()
        thread.join(30)
        producer.close()
    assert not thread.is_alive()
    row = _row(engine, "sim-feedback")
    assert row.last_error is None and row.interval_seconds == 0.05
    assert row.records_total == runtime.stats.produced + runtime.stats.dead > 0
    assert runtime.heartbeat.writes * 5 < source.polls  # throttled: not one write per poll

    stopped_at = row.last_ok_at.replace(tzinfo=UTC)
    assert freshness(engine, 60, now=stopped_at + timedelta(seconds=30)).stale_streams == ()
    fr = freshness(engine, 60, now=stopped_at + timedelta(seconds=61))
    assert [(s.stream, s.connector, s.since) for s in fr.stale_streams] == [
        ("feedback", "sim-feedback", row.last_ok_at)]


class _Refusing:
    """A source whose server refuses; the message quotes a token and a citizen's contact."""
    connector_id = "open311-test"
    contract = CONTRACTS["feedback"]

    def poll(self, cursor: str | None) -> SourceBatch | None:
        raise OSError("refused by https://api.example.vn/requests?api_key=SECRET123 "
                      "for nguyenvana@example.com 0912345678")


def test_a_failing_source_records_its_redacted_reason(broker, engine):
    producer = make_producer(broker.bootstrap)
    runtime = ConnectorRuntime(_Refusing(), producer, engine, max_backoff=0.05)
    stop = threading.Event()
    thread = _run(runtime, stop, idle_wait=0.05)
    try:
        row = _wait_for(lambda: _row(engine, "open311-test"), "the failure's heartbeat")
    finally:
        stop.set()
        thread.join(30)
        producer.close()
    assert row.last_ok_at is None and row.stream == "feedback"
    assert row.last_error and row.last_error.startswith("OSError(")
    for secret in ("SECRET123", "nguyenvana@example.com", "0912345678"):
        assert secret not in row.last_error
    assert "api.example.vn" in row.last_error  # the host stays: it says which server
    later = row.started_at.replace(tzinfo=UTC) + timedelta(seconds=61)
    (s,) = freshness(engine, 60, now=later).stale_streams
    assert (s.connector, s.since, s.last_error) == ("open311-test", row.started_at,
                                                    row.last_error)


def test_a_one_shot_import_writes_no_heartbeat(broker, engine: Engine):
    producer = make_producer(broker.bootstrap)
    try:
        stats = run_until_idle(ConnectorRuntime(_sim(), producer, engine))
    finally:
        producer.close()
    assert stats.drained and stats.produced > 0
    assert chb.load(engine) == []
