"""Shared fixtures: a real embedded Kafka-compatible broker per test and a real database
(SQLite by default, PostgreSQL when IOC_TEST_DATABASE_URL is set).

Every database test starts from the schema at head with only what the migrations seed. The
migrations run for real once per session and backend; later tests get that state faster: a
copy of the migrated SQLite file, or the PostgreSQL tables emptied and re-seeded when the
schema is still exactly the one the migrations built (else the slow path runs again)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import Engine, MetaData, Table, insert, select, text
from sqlalchemy.engine import make_url

from ioc.auth import passwords
from ioc.db.engine import make_engine
from ioc.db.migrate import upgrade
from streams.broker import EmbeddedBroker
from streams.topics import ensure_topics
from tests.helpers import reset_database

# The hasher the system ships (tests/ioc/auth/test_auth.py pins its parameters).
SHIPPED_HASHER = passwords._HASHER


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes() -> Iterator[None]:
    """Argon2id at a small cost inside the test process: the shipped parameters (t=3, 64 MiB,
    p=4) take 0.1-0.5 s per hash or verify on this 2-core machine, and the throttle, sign-in
    and page tests do hundreds. Same algorithm and code paths; parameters other than the
    ones test_auth's "old hash" uses, so the rehash-on-sign-in test still sees a rehash.
    Processes the tests start (`ioc users`, the browser tests' server) hash as shipped."""
    mp = pytest.MonkeyPatch()
    mp.setattr(passwords, "_HASHER",
               PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=Type.ID))
    mp.setattr(passwords, "_dummy_hash", None)  # made by the hasher in force
    yield
    mp.undo()


@pytest.fixture()
def broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker(log_path=tmp_path / "broker.log") as b:
        ensure_topics(b.bootstrap, 3)
        yield b


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (`make test` runs two workers) each worker gets its own PostgreSQL
    database, `<name>_<worker>` on the same server, created when missing: tests empty and
    migrate the database they are given, so two workers must never share one. The variable is
    rewritten in the worker's environment, which every test and subprocess reads."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("IOC_TEST_DATABASE_URL")
    if not worker or not url:
        return
    base = make_url(url)
    mine = base.set(database=f"{base.database}_{worker}")
    admin = make_engine(base.render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": mine.database}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{mine.database}"'))
    finally:
        admin.dispose()
    os.environ["IOC_TEST_DATABASE_URL"] = mine.render_as_string(hide_password=False)


_BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("IOC_TEST_DATABASE_URL") else [])


@pytest.fixture(params=_BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every database test runs on SQLite, and on PostgreSQL too when IOC_TEST_DATABASE_URL
    names one (CI sets it)."""
    if request.param == "postgresql":
        return os.environ["IOC_TEST_DATABASE_URL"]
    return f"sqlite:///{tmp_path / 'ioc.db'}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head by the real migrations, once per session."""
    path = tmp_path_factory.mktemp("template") / "ioc.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()  # the last connection checkpoints the WAL into the file
    return path


class _Migrated:
    """What the migrations left in a PostgreSQL database: the schema's fingerprint and the
    rows they seed (the catalogue's SLA rules)."""

    def __init__(self, fingerprint: tuple, seeds: dict[Table, list[dict]]) -> None:
        self.fingerprint, self.seeds = fingerprint, seeds


_PG_MIGRATED: dict[str, _Migrated] = {}


def pg_fingerprint(eng: Engine) -> tuple:
    # Tables, columns with types, indexes, constraints and the Alembic revision: any change
    # a test or another migration made shows here, and sends the next test the slow way.
    with eng.connect() as conn:
        cols = conn.execute(text(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = current_schema() "
            "ORDER BY 1, 2")).all()
        idx = conn.execute(text(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() ORDER BY 1, 2")).all()
        cons = conn.execute(text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace "
            "ORDER BY 1, 2")).all()
        version: tuple = ()
        if any(c[0] == "alembic_version" for c in cols):
            version = tuple(conn.execute(text("SELECT version_num FROM alembic_version "
                                              "ORDER BY 1")).scalars())
    return (tuple(map(tuple, cols)), tuple(map(tuple, idx)), tuple(map(tuple, cons)), version)


def _pg_tables(fingerprint: tuple) -> list[str]:
    return sorted({c[0] for c in fingerprint[0]} - {"alembic_version"})


def pg_fresh_schema(eng: Engine, url: str) -> None:
    """Leave `eng`'s database as `reset_database` + `upgrade` would, the fast way when the
    schema is still the migrations' own."""
    known = _PG_MIGRATED.get(url)
    if known is not None and pg_fingerprint(eng) == known.fingerprint:
        with eng.begin() as conn:
            # Only tables ever written have pages; TRUNCATE gives them new empty files, as
            # CREATE TABLE did (a DELETE would leave dead rows and their physical order).
            written = conn.execute(text(
                "SELECT relname FROM pg_class WHERE relkind = 'r' "
                "AND relnamespace = current_schema()::regnamespace "
                "AND relname <> 'alembic_version' AND pg_relation_size(oid) > 0")).scalars()
            if tables := [f'"{t}"' for t in sorted(written)]:
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            # A sequence can move without a row written (an insert that failed a check).
            for seq in conn.execute(text(
                    "SELECT quote_ident(sequencename) FROM pg_sequences "
                    "WHERE schemaname = current_schema() AND last_value IS NOT NULL")).scalars():
                conn.execute(text(f"ALTER SEQUENCE {seq} RESTART"))
            for table, rows in known.seeds.items():
                conn.execute(insert(table), rows)
        return
    reset_database(eng)  # shared server database: start every test from an empty schema
    upgrade(eng)
    fingerprint = pg_fingerprint(eng)
    reflected = MetaData()
    reflected.reflect(eng, only=_pg_tables(fingerprint))
    with eng.connect() as conn:
        seeds = {table: [dict(r) for r in conn.execute(select(table)).mappings()]
                 for table in reflected.tables.values()}
    _PG_MIGRATED[url] = _Migrated(fingerprint, {k: v for k, v in seeds.items() if v})


@pytest.fixture()
def engine(db_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    at_head = False
    if db_url.startswith("sqlite"):
        target = Path(make_url(db_url).database or "")
        if not target.exists():
            shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
            at_head = True
    eng = make_engine(db_url)
    if eng.dialect.name != "sqlite":
        pg_fresh_schema(eng, db_url)
        at_head = True
    if not at_head:
        upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture()
def stop_event() -> Iterator[threading.Event]:
    ev = threading.Event()
    yield ev
    ev.set()
