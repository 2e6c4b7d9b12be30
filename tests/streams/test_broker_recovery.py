"""The embedded broker lost under `ioc up`'s supervisor: killed (-9) or frozen, it is restarted
within seconds and said so, connectors rewind to what the aggregator had committed, and after
the replay every record counts exactly once. Shutdown drains to the aggregator first."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from connectors.files.jsonl import JsonlFileSource
from connectors.runtime import ConnectorRuntime, ConnectorStats, run_until_idle
from ioc.events.contracts import contract_for_topic
from ioc.kpis.freshness import freshness
from ioc.settings import Settings
from streams.chaos.workload import db_totals, expected_totals, random_events
from streams.clients import make_producer
from streams.status import collect_status
from streams.supervisor import Supervisor
from tests.helpers import now_utc

DOSSIER = contract_for_topic("ioc.dossier.v1")


def _file(path: Path, seed: int, n: int) -> list[dict]:
    events = [e for e in random_events(n, 0, 0, seed=seed, now=now_utc())]
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events))
    return events


def _counted(engine: Engine, events: list[dict]) -> bool:
    """Every KPI total equals the recomputation (zero totals left out on both sides)."""
    def nonzero(d: dict[str, int]) -> dict[str, int]:
        return {k: v for k, v in d.items() if v}
    return nonzero(db_totals(engine)) == nonzero(expected_totals(events))


def _ingest(sup: Supervisor, engine: Engine, path: Path) -> ConnectorStats:
    """What `ioc ingest` does, against the supervisor's broker."""
    producer = make_producer(sup.bootstrap, client_id="test-ingest")
    try:
        runtime = ConnectorRuntime(JsonlFileSource(path, DOSSIER, batch_size=100), producer,
                                   engine, group=sup.settings.consumer_group)
        return run_until_idle(runtime, timeout=60)
    finally:
        producer.close(timeout=10)


def _until(check, timeout: float, what: str) -> float:
    """Poll `check` (readiness, not a sleep); seconds it took."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if check():
            return time.monotonic() - t0
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {timeout}s")


@contextlib.contextmanager
def _supervised(tmp_path: Path, db_url: str) -> Iterator[Supervisor]:
    settings = Settings(var_dir=tmp_path / "var", database_url=db_url, topic_partitions=2)
    sup = Supervisor(settings, simulators=False, ui=False)
    sup.start()
    watcher = threading.Thread(target=sup.watch, kwargs={"interval": 0.5}, daemon=True)
    watcher.start()
    try:
        yield sup
    finally:
        sup.stop_event.set()
        watcher.join(timeout=60)
        sup.shutdown(drain_timeout=5)


def test_killed_broker_is_restarted_and_every_acknowledged_record_counted_once(
        tmp_path: Path, db_url: str, engine: Engine):
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    ev1, ev2 = _file(first, 1, 150), _file(second, 2, 300)
    with _supervised(tmp_path, db_url) as sup:
        assert _ingest(sup, engine, first).produced == len(ev1)
        _until(lambda: _counted(engine, ev1), 60, "first file aggregated")
        # The reproduction: aggregator paused, an ingest acknowledged, broker killed.
        agg_pid = sup.children["aggregate"].proc.pid
        os.kill(agg_pid, signal.SIGSTOP)
        assert _ingest(sup, engine, second).produced == len(ev2)
        old_cluster = sup.broker.cluster_id
        # The aggregator stays paused (the supervisor kills it): resumed, it could still
        # commit a fetch answered into its socket before the kill, a rewind to a later line.
        os.kill(sup.broker.process.pid, signal.SIGKILL)
        took = _until(lambda: sup.broker_restarts == 1, 30, "broker restart")
        assert sup.broker.cluster_id != old_cluster
        fr = freshness(engine)
        assert fr.broker == "restarted" and fr.status == "broker_restarted" and fr.stale
        assert "exited with -9" in (fr.broker_cause or "")
        health = collect_status(sup.settings)["broker_health"]
        assert health["state"] == "up" and health["restarts"] == 1
        assert health["cluster_id"] == sup.broker.cluster_id
        # The operator re-runs both ingests: the aggregated file has nothing to replay, the
        # lost one replays whole.
        assert _ingest(sup, engine, first).produced == 0
        assert _ingest(sup, engine, second).produced == len(ev2)
        _until(lambda: _counted(engine, ev1 + ev2), 60,
               "both files aggregated after the restart")
    print(f"broker kill -9 noticed and restarted in {took:.1f} s")


def test_frozen_broker_is_restarted(tmp_path: Path, db_url: str, engine: Engine):
    path = tmp_path / "after.jsonl"
    events = _file(path, 3, 100)
    with _supervised(tmp_path, db_url) as sup:
        os.kill(sup.broker.process.pid, signal.SIGSTOP)  # alive, answers nothing
        took = _until(lambda: sup.broker_restarts == 1, 30, "frozen broker restart")
        assert "no answer to ApiVersions" in (freshness(engine).broker_cause or "")
        # The pipeline runs again on the new broker.
        assert _ingest(sup, engine, path).produced == len(events)
        _until(lambda: _counted(engine, events), 60, "ingest aggregated")
    print(f"frozen broker noticed and restarted in {took:.1f} s")


@pytest.mark.parametrize("seed", [4])
def test_shutdown_drains_to_the_aggregator_before_stopping_the_broker(
        tmp_path: Path, db_url: str, engine: Engine, seed: int):
    path = tmp_path / "late.jsonl"
    events = _file(path, seed, 400)
    settings = Settings(var_dir=tmp_path / "var", database_url=db_url, topic_partitions=2)
    sup = Supervisor(settings, simulators=False, ui=False)
    sup.start()
    try:
        # Produced while the aggregator is still joining its group; stop right away.
        assert _ingest(sup, engine, path).produced == len(events)
    finally:
        sup.stop_event.set()  # as Ctrl-C does
        sup.shutdown()
    assert _counted(engine, events)
    assert freshness(engine).broker is None  # a clean stop is no outage
