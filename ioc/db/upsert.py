"""Portable INSERT … ON CONFLICT for SQLite and PostgreSQL (both support the same clause)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
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


# ---------------------------------------------------------------- bulk path for frames
# The aggregator's hot path: one prepared statement run with `executemany` (SQLite) or
# `execute_values` (PostgreSQL) over plain tuples taken from a Polars frame, on the DB-API
# cursor of the caller's connection, so it is part of the caller's transaction. No per-row
# dicts and no SQLAlchemy bind processing: the frame is converted column-wise instead.

# SQLAlchemy's own SQLite storage format for DateTime: rows written here and through Core
# must compare equal (bucket keys include the hour).
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%6f"
SQLITE_DATETIME_READ = "%Y-%m-%d %H:%M:%S%.f"
PG_PAGE = 1000
_SQL_CACHE: dict[tuple, str] = {}


def _sql(conn: Connection, table: Table, cols: tuple[str, ...], keys: tuple[str, ...],
         replace: tuple[str, ...], add: tuple[str, ...], newer_than: str | None) -> str:
    name = conn.dialect.name
    ck = (name, table.name, cols, keys, replace, add, newer_than)
    if ck in _SQL_CACHE:
        return _SQL_CACHE[ck]
    if name not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"upsert not supported on {name}")
    q = conn.dialect.identifier_preparer.quote
    t = q(table.name)
    values = "%s" if name == "postgresql" else "(" + ", ".join("?" for _ in cols) + ")"
    sql = f"INSERT INTO {t} ({', '.join(q(c) for c in cols)}) VALUES {values} "
    sets = [f"{q(c)} = excluded.{q(c)}" for c in replace]
    sets += [f"{q(c)} = {t}.{q(c)} + excluded.{q(c)}" for c in add]
    conflict = f"ON CONFLICT ({', '.join(q(k) for k in keys)}) "
    if sets:
        sql += conflict + "DO UPDATE SET " + ", ".join(sets)
        if newer_than:
            sql += f" WHERE {t}.{q(newer_than)} < excluded.{q(newer_than)}"
    else:
        sql += conflict + "DO NOTHING"
    _SQL_CACHE[ck] = sql
    return sql


def frame_rows(conn: Connection, frame: pl.DataFrame) -> list[tuple]:
    """The frame's rows as DB-API tuples: on SQLite, datetimes as SQLAlchemy's text form
    (converted column-wise in Polars, not per value in Python)."""
    if conn.dialect.name == "sqlite":
        dts = [c for c, t in frame.schema.items() if isinstance(t, pl.Datetime)]
        if dts:
            frame = frame.with_columns(pl.col(c).dt.strftime(SQLITE_DATETIME) for c in dts)
    return frame.rows()


def upsert_frame(
    conn: Connection,
    table: Table,
    frame: pl.DataFrame,
    keys: Sequence[str],
    replace: Sequence[str] = (),
    add: Sequence[str] = (),
    newer_than: str | None = None,
) -> None:
    """`upsert` for a Polars frame whose columns are the table's columns to write; same
    conflict rules, in the caller's transaction."""
    if frame.is_empty():
        return
    sql = _sql(conn, table, tuple(frame.columns), tuple(keys), tuple(replace), tuple(add),
               newer_than)
    rows = frame_rows(conn, frame)
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "postgresql":
            from psycopg2.extras import execute_values

            execute_values(cur, sql, rows, page_size=PG_PAGE)
        else:
            cur.executemany(sql, rows)
    finally:
        cur.close()


def fetch_frame(conn: Connection, table: Table, key: str, ids: Sequence[str],
                cols: Sequence[str], schema: dict[str, pl.DataType],
                chunk: int = 5000) -> pl.DataFrame:
    """Rows of `table` whose `key` is in `ids`, as a frame of `schema` (one round trip per
    `chunk` ids, plain DB-API tuples, types fixed column-wise)."""
    q = conn.dialect.identifier_preparer.quote
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    select = f"SELECT {', '.join(q(c) for c in cols)} FROM {q(table.name)} WHERE {q(key)} IN "
    rows: list[tuple] = []
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for i in range(0, len(ids), chunk):
            part = list(ids[i : i + chunk])
            cur.execute(select + "(" + ", ".join(mark for _ in part) + ")", part)
            rows.extend(cur.fetchall())
    finally:
        cur.close()
    if not sqlite:
        return pl.DataFrame(rows, schema=schema, orient="row")
    # SQLite hands back datetimes as text and booleans as 0/1: convert column-wise.
    raw = {c: (pl.String if isinstance(t, pl.Datetime) else pl.Int64 if t == pl.Boolean
               else t) for c, t in schema.items()}
    df = pl.DataFrame(rows, schema=raw, orient="row")
    return df.with_columns(
        pl.col(c).str.to_datetime(SQLITE_DATETIME_READ, time_unit="us")
        if isinstance(t, pl.Datetime) else pl.col(c).cast(t)
        for c, t in schema.items() if raw[c] != t)
