"""Shared fixtures: a real embedded Kafka-compatible broker per test and a real database
(SQLite by default, PostgreSQL when IOC_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ioc.db.engine import make_engine
from ioc.db.migrate import upgrade
from streams.broker import EmbeddedBroker
from streams.topics import ensure_topics
from tests.helpers import reset_database


@pytest.fixture()
def broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker(log_path=tmp_path / "broker.log") as b:
        ensure_topics(b.bootstrap, 3)
        yield b


_BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("IOC_TEST_DATABASE_URL") else [])


@pytest.fixture(params=_BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every database test runs on SQLite, and on PostgreSQL too when IOC_TEST_DATABASE_URL
    names one (CI sets it)."""
    if request.param == "postgresql":
        return os.environ["IOC_TEST_DATABASE_URL"]
    return f"sqlite:///{tmp_path / 'ioc.db'}"


@pytest.fixture()
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    if eng.dialect.name != "sqlite":
        reset_database(eng)  # shared server database: start every test from an empty schema
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture()
def stop_event() -> Iterator[threading.Event]:
    ev = threading.Event()
    yield ev
    ev.set()
