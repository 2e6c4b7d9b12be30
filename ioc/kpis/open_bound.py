"""An upper bound on how long any stored entity (dossier, feedback report) of a province stayed
open (closed_at − received_at, in whole seconds + 1), kept by the aggregator as a running
maximum in one table per stream (issue 13: dossier_open_bound, feedback_open_bound).

The state at an instant `at` reads the entities received before `at` and not closed before
it. Those closed since are found among the closures at or after `at`; with the bound L, an
entity received before `at` closed before `at` + L, so the read stops there instead of at
today (the previous period of "year to date" is months ago: every closure since then).
A replaced state never lowers the bound: a stale, larger L only reads more, never wrong."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

import polars as pl
from sqlalchemy import Connection, Table, delete, func, select

from ioc.db.upsert import upsert_frame

T = TypeVar("T")
_BOUND_TRIES = 3  # reads of the bound that moved meanwhile before reading unbounded


def open_spans(states: pl.DataFrame) -> pl.DataFrame:
    """Per province, the longest closed_at − received_at of `states` in whole seconds + 1
    (an upper bound; none when no state is closed)."""
    schema = {"province_code": pl.String, "max_open_s": pl.Int64}
    if states.is_empty():
        return pl.DataFrame(schema=schema)
    us = (pl.col("closed_at") - pl.col("received_at")).dt.total_microseconds()
    return (states.filter(pl.col("closed_at").is_not_null())
            .group_by("province_code").agg((us.max() // 1_000_000 + 1)
                                            .clip(lower_bound=0).alias("max_open_s"))
            .cast(schema))  # type: ignore[arg-type]


def write_open_bound(conn: Connection, bound: Table, new_states: pl.DataFrame) -> None:
    """Raise the stored bound to the batch's longest span, in the caller's transaction."""
    spans = open_spans(new_states)
    upsert_frame(conn, bound, spans.sort("province_code"),
                 keys=("province_code",), replace=("max_open_s",), newer_than="max_open_s")


# Dossiers open longer than this are listed in dossier_long_open (migration 0023 froze the
# same 30 days for its backfill). The table keeps every span over LONG_OPEN − 1 s: a margin
# for the backfill's float arithmetic; the read checks each dossier's own times.
LONG_OPEN = timedelta(days=30)
_KEEP_OVER = LONG_OPEN - timedelta(seconds=1)


def _long(states: pl.DataFrame) -> pl.DataFrame:
    return states.filter(pl.col("closed_at").is_not_null()
                         & ((pl.col("closed_at") - pl.col("received_at")) > _KEEP_OVER))


def write_long_open(conn: Connection, long_open: Table, new_states: pl.DataFrame,
                    replaced: pl.DataFrame) -> None:
    """Keep `long_open` listing every stored dossier open longer than LONG_OPEN, in the
    caller's transaction: the batch's new states over it upserted, replaced states that were
    over it and are not now deleted."""
    cols = ["dossier_id", "province_code", "closed_at", "received_at"]
    now_long = _long(new_states).select(cols)
    gone = set(_long(replaced)["dossier_id"].to_list()) - set(now_long["dossier_id"].to_list())
    if gone:
        conn.execute(delete(long_open).where(long_open.c.dossier_id.in_(sorted(gone))))
    upsert_frame(conn, long_open, now_long.sort("dossier_id"), keys=("dossier_id",),
                 replace=("province_code", "closed_at", "received_at"))


def closed_before(conn: Connection, bound: Table, province: str | None, at: datetime
                  ) -> datetime | None:
    """An instant before which every entity of `province` (None: of any province) received
    before `at` and closed at or after `at` was closed (None: no bound stored, read every
    closure since `at`)."""
    if province is None:
        q = select(func.max(bound.c.max_open_s))
    else:
        q = select(bound.c.max_open_s).where(bound.c.province_code == province)
    seconds = conn.execute(q).scalar()
    if seconds is None:
        return None
    try:
        return at + timedelta(seconds=int(seconds) + 1)
    except OverflowError:  # past datetime.max: no bound worth the name
        return None


def bounded_read(conn: Connection, bound: Table, province: str | None, at: datetime,
                 read: Callable[[datetime | None], T]) -> T:
    """`read(until)` with the closures since `at` read up to `until` = closed_before(...).
    The bound is read again after `read`, on the same connection: the aggregator raises it in
    the transaction that stores a longer-open entity, so an unchanged bound means the read
    saw no such entity beyond it (a moved one: read again; READ COMMITTED gives each
    statement its own snapshot; after _BOUND_TRIES, unbounded)."""
    for _ in range(_BOUND_TRIES):
        until = closed_before(conn, bound, province, at)
        got = read(until)
        if until is None or closed_before(conn, bound, province, at) == until:
            return got
    return read(None)
