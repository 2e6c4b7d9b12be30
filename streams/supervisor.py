"""`ioc up`: broker, migrations, topics, aggregator, connectors and UI as child processes.

On Ctrl-C or SIGTERM every child stops, the embedded broker last. The embedded broker keeps
every record in memory and cannot delete records (DeleteRecords is not implemented there), so
when its RSS passes IOC_BROKER_MAX_MB the supervisor compacts it: connectors stop (their
cursors are checkpointed), the aggregator drains to zero lag against its DB offsets, then the
broker restarts empty under a new cluster id; offsets stored for the old cluster id are ignored
by the aggregator, which starts the new logs at 0. Nothing unconsumed is discarded.
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

from ioc.db.engine import make_engine
from ioc.db.migrate import upgrade
from ioc.settings import Settings, settings_env
from streams import discovery
from streams.broker import EmbeddedBroker
from streams.lag import end_offsets, group_lag
from streams.topics import ALL_TOPICS, ensure_topics

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent


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
    stop_event: threading.Event = field(default_factory=threading.Event)

    # ------------------------------------------------------------ children
    def _env(self) -> dict[str, str]:
        return {**os.environ, **settings_env(self.settings),
                "IOC_KAFKA_BOOTSTRAP": self.bootstrap, "PYTHONUNBUFFERED": "1"}

    def _spawn(self, child: Child) -> None:
        logs = self.settings.var_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        out = open(logs / f"{child.name}.log", "ab")  # noqa: SIM115 - owned by the child
        child.proc = subprocess.Popen(child.argv, env=self._env(), cwd=ROOT, stdout=out,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
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
        self.settings.var_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(self.settings.database_url)
        upgrade(engine)
        engine.dispose()
        if self.settings.embedded_broker:
            self.broker = EmbeddedBroker(log_path=self.settings.var_dir / "logs" / "broker.log")
            (self.settings.var_dir / "logs").mkdir(parents=True, exist_ok=True)
            self.broker.start()
            self.bootstrap = self.broker.bootstrap
            discovery.announce(self.settings, self.bootstrap, os.getpid())
        else:
            self.bootstrap = str(self.settings.kafka_bootstrap)
        ensure_topics(self.bootstrap, self.settings.topic_partitions)
        self.start_pipeline()
        if self.ui and self.ui_command is not None:
            self._spawn(Child("ui", self.ui_command(self.settings.ui_port)))
        return f"http://localhost:{self.settings.ui_port}"

    def shutdown(self) -> None:
        self._stop(list(self.children))
        if self.broker:
            self.broker.stop()
            discovery.withdraw(self.settings)

    # ------------------------------------------------------------ compaction
    def drained(self, engine, timeout: float = 180) -> bool:  # noqa: ANN001
        from streams.aggregator import cluster_id_of

        cid = cluster_id_of(self.bootstrap)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stop_event.is_set():
            ends = end_offsets(self.bootstrap, list(ALL_TOPICS))
            lag = group_lag(engine, self.settings.consumer_group, cid,
                            {tp: e for tp, e in ends.items() if tp.topic != "ioc.alerts"})
            if sum(lag.values()) == 0:
                return True
            self.stop_event.wait(0.5)  # the aggregator commits per batch; re-check shortly
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
        port = self.broker.port
        self.broker.stop()
        self.broker = EmbeddedBroker(port=port, log_path=self.broker.log_path)
        self.broker.start()
        ensure_topics(self.bootstrap, self.settings.topic_partitions)
        self.start_pipeline()
        self.compactions += 1
        log.info("compaction %d done; broker RSS %.0f MB", self.compactions,
                 self.broker.rss_mb())
        return True

    def watch(self, interval: float = 5.0) -> None:
        while not self.stop_event.wait(interval):
            for child in list(self.children.values()):
                if child.proc and child.proc.poll() is not None:
                    log.warning("%s exited with %s; restarting", child.name,
                                child.proc.returncode)
                    self._spawn(Child(child.name, child.argv))
            if self.broker and self.broker.rss_mb() > self.settings.broker_max_mb:
                self.compact()
