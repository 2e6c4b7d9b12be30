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


def test_postgresql_sessions_run_without_parallel_workers() -> None:
    """Each session of make_engine turns parallel workers off (the pages' small aggregates),
    and keeps options the URL already carries."""
    import os

    import pytest
    from sqlalchemy.engine import make_url

    url = os.environ.get("IOC_TEST_DATABASE_URL")
    if not url:
        pytest.skip("IOC_TEST_DATABASE_URL not set: no PostgreSQL to ask")
    with_option = make_url(url).update_query_dict({"options": "-c work_mem=7MB"})
    for u in (url, with_option.render_as_string(hide_password=False)):
        engine = make_engine(u)
        try:
            with engine.connect() as conn:
                assert conn.exec_driver_sql(
                    "SHOW max_parallel_workers_per_gather").scalar() == "0"
                if u != url:
                    assert conn.exec_driver_sql("SHOW work_mem").scalar() == "7MB"
        finally:
            engine.dispose()
