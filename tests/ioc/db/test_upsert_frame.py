"""The aggregator's bulk upsert (executemany on SQLite; CSV COPY into a staging table then one
INSERT … ON CONFLICT on PostgreSQL) and the entity-state write (changed columns only on
SQLite) store every value as written, keep the conflict rules (newer seq replaces, older
leaves the row alone, counters add), and work when the same table is written twice in a
transaction and after a rolled-back one. SQLite + PostgreSQL."""

from __future__ import annotations

import random
from datetime import datetime

import polars as pl
import pytest
from sqlalchemy import Connection, Engine, select

from ioc.db import schema as s
from ioc.db.upsert import fetch_frame, upsert_frame, upsert_states

T = s.feedback
SCHEMA = {"feedback_id": pl.String, "seq": pl.Int64, "status": pl.String,
          "province_code": pl.String, "ward_code": pl.String, "ward_code_reason": pl.String,
          "channel": pl.String, "category": pl.String, "agency_code": pl.String,
          "text": pl.String, "lat": pl.Float64, "lon": pl.Float64,
          "received_at": pl.Datetime("us"), "due_at": pl.Datetime("us"),
          "responded_at": pl.Datetime("us"), "closed_at": pl.Datetime("us"),
          "rating": pl.String, "is_open": pl.Boolean,
          # Office times stored at write time (migration 0020): large integers.
          "response_us": pl.Int64, "close_us": pl.Int64}
REPLACE = tuple(c for c in SCHEMA if c != "feedback_id")
NOT_NULL = {c.name for c in T.c if not c.nullable}
# Values CSV and SQL quoting could get wrong: separators, quotes, newlines, backslashes,
# non-ASCII, '' against NULL, microseconds, large integers, negative and tiny floats.
TRICKY = ["a,b", 'say "hi"', "line\nbreak\r\n", "back\\slash \\N", "Đà Nẵng – ngõ 5", "",
          "   ", "NULL", "'; drop table x; --"]


def _row(i: int, seq: int, text: str | None) -> dict:
    return {"feedback_id": f"fb-{i}", "seq": seq, "status": "open" if i % 2 else "closed",
            "province_code": "48", "ward_code": "" if i % 3 == 0 else f"0{i}",
            "ward_code_reason": None if i % 2 else "outside, \"the\" province",
            "channel": "app", "category": text or "", "agency_code": "",
            "text": text, "lat": None if i % 4 == 0 else 16.0 + i / 3,
            "lon": -1e-7 * i, "received_at": datetime(2026, 3, 1, 7, 8, 9, 123456 + i),
            "due_at": datetime(2026, 3, 9, 23, 59, 59, 999999),
            "responded_at": None if i % 2 else datetime(2026, 3, 2, 0, 0, 0, 1),
            "closed_at": None, "rating": None, "is_open": bool(i % 2),
            "response_us": None if i % 2 else 3_600_000_000 * i + 7, "close_us": None}


def _frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA)


def _stored(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(T).order_by(T.c.feedback_id))]


def _upsert(conn: Connection, frame: pl.DataFrame) -> None:
    upsert_frame(conn, T, frame, keys=("feedback_id",), replace=REPLACE, newer_than="seq")


def test_values_round_trip_and_conflict_rules(engine: Engine) -> None:
    first = [_row(i, 10 + i, t) for i, t in enumerate([*TRICKY, None])]
    with engine.begin() as conn:
        _upsert(conn, _frame(first))
    assert _stored(engine) == sorted(first, key=lambda r: r["feedback_id"])

    # Same transaction, same table twice (the staging table is reused), then a second
    # transaction: rows with a newer seq replace, rows with an older or equal one do not.
    newer = {**_row(1, 100, "newer \"text\", again"), "is_open": False,
             "closed_at": datetime(2026, 3, 5, 1, 2, 3, 4)}
    older = {**_row(2, 1, "older"), "status": "stale"}
    with engine.begin() as conn:
        _upsert(conn, _frame([newer]))
        _upsert(conn, _frame([older, _row(50, 5, "brand new")]))
    with engine.begin() as conn:
        _upsert(conn, _frame([{**_row(3, 13, "equal seq")}]))  # seq 13 is stored: unchanged
    want = {r["feedback_id"]: r for r in first}
    want["fb-1"] = newer
    want["fb-50"] = _row(50, 5, "brand new")
    assert _stored(engine) == [want[k] for k in sorted(want)]

    # Read back through the aggregator's own bulk read: the same frame.
    ids = sorted(want)
    got = fetch_frame(engine.connect(), T, "feedback_id", ids, list(SCHEMA), SCHEMA)
    assert got.sort("feedback_id").equals(_frame([want[k] for k in ids]))


