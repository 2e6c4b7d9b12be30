"""SQLite connections from make_engine carry the pragmas the write path and the UI rely on."""

from __future__ import annotations

from pathlib import Path

from ioc.db.engine import CACHE_KIB, SOFT_HEAP_BYTES, make_engine


def test_sqlite_connections_get_wal_cache_and_heap_limit(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        with engine.connect() as conn:
            pragma = conn.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert pragma("PRAGMA cache_size").scalar() == -CACHE_KIB
            # Process-wide: bounds the caches of all pooled connections together.
            assert pragma("PRAGMA soft_heap_limit").scalar() == SOFT_HEAP_BYTES
    finally:
        engine.dispose()
