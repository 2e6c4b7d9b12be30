"""Connector cursors, stored in the database so a restarted connector resumes exactly."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from ioc.db.schema import connector_checkpoints as cp
from ioc.db.upsert import upsert


def load_cursor(engine: Engine, connector: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(cp.c.cursor).where(cp.c.connector == connector)).scalar()


def save_cursor(engine: Engine, connector: str, cursor: str) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        upsert(conn, cp, [{"connector": connector, "cursor": cursor, "updated_at": now}],
               keys=("connector",), replace=("cursor", "updated_at"))