def test_counters_add_and_a_rolled_back_transaction_leaves_nothing(engine: Engine) -> None:
    b = s.feedback_buckets
    dims = tuple(c.name for c in b.c if c.primary_key)
    counters = tuple(c.name for c in b.c if not c.primary_key)
    schema = {**{d: pl.String for d in dims}, "hour": pl.Datetime("us"),
              **{c: pl.Int64 for c in counters}}
    key = {d: "" for d in dims} | {"hour": datetime(2026, 3, 1, 7), "category": "a,\"b\""}
    one = pl.DataFrame([{**key, **{c: 1 for c in counters}}], schema=schema)
    big = pl.DataFrame([{**key, **{c: 2**40 for c in counters}}], schema=schema)

    with pytest.raises(RuntimeError), engine.begin() as conn:
        upsert_frame(conn, b, big, keys=dims, add=counters)
        raise RuntimeError("roll back")
    for _ in range(2):  # after the rollback (PostgreSQL: its staging table went with it)
        with engine.begin() as conn:
            upsert_frame(conn, b, one, keys=dims, add=counters)
    with engine.begin() as conn:
        upsert_frame(conn, b, big, keys=dims, add=counters)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(b))]
    assert rows == [{**key, **{c: 2 + 2**40 for c in counters}}]


@pytest.mark.parametrize("seed", range(4))
def test_states_write_equals_the_new_rows(engine: Engine, seed: int) -> None:
    """upsert_states (SQLite: UPDATE of the changed columns only, grouped by which changed)
    leaves exactly the new states: any subset of columns changed, to and from NULL, new
    entities beside stored ones; entities not in the batch untouched."""
    rng = random.Random(seed)
    stored = [_row(i, 10, rng.choice([*TRICKY, None])) for i in range(40)]
    with engine.begin() as conn:
        _upsert(conn, _frame(stored))
    alt = _row(99, 0, "alt")
    changed = {}
    for r in rng.sample(stored, 25):
        cols = rng.sample([c for c in REPLACE if c != "seq"], rng.randint(0, 5))
        changed[r["feedback_id"]] = {**r, "seq": r["seq"] + rng.randint(1, 9),
                                     **{c: rng.choice([None, alt[c]]) if c not in NOT_NULL
                                        else alt[c] for c in cols}}
    fresh = [_row(100 + i, 3, "fresh") for i in range(5)]
    new = _frame([*changed.values(), *fresh])
    with engine.connect() as conn:
        read = fetch_frame(conn, T, "feedback_id", list(changed), list(SCHEMA), SCHEMA)
    with engine.begin() as conn:
        upsert_states(conn, T, new, read, "feedback_id", newer_than="seq")
    want = {r["feedback_id"]: r for r in [*stored, *fresh]} | changed
    assert _stored(engine) == [want[k] for k in sorted(want)]


def test_bulk_read_returns_each_asked_row_once_at_every_in_list_length(engine: Engine
                                                                       ) -> None:
    # SQLite pads the IN list to a power of two with repeats of an id (a few statement
    # texts for its statement cache): the rows read must still be each asked row once.
    rows = [_row(i, i + 1, f"t{i}") for i in range(40)]
    with engine.begin() as conn:
        _upsert(conn, _frame(rows))
    by_id = {r["feedback_id"]: r for r in rows}
    with engine.connect() as conn:
        for n in (1, 2, 3, 5, 8, 9, 17, 33, 40):
            for chunk in (4, 7, 5000):
                ids = [f"fb-{i}" for i in range(0, 2 * n, 2)]  # half of them not stored
                got = fetch_frame(conn, T, "feedback_id", ids, list(SCHEMA), SCHEMA)
                want = [by_id[k] for k in sorted(ids) if k in by_id]
                assert got.sort("feedback_id").equals(_frame(want)), (n, chunk)
