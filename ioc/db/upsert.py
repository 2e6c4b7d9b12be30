"""Portable INSERT … ON CONFLICT for SQLite and PostgreSQL (both support the same clause)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

CHUNK = 2000


def _insert(conn: Connection, table: Table):  # noqa: ANN202
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upsert not supported on {name}")


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    replace: Sequence[str] = (),
    add: Sequence[str] = (),
    newer_than: str | None = None,
) -> None:
    """Insert rows; on key conflict overwrite `replace` columns and add to `add` counters.

    `newer_than` names a version column: the update applies only if the incoming value is
    greater (idempotent entity state under replays and out-of-order events).
    """
    if not rows:
        return
    stmt = _insert(conn, table)
    ex = stmt.excluded
    sets: dict[str, Any] = {c: ex[c] for c in replace}
    sets.update({c: table.c[c] + ex[c] for c in add})
    if sets:
        where = table.c[newer_than] < ex[newer_than] if newer_than else None
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=sets, where=where)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    for i in range(0, len(rows), CHUNK):
        conn.execute(stmt, list(rows[i : i + CHUNK]))
