"""The state read's planner setting on PostgreSQL (SET LOCAL random_page_cost) lives and dies
with its own transaction: a connection handed back to the pool keeps the server's value, and
the counts are those of the rows (SQLite + PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, insert

from ioc.db import schema as s
from ioc.kpis.values import near_due_limit, state_frame


def test_state_read_setting_does_not_leak_into_the_pool(engine: Engine) -> None:
    at = datetime(2026, 3, 2, 3, 0)
    with engine.begin() as conn:
        server = (conn.exec_driver_sql("SHOW random_page_cost").scalar()
                  if engine.dialect.name == "postgresql" else None)
        conn.execute(insert(s.dossiers), [
            {"dossier_id": f"d{i}", "seq": 1, "status": "received", "province_code": "25",
             "ward_code": "w", "agency_code": "a", "sector": "x", "procedure_code": "p",
             "channel": "online", "level": "province", "received_at": at - timedelta(days=i + 1),
             "due_at": at + timedelta(days=3 - i),
             "closed_at": None if i < 3 else at + timedelta(hours=i), "is_open": i < 3}
            for i in range(5)])
    for scope in ("province:25", "commune:w"):
        counts = state_frame(engine, scope, at, near_due_limit(at), [])
        assert counts["in_progress"].to_list() == [5]
    if server is not None:
        with engine.connect() as conn:  # the pool's connection the read used
            assert conn.exec_driver_sql("SHOW random_page_cost").scalar() == server
