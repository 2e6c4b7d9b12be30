"""`ioc up`: broker, migrations, topics, aggregator, connectors and UI as child processes.

On Ctrl-C or SIGTERM every child stops, the embedded broker last. The embedded broker keeps
every record in memory and cannot delete records (DeleteRecords is not implemented there), so
when its RSS passes IOC_BROKER_MAX_MB the supervisor compacts it: connectors stop (their
cursors are checkpointed), the aggregator drains to zero lag against its DB offsets, then the
broker restarts empty under a new cluster id; offsets stored for the old cluster id are ignored
by the aggregator, which starts the new logs at 0. Nothing unconsumed is discarded.

The same restart recovers a lost broker: a process that exited, or one that leaves
BROKER_PROBE_FAILURES ApiVersions probes in a row unanswered, is restarted within seconds and
said loudly (`ioc up`'s output, the broker_health row read by `ioc status` and the freshness
badge). What it had acknowledged but the aggregator had not committed is gone with it, so
before the pipeline starts on a new broker every connector is rewound to its newest checkpoint
the aggregator had committed (`ioc.db.checkpoints.rewind_all`) and replays from there. On
shutdown the connectors stop first and the aggregator drains (bounded) before the broker stops;
what a forced stop leaves unconsumed is replayed by the same rewind at the next start.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from ioc.db import broker_health
from ioc.db.checkpoints import Rewind, rewind_all
from ioc.db.engine import make_engine
from ioc.db.migrate import upgrade
from ioc.settings import Settings, make_private_dir, open_private_log, settings_env
from streams import discovery
from streams.broker import EmbeddedBroker
from streams.lag import end_offsets, group_lag
from streams.topics import ALL_TOPICS, ensure_topics

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
BROKER_PROBE_FAILURES = 3  # probes about a second apart: an unresponsive broker in ~3 s
DRAIN_ON_SHUTDOWN_S = 30.0


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # As the web server does: a port left in TIME_WAIT by the last run is free.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("", port))
        except OSError:
            return False
        return True


@dataclass
class Supervisor:
    settings: Settings
    simulators: bool = True
    ui: bool = True
    # The UI's command line for a port, given by the composition root (`ioc up`): streams
    # never imports the UI package.
    ui_command: Callable[[int], list[str]] | None = None
    broker: EmbeddedBroker | None = None
    bootstrap: str = ""
    children: dict[str, Child] = field(default_factory=dict)
    compactions: int = 0
    broker_restarts: int = 0  # recoveries of a lost broker (compactions not counted)
    stop_event: threading.Event = field(default_factory=threading.Event)
    # Where the loud lines go besides the log (`ioc up` prints them).
    say: Callable[[str], None] | None = None
    probe_timeout: float = 1.0
    engine: Engine | None = None
    _probe_failures: int = 0
    _last_touch: float = 0.0

    def _announce(self, message: str) -> None:
        log.error("%s", message)
        if self.say is not None:
            self.say(message)

    # ------------------------------------------------------------ children
    def _env(self) -> dict[str, str]:
        return {**os.environ, **settings_env(self.settings),
                "IOC_KAFKA_BOOTSTRAP": self.bootstrap, "PYTHONUNBUFFERED": "1"}

    def _spawn(self, child: Child) -> None:
        logs = self.settings.var_dir / "logs"
        out = open_private_log(logs / f"{child.name}.log")  # owned by the child
        # Own session: Ctrl-C in the terminal reaches `ioc up` only, which stops the
        # children in order (connectors, drain, aggregator, broker) instead of all at once.
        child.proc = subprocess.Popen(child.argv, env=self._env(), cwd=ROOT, stdout=out,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      start_new_session=True)
        self.children[child.name] = child
        log.info("started %s (pid %s)", child.name, child.proc.pid)

    def _stop(self, names: list[str], timeout: float = 20) -> None:
        procs = [self.children[n].proc for n in names if n in self.children]
        for p in procs:
            if p and p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            if not p:
                continue
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def _ioc(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "ioc.cli", *args]

    def _connector_names(self) -> list[str]:
        from connectors.registry import SIMULATORS

        return list(SIMULATORS) if self.simulators else []

    def start_pipeline(self) -> None:
        self._spawn(Child("aggregate", self._ioc("aggregate")))
        for name in self._connector_names():
            self._spawn(Child(name, self._ioc("connect", name)))

    # ------------------------------------------------------------ lifecycle
    def start(self) -> str:
        if self.ui and not port_is_free(self.settings.ui_port):
            # Fail before starting anything: otherwise the UI child restarts forever while
            # the banner says "running" on a port another program answers.
            raise SystemExit(f"cổng {self.settings.ui_port} đang bận · port "
                             f"{self.settings.ui_port} is in use: set IOC_UI_PORT to a free one")
        if self.ui and self.ui_command is None:
            raise ValueError("Supervisor(ui=True) needs ui_command, the UI's command line")
        make_private_dir(self.settings.var_dir)  # owner-only: database, logs, broker.json
        self.engine = make_engine(self.settings.database_url)
        upgrade(self.engine)
        if self.settings.embedded_broker:
            self.broker = EmbeddedBroker(log_path=self.settings.var_dir / "logs" / "broker.log")
            make_private_dir(self.settings.var_dir / "logs")
            self.broker.start()
            self.bootstrap = self.broker.bootstrap
            discovery.announce(self.settings, self.bootstrap, os.getpid())
            broker_health.mark(self.engine, "up", cluster_id=self.broker.cluster_id)
        else:
            self.bootstrap = str(self.settings.kafka_bootstrap)
        # A new embedded broker is empty: what the last run left unconsumed is replayed.
        self._on_new_broker()
        self.start_pipeline()
        if self.ui and self.ui_command is not None:
            self._spawn(Child("ui", self.ui_command(self.settings.ui_port)))
        return f"http://localhost:{self.settings.ui_port}"

    def shutdown(self, drain_timeout: float = DRAIN_ON_SHUTDOWN_S) -> None:
        """Connectors first; then (embedded broker, whose records die with it) wait, bounded,
        until the aggregator has committed everything; then the rest, the broker last."""
        self._stop(self._connector_names())
        agg = self.children.get("aggregate")
        if (self.broker and self.engine is not None and agg and agg.proc
                and agg.proc.poll() is None and self.broker.health(self.probe_timeout) is None):
            try:
                ok = self.drained(self.engine, drain_timeout, honour_stop=False)
            except Exception as exc:  # noqa: BLE001 - shutdown goes on whatever the drain says
                ok = False
                log.warning("drain on shutdown failed: %r", exc)
            if not ok:
                self._announce(
                    f"bộ tổng hợp chưa xử lý hết sau {drain_timeout:.0f} s · aggregator not "
                    f"drained in {drain_timeout:.0f} s: the rest is replayed at the next start")
        self._stop(list(self.children))
        if self.broker:
            self.broker.stop()
            discovery.withdraw(self.settings)
            if self.engine is not None:
                broker_health.mark(self.engine, "stopped")
        if self.engine is not None:
            self.engine.dispose()

    # ------------------------------------------------------------ compaction
    def drained(self, engine: Engine, timeout: float = 180, honour_stop: bool = True) -> bool:
        from streams.aggregator import cluster_id_of

        cid = cluster_id_of(self.bootstrap)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not (honour_stop and self.stop_event.is_set()):
            ends = end_offsets(self.bootstrap, list(ALL_TOPICS))
            lag = group_lag(engine, self.settings.consumer_group, cid,
                            {tp: e for tp, e in ends.items() if tp.topic != "ioc.alerts"})
            if sum(lag.values()) == 0:
                return True
            time.sleep(0.5)  # the aggregator commits per batch; re-check shortly
        return False

    def compact(self) -> bool:
        """Restart the embedded broker empty once everything in it has been aggregated."""
        if not self.broker:
            return False
        log.info("broker RSS %.0f MB over budget: compacting", self.broker.rss_mb())
        connectors = self._connector_names()
        self._stop(connectors)
        engine = make_engine(self.settings.database_url)
        try:
            ok = self.drained(engine)
        finally:
            engine.dispose()
        if not ok:
            log.warning("aggregator did not drain; compaction postponed")
            for name in connectors:
                self._spawn(Child(name, self._ioc("connect", name)))
            return False
        self._stop(["aggregate"])
        self.restart_broker()
        self.compactions += 1
        log.info("compaction %d done; broker RSS %.0f MB", self.compactions,
                 self.broker.rss_mb())
        return True

    # ------------------------------------------------------------ broker restarts
    def restart_broker(self, stop_timeout: float = 20) -> None:
        """The one broker restart (compaction and recovery): pipeline stopped, the broker
        restarted empty on its port under a new cluster id, connectors rewound, pipeline
        started again."""
        assert self.broker is not None
        self._stop([*self._connector_names(), "aggregate"], timeout=stop_timeout)
        port = self.broker.port
        self.broker.stop(timeout=stop_timeout)
        self.broker = EmbeddedBroker(port=port, log_path=self.broker.log_path)
        self.broker.start()
        self._on_new_broker()
        self.start_pipeline()

    def _on_new_broker(self) -> list[Rewind]:
        """Topics, then every connector rewound to what the aggregator had committed (the
        aggregator is stopped: its stored offsets still name the old broker)."""
        from streams.aggregator import cluster_id_of

        ensure_topics(self.bootstrap, self.settings.topic_partitions)
        if self.engine is None:
            return []
        rewinds = rewind_all(self.engine, self.settings.consumer_group,
                             cluster_id_of(self.bootstrap))
        supervised = set(self._connector_names())
        for rw in rewinds:
            if rw.from_cursor == rw.to_cursor:
                continue
            hint = "" if rw.connector in supervised else " (re-run its command to replay)"
            self._announce(f"nguồn {rw.connector} phát lại từ {rw.to_cursor or 'đầu'} · "
                           f"connector {rw.connector} rewound from {rw.from_cursor} to "
                           f"{rw.to_cursor or 'the beginning'}{hint}")
        return rewinds

    def check_broker(self) -> str | None:
        """Restart the embedded broker if its process exited, or if it left
        BROKER_PROBE_FAILURES probes in a row unanswered; returns the cause when it did."""
        if not self.broker:
            return None
        cause = self.broker.health(self.probe_timeout)
        if cause is None:
            self._probe_failures = 0
            if self.engine is not None and time.monotonic() - self._last_touch > 5:
                self._last_touch = time.monotonic()
                broker_health.touch(self.engine)
            return None
        exited = not self.broker.process or self.broker.process.poll() is not None
        self._probe_failures += 1
        if not exited and self._probe_failures < BROKER_PROBE_FAILURES:
            return None
        self._probe_failures = 0
        self.recover_broker(cause)
        return cause

    def recover_broker(self, cause: str) -> None:
        assert self.broker is not None
        self._announce(f"MÁY CHỦ KAFKA NGỪNG · BROKER DOWN ({self.broker.bootstrap}, cluster "
                       f"{self.broker.cluster_id}): {cause}; restarting")
        if self.engine is not None:
            broker_health.mark(self.engine, "down", cause, self.broker.cluster_id)
        # Short stop timeouts: without a broker nothing commits, and a killed child loses
        # nothing (DB transactions are atomic, cursors follow acknowledgements).
        self.restart_broker(stop_timeout=3)
        self.broker_restarts += 1
        if self.engine is not None:
            broker_health.mark(self.engine, "up", cause, self.broker.cluster_id, restarted=True)
        self._announce(f"MÁY CHỦ KAFKA ĐÃ KHỞI ĐỘNG LẠI · BROKER RESTARTED (restart "
                       f"{self.broker_restarts}, new cluster {self.broker.cluster_id}): "
                       f"unconsumed records are replayed from the connectors' checkpoints")

    def watch(self, interval: float = 1.0) -> None:
        while not self.stop_event.wait(interval):
            self.check_broker()
            for child in list(self.children.values()):
                if child.proc and child.proc.poll() is not None:
                    log.warning("%s exited with %s; restarting", child.name,
                                child.proc.returncode)
                    self._spawn(Child(child.name, child.argv))
            if self.broker and self.broker.rss_mb() > self.settings.broker_max_mb:
                self.compact()
