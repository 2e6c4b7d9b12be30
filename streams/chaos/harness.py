"""`ioc chaos`: kill the aggregator and the broker at random during a live ingest of a workload
with known answers, then compare every total with a recomputation.

The system under test is a real `ioc up --no-ui --no-simulators` (its own var/ folder and
database), so the supervisor's restarts, the connectors' checkpoints and rewinds and the
aggregator's exactly-once commit are what is exercised, not a stand-in. The workload is fed
with `ioc ingest` in chunks; each chunk is re-run after a broker kill (an ingest resumes from
its checkpoint, and rewinds when the broker lost records the aggregator had not committed).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from ioc.db.engine import make_engine
from ioc.events.contracts import CONTRACTS
from ioc.settings import Settings
from streams import discovery
from streams.chaos.workload import db_totals, expected_totals, random_events
from streams.lag import end_offsets, group_lag
from streams.topics import STREAM_TOPICS

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
GROUP = "ioc-aggregator"


@dataclass
class ChaosReport:
    events: int
    aggregator_kills: int = 0
    broker_kills: int = 0
    ingest_runs: int = 0
    seconds: float = 0.0
    database: str = ""
    expected: dict[str, int] = field(default_factory=dict)
    actual: dict[str, int] = field(default_factory=dict)
    error: str | None = None  # a readiness wait that timed out: the system did not recover

    @property
    def differences(self) -> dict[str, int]:
        keys = set(self.expected) | set(self.actual)
        return {k: self.actual.get(k, 0) - self.expected.get(k, 0) for k in sorted(keys)
                if self.actual.get(k, 0) != self.expected.get(k, 0)}

    def as_dict(self) -> dict[str, Any]:
        diff = self.differences
        return {"events": self.events, "aggregator_kills": self.aggregator_kills,
                "broker_kills": self.broker_kills, "ingest_runs": self.ingest_runs,
                "seconds": round(self.seconds, 1), "database": self.database,
                "equal": not diff and self.error is None, "error": self.error,
                "lost_or_extra": diff, "expected": self.expected,
                "actual": self.actual}


def _ioc(*args: str) -> list[str]:
    return [sys.executable, "-m", "ioc.cli", *args]


def _wait(what: str, check: Callable[[], bool], timeout: float, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)  # polling a readiness condition, not standing in for one
    raise TimeoutError(f"chaos: {what} not reached within {timeout:.0f} s")


class System:
    """One `ioc up --no-ui --no-simulators` under test, and its processes."""

    def __init__(self, var_dir: Path, database_url: str) -> None:
        self.var_dir = var_dir
        self.env = {**os.environ, "IOC_VAR_DIR": str(var_dir), "IOC_DATABASE_URL": database_url,
                    "IOC_CONSUMER_GROUP": GROUP, "IOC_REMINDER_SECONDS": "0",
                    "PYTHONUNBUFFERED": "1"}
        self.env.pop("IOC_KAFKA_BOOTSTRAP", None)
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        (self.var_dir / "logs").mkdir(parents=True, exist_ok=True)
        out = open(self.var_dir / "logs" / "up.log", "ab")  # noqa: SIM115 - owned by the child
        self.proc = subprocess.Popen(_ioc("up", "--no-ui", "--no-simulators"), env=self.env,
                                     cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        _wait("the broker announced", lambda: self.bootstrap() is not None, 60)
        _wait("the aggregator running", lambda: self.aggregator() is not None, 60)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def _children(self) -> list[psutil.Process]:
        if not self.proc or self.proc.poll() is not None:
            # The var dir is removed with the test's tmp dir: quote the log's tail, so a CI
            # failure says why `ioc up` stopped.
            log = self.var_dir / "logs" / "up.log"
            tail = log.read_text(errors="replace").splitlines()[-40:] if log.exists() else []
            raise RuntimeError(f"chaos: ioc up exited (code {self.proc and self.proc.poll()}); "
                               "last lines of its log:\n" + "\n".join(tail))
        return psutil.Process(self.proc.pid).children(recursive=True)

    def _child(self, marker: str) -> psutil.Process | None:
        for p in self._children():
            try:
                if marker in " ".join(p.cmdline()) and p.status() != psutil.STATUS_ZOMBIE:
                    return p
            except psutil.NoSuchProcess:
                continue
        return None

    def aggregator(self) -> psutil.Process | None:
        return self._child(" aggregate")

    def broker(self) -> psutil.Process | None:
        return self._child("--listener-url")

    def bootstrap(self) -> str | None:
        try:
            return discovery.resolve_bootstrap(Settings(var_dir=self.var_dir))
        except ValueError:  # broker.json being rewritten right now
            return None

    def kill_aggregator(self) -> None:
        old = self.aggregator()
        if old is None:
            return
        old.kill()
        _wait("the aggregator restarted by the supervisor",
              lambda: (p := self.aggregator()) is not None and p.pid != old.pid, 60)

    def kill_broker(self) -> None:
        old = self.broker()
        if old is None:
            return
        old.kill()
        _wait("the broker restarted by the supervisor",
              lambda: (p := self.broker()) is not None and p.pid != old.pid, 90)

    def ingest(self, topic: str, path: Path) -> int:
        return subprocess.run(_ioc("ingest", "--topic", topic, str(path)), env=self.env,
                              cwd=ROOT, capture_output=True, timeout=300).returncode


def _write_chunks(events: list[dict], folder: Path, chunks: int) -> list[tuple[str, Path]]:
    topic_of = {c.schema: c.topic for c in CONTRACTS.values()}
    out: list[tuple[str, Path]] = []
    for i in range(chunks):
        part = events[i::chunks]
        for topic in STREAM_TOPICS:
            lines = [json.dumps(e, ensure_ascii=False) for e in part
                     if topic_of[e["schema"]] == topic]
            if lines:
                path = folder / f"chunk{i:03d}-{topic}.jsonl"
                path.write_text("\n".join(lines) + "\n", encoding="utf-8")
                out.append((topic, path))
    return out


def _lag(engine: Any, bootstrap: str) -> int | None:
    from streams.aggregator import cluster_id_of

    try:
        cid = cluster_id_of(bootstrap)
        ends = end_offsets(bootstrap, [*STREAM_TOPICS, "ioc.dlq"])
        return sum(group_lag(engine, GROUP, cid, ends).values())
    except Exception:  # noqa: BLE001 - the broker may be restarting; ask again
        return None


def run_chaos(aggregator_kills: int, broker_kills: int, events: int = 3000, seed: int = 7,
              database_url: str | None = None, keep: bool = False,
              chunks_per_round: int = 2) -> ChaosReport:
    """Feed `events` (about: lifecycles of dossiers, feedback and posts) in chunks through a
    real `ioc up`, killing the aggregator `aggregator_kills` times and the broker
    `broker_kills` times at random moments of the ingest, then compare every total.

    Each kill has a round of `chunks_per_round` chunks, one `ioc ingest` per chunk and stream;
    the kill comes mid-round. Every ingest is a process start (~2-9 s on a loaded 2-core
    machine), so the suite's short run uses 1 chunk per round: the kill still falls between
    two streams' ingests of the round, with the first one's records in flight."""
    rng = random.Random(seed)
    n = max(events // 4, 10)
    workload = random_events(n, n // 2, n // 3, seed, datetime.now(UTC))
    folder = Path(tempfile.mkdtemp(prefix="ioc-chaos-"))
    url = database_url or f"sqlite:///{folder / 'ioc.db'}"
    if database_url:  # a shared server database: start from an empty schema
        from ioc.db.schema import metadata

        eng = make_engine(url)
        metadata.drop_all(eng)
        with eng.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        eng.dispose()
    rounds = max(aggregator_kills + broker_kills, 1)
    chunks = _write_chunks(workload, folder, rounds * max(chunks_per_round, 1))
    kills = ["aggregator"] * aggregator_kills + ["broker"] * broker_kills
    rng.shuffle(kills)
    report = ChaosReport(events=len(workload), database=url.split(":", 1)[0])
    system = System(folder / "var", url)
    t0 = time.monotonic()
    system.start()
    try:
        done: list[tuple[str, Path]] = []
        per_round = max(len(chunks) // rounds, 1)
        for r in range(rounds):
            batch = chunks[r * per_round:(r + 1) * per_round] if r < rounds - 1 \
                else chunks[r * per_round:]
            victim = kills[r] if r < len(kills) else None
            for i, (topic, path) in enumerate(batch):
                if victim and i == len(batch) // 2:
                    # Mid-round: records of this round are in flight, some aggregated.
                    time.sleep(rng.uniform(0.0, 1.0))  # chaos timing, not readiness
                    if victim == "aggregator":
                        system.kill_aggregator()
                        report.aggregator_kills += 1
                    else:
                        # As in the field report: the aggregator paused, an ingest acknowledged
                        # by the broker, then the broker dies with those records unconsumed.
                        agg = system.aggregator()
                        if agg is not None:
                            agg.suspend()
                        system.ingest(topic, path)
                        report.ingest_runs += 1
                        system.kill_broker()
                        report.broker_kills += 1
                        if agg is not None:
                            with contextlib.suppress(psutil.NoSuchProcess):
                                agg.resume()
                        # Every ingest so far re-runs: it resumes from its checkpoint, or
                        # rewinds past what the lost broker held unaggregated.
                        for t, p in done:
                            system.ingest(t, p)
                            report.ingest_runs += 1
                while system.ingest(topic, path) != 0:  # broker restarting: try again
                    report.ingest_runs += 1
                    _wait("the broker back", lambda: system.bootstrap() is not None, 60)
                report.ingest_runs += 1
                done.append((topic, path))
        for t, p in done:  # a last pass: nothing left to rewind means nothing is produced
            system.ingest(t, p)
            report.ingest_runs += 1
        engine = make_engine(url)
        try:
            _wait("lag 0", lambda: (b := system.bootstrap()) is not None
                  and _lag(engine, b) == 0, 300, every=1.0)
            report.actual = db_totals(engine)
        finally:
            engine.dispose()
        report.expected = expected_totals(workload)
    except TimeoutError as exc:
        report.error = str(exc)
    finally:
        system.stop()
        report.seconds = time.monotonic() - t0
        if not keep:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
        else:
            log.info("chaos files kept in %s", folder)
    return report
