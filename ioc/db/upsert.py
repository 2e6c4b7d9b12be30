"""Portable INSERT … ON CONFLICT for SQLite and PostgreSQL (both support the same clause)."""

from __future__ import annotations

import hashlib
import io
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
# The aggregator's hot path, on the DB-API cursor of the caller's connection (so part of the
# caller's transaction), no per-row dicts and no SQLAlchemy bind processing:
# - SQLite: one prepared statement run with `executemany` over plain tuples taken column-wise
#   from the frame;
# - PostgreSQL: the frame written as CSV by Polars (in Rust), COPYed into a temporary staging
#   table, then one INSERT … SELECT … ON CONFLICT. execute_values formatted every value in
#   Python and sent ~1000-row statements for the server to parse.

# SQLAlchemy's own SQLite storage format for DateTime: rows written here and through Core
# must compare equal (bucket keys include the hour).
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%6f"
SQLITE_DATETIME_READ = "%Y-%m-%d %H:%M:%S%.f"
PG_DATETIME = "%Y-%m-%d %H:%M:%S.%6f"
_SQL_CACHE: dict[tuple, tuple[str, ...]] = {}


def _sql(conn: Connection, table: Table, cols: tuple[str, ...], keys: tuple[str, ...],
         replace: tuple[str, ...], add: tuple[str, ...], newer_than: str | None
         ) -> tuple[str, ...]:
    """SQLite: (INSERT … VALUES (?, …) ON CONFLICT …,). PostgreSQL: (CREATE the staging
    table, COPY into it, INSERT … SELECT from it ON CONFLICT …, empty it)."""
    name = conn.dialect.name
    ck = (name, table.name, cols, keys, replace, add, newer_than)
    if ck in _SQL_CACHE:
        return _SQL_CACHE[ck]
    if name not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"upsert not supported on {name}")
    q = conn.dialect.identifier_preparer.quote
    t = q(table.name)
    collist = ", ".join(q(c) for c in cols)
    sets = [f"{q(c)} = excluded.{q(c)}" for c in replace]
    sets += [f"{q(c)} = {t}.{q(c)} + excluded.{q(c)}" for c in add]
    conflict = f" ON CONFLICT ({', '.join(q(k) for k in keys)}) "
    if sets:
        conflict += "DO UPDATE SET " + ", ".join(sets)
        if newer_than:
            conflict += f" WHERE {t}.{q(newer_than)} < excluded.{q(newer_than)}"
    else:
        conflict += "DO NOTHING"
    if name == "sqlite":
        sql: tuple[str, ...] = (
            f"INSERT INTO {t} ({collist}) VALUES ({', '.join('?' for _ in cols)})" + conflict,)
    else:
        # One staging table per (table, columns) and session; emptied at each commit, and
        # after each use since a transaction may write the same table twice. IF NOT EXISTS:
        # a rolled-back transaction (poison isolation) takes a table it created with it.
        digest = hashlib.sha1(repr(cols).encode()).hexdigest()[:10]
        stage = q(f"_stage_{table.name}_{digest}")
        # Rows go in key order: one global order of row locks, so concurrent instances
        # cannot deadlock.
        order = ", ".join(q(k) for k in keys)
        sql = (f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
               f"SELECT {collist} FROM {t} WITH NO DATA",
               f"COPY {stage} ({collist}) FROM STDIN WITH (FORMAT csv)",
               f"INSERT INTO {t} ({collist}) SELECT {collist} FROM {stage} ORDER BY {order}"
               + conflict,
               f"DELETE FROM {stage}")
    _SQL_CACHE[ck] = sql
    return sql


def frame_rows(conn: Connection, frame: pl.DataFrame) -> list[tuple]:
    """The frame's rows as DB-API tuples: on SQLite, datetimes as SQLAlchemy's text form
    (converted column-wise in Polars, not per value in Python)."""
    if conn.dialect.name == "sqlite":
        dts = [c for c, t in frame.schema.items() if isinstance(t, pl.Datetime)]
        if dts:
            frame = frame.with_columns(pl.col(c).dt.strftime(SQLITE_DATETIME) for c in dts)
    # Column lists zipped into tuples: ~20% cheaper than DataFrame.rows() (row-wise build).
    return list(zip(*(col.to_list() for col in frame.iter_columns()), strict=True))


def frame_csv(frame: pl.DataFrame) -> bytes:
    """The frame as PostgreSQL COPY csv: null is an empty field, '' is a quoted empty one."""
    return frame.write_csv(include_header=False, datetime_format=PG_DATETIME).encode()


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
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "postgresql":
            create, copy, insert, empty = sql
            cur.execute(create)
            cur.copy_expert(copy, io.BytesIO(frame_csv(frame)))
            cur.execute(insert)
            cur.execute(empty)
        else:
            cur.executemany(sql[0], frame_rows(conn, frame))
    finally:
        cur.close()


def upsert_states(conn: Connection, table: Table, new: pl.DataFrame, stored: pl.DataFrame,
                  key: str, newer_than: str) -> None:
    """Write entity states `new` (each with a greater `newer_than` than its row in `stored`,
    the rows read in this transaction; entities absent from `stored` are new).

    SQLite rewrites every index holding a column named in an UPDATE's SET, equal value or
    not, so a stored entity gets an UPDATE of only the columns that changed, grouped by the
    set of changed columns (a status move touches ~3 of 30 columns and 2 of 7 indexes: ~2x
    cheaper per row). The WHERE keeps the seq fence. PostgreSQL decides HOT updates by
    comparing values, so it keeps the one bulk upsert."""
    cols = [c for c in new.columns if c != key]
    if conn.dialect.name != "sqlite" or stored.is_empty():
        upsert_frame(conn, table, new, keys=(key,), replace=cols, newer_than=newer_than)
        return
    fresh = new.join(stored.select(key), on=key, how="anti")
    upsert_frame(conn, table, fresh, keys=(key,), replace=cols, newer_than=newer_than)
    both = new.join(stored.select(key, *cols), on=key, how="inner", suffix="\x00old")
    if both.is_empty():
        return
    flags = [f"\x00changed\x00{c}" for c in cols]
    both = both.with_columns(
        (~pl.col(c).eq_missing(pl.col(c + "\x00old"))).alias(f) for c, f in zip(cols, flags,
                                                                               strict=True))
    q = conn.dialect.identifier_preparer.quote
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for mask, part in both.partition_by(flags, as_dict=True, maintain_order=False).items():
            changed = [c for c, on in zip(cols, mask, strict=True) if on]
            if newer_than not in changed:
                changed.append(newer_than)  # never the case (newer), but the fence needs it
            sets = ", ".join(f"{q(c)} = ?" for c in changed)
            sql = (f"UPDATE {q(table.name)} SET {sets} WHERE {q(key)} = ? "
                   f"AND {q(newer_than)} < ?")
            rows = part.select(*changed, key, pl.col(newer_than).alias("\x00fence"))
            cur.executemany(sql, frame_rows(conn, rows))
    finally:
        cur.close()


def _in_length(n: int, chunk: int) -> int:
    """The IN list's length for `n` ids: the next power of two, at most `chunk`. sqlite3
    caches prepared statements by their text (128 per connection): a new length per batch
    was a new statement of up to ~0.5 MB each (≈66 MB per connection seen); ≤ 14 now."""
    return min(chunk, 1 << max(0, n - 1).bit_length())


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
            if sqlite:  # repeats of an id change no row of IN's result
                part += part[-1:] * (_in_length(len(part), chunk) - len(part))
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
