"""var/ and what it holds (database, logs, broker.json) are readable by their owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ioc.db.engine import make_engine
from ioc.settings import (
    Settings,
    make_private_dir,
    make_private_file,
    open_private_log,
)
from streams import discovery


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture()
def open_umask() -> Iterator[None]:
    # A permissive umask: the modes below must come from the code, not from the umask.
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_sqlite_file_wal_and_new_folders_are_owner_only(tmp_path, open_umask):
    var = tmp_path / "fresh" / "var"
    engine = make_engine(f"sqlite:///{var / 'ioc.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (v TEXT)"))
            conn.execute(text("INSERT INTO t VALUES ('x')"))
        with engine.connect() as conn:  # WAL mode: -wal and -shm exist while connected
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 1
            files = [p for p in var.iterdir() if p.name.startswith("ioc.db")]
            assert {p.name for p in files} >= {"ioc.db", "ioc.db-wal"}
            assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
    finally:
        engine.dispose()
    assert _mode(var) == 0o700 and _mode(var.parent) == 0o700


def test_existing_database_file_is_tightened(tmp_path, open_umask):
    db = tmp_path / "old.db"
    db.touch(mode=0o644)
    make_engine(f"sqlite:///{db}").dispose()
    assert _mode(db) == 0o600


def test_var_dir_and_logs_are_tightened(tmp_path, open_umask):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    (var / "logs").mkdir(mode=0o755)
    old_log = var / "logs" / "aggregator.log"
    old_log.touch(mode=0o644)
    make_private_dir(var)
    with open_private_log(old_log) as f, open_private_log(var / "logs" / "new.log") as g:
        f.write(b"a\n")
        g.write(b"b\n")
    assert _mode(var) == 0o700 and _mode(var / "logs") == 0o700
    assert _mode(old_log) == 0o600 and _mode(var / "logs" / "new.log") == 0o600
    assert old_log.read_bytes() == b"a\n"  # appended, not truncated


def test_untightened_parent_keeps_its_mode(tmp_path, open_umask):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    make_private_dir(shared, tighten=False)
    assert _mode(shared) == 0o755
    assert _mode(make_private_file(shared / "f")) == 0o600


def test_broker_file_is_owner_only(tmp_path, open_umask):
    settings = Settings(var_dir=tmp_path / "var")
    discovery.announce(settings, "127.0.0.1:9092", 123)
    assert _mode(discovery.broker_file(settings)) == 0o600
    assert _mode(settings.var_dir) == 0o700
    assert discovery.resolve_bootstrap(settings) == "127.0.0.1:9092"


def test_tightening_an_open_database_keeps_its_locks(tmp_path: Path) -> None:
    """Closing any descriptor of an SQLite file drops this process's POSIX locks on it, so
    make_engine on a database the process already writes must not open the file (it used to:
    `ioc up`'s database ended 'malformed' under concurrent writers)."""
    import sqlite3
    import subprocess
    import sys

    db = tmp_path / "ioc.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO t VALUES (1)")
    make_engine(f"sqlite:///{db}").dispose()
    make_private_file(db)
    probe = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=0, "
             "isolation_level=None)\ntry:\n    c.execute('BEGIN EXCLUSIVE'); print('got it')\n"
             "except sqlite3.OperationalError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", probe, str(db)], capture_output=True,
                         text=True, timeout=30).stdout.strip()
    holder.execute("ROLLBACK")
    holder.close()
    assert out == "database is locked"
