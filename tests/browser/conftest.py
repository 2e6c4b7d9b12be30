"""Real-browser fixtures: the UI server (ioc.ui.serve, the command `ioc ui` runs) on a free
port against a migrated SQLite database, and Debian's chromium driven by Playwright.

The tests skip, saying why, when Playwright or /usr/bin/chromium is missing (the Makefile and
.ci/run install chromium with apt-get when they run as root). Readiness is polled with a
deadline (the server's /_stcore/health, elements in the page), never slept for.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, insert, update

from ioc.auth import Identity
from ioc.db import schema as s
from ioc.db.migrate import migrated_engine
from ioc.ui.serve import command
from ioc.wall import store
from ioc.wall.playlists import Item, Playlist
from streams.chaos.workload import random_events
from tests.helpers import apply_events

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("IOC_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "docs" / "screenshots"
PLAYLIST_PAGES = ("overview", "dossiers", "feedback", "social", "alerts")
DWELL = 4


def wait_for(fn: Callable[[], Any], timeout: float, what: str, every: float = 0.25) -> Any:
    """Poll `fn` until it returns something truthy (its value), or fail after `timeout`."""
    end = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


class UiServer:
    """The Streamlit server as `ioc ui` starts it; stop() and start() again on the same port."""

    def __init__(self, db_url: str, port: int, log: Path) -> None:
        self.db_url, self.port, self.log = db_url, port, log
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "IOC_DATABASE_URL": self.db_url, "IOC_REFRESH_SECONDS": "2",
               "IOC_FRESHNESS_SECONDS": "6", "IOC_ANONYMOUS_ROLE": "",
               "IOC_PROVINCE_CODE": "25"}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(command(self.port), cwd=ROOT, env=env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: healthy(self.base) or self._died(), 60, "the UI server's health")

    def _died(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"UI server exited: {self.log.read_text()[-2000:]}")
        return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None


class Heartbeat:
    """Stands in for the aggregator's heartbeat loop: a row in aggregator_batches refreshed
    every second while running; stop() leaves it to go stale, as a stopped aggregator does."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        t = s.aggregator_batches
        with self.engine.begin() as conn:
            if conn.execute(update(t).where(t.c.instance == "agg-test")
                            .values(heartbeat_at=now, committed_at=now)).rowcount == 0:
                conn.execute(insert(t).values(instance="agg-test", consumer_group="ioc-agg",
                                              committed_at=now, heartbeat_at=now,
                                              events_total=0, last_batch_events=0, lag=0))

    def start(self) -> None:
        self.beat()
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(1.0):
                self.beat()

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)


@pytest.fixture(scope="module")
def browser_env() -> None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("Playwright is not installed (pip install -e '.[dev]')")
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: run as root where apt works (make test installs "
                    "Debian's chromium), or set IOC_CHROMIUM")


@pytest.fixture(scope="module")
def wall_db(tmp_path_factory: pytest.TempPathFactory, browser_env: None
            ) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('wall') / 'ioc.db'}"
    engine = migrated_engine(url)
    # A week of the three streams through the aggregator's write path, so pages show data.
    apply_events(engine, random_events(400, 200, 200, seed=14, now=datetime.now(UTC)))
    yield url, engine
    engine.dispose()


@pytest.fixture(scope="module")
def heartbeat(wall_db: tuple[str, Engine]) -> Iterator[Heartbeat]:
    hb = Heartbeat(wall_db[1])
    hb.start()
    yield hb
    hb.stop()
    with wall_db[1].begin() as conn:
        conn.execute(delete(s.aggregator_batches))


@pytest.fixture(scope="module")
def wall_url(wall_db: tuple[str, Engine]) -> str:
    """A playlist of the five pages, DWELL seconds each; its kiosk path with the token."""
    playlist = Playlist("test-wall", "Tường thử · Test wall",
                        tuple(Item(p, dwell=DWELL) for p in PLAYLIST_PAGES), True)
    _, token = store.save(wall_db[1], playlist, Identity("vanhanh1", "operator"))
    return f"/wall?playlist=test-wall&key={token}"


@pytest.fixture(scope="module")
def overview_url(wall_db: tuple[str, Engine]) -> str:
    """A one-item playlist that stays on the Overview (sign-in is required on this server:
    only a playlist token opens pages)."""
    playlist = Playlist("overview-only", "Tổng quan", (Item("overview", dwell=3600),), True)
    _, token = store.save(wall_db[1], playlist, Identity("vanhanh1", "operator"))
    return f"/?playlist=overview-only&key={token}&step=0"


@pytest.fixture(scope="module")
def ui_server(wall_db: tuple[str, Engine], heartbeat: Heartbeat,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    server = UiServer(wall_db[0], free_port(), tmp_path_factory.mktemp("ui") / "ui.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def chromium(browser_env: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


def since(minutes: float) -> datetime:
    return datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=minutes)
