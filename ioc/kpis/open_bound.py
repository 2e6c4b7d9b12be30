"""An upper bound on how long any stored dossier of a province stayed open (closed_at −
received_at, in whole seconds + 1), kept by the aggregator as a running maximum (issue 13).

The state counts at an instant `at` read the dossiers received before `at` and not closed
before it. Those closed since are found among the closures at or after `at`; with the bound
L, a dossier received before `at` closed before `at` + L, so the read stops there instead of
at today (the previous period of "year to date" is months ago: every closure since then).
A replaced state never lowers the bound: a stale, larger L only reads more, never wrong."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from sqlalchemy import Connection, select

from ioc.db import schema as s
from ioc.db.upsert import upsert_frame


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


def write_open_bound(conn: Connection, new_states: pl.DataFrame) -> None:
    """Raise the stored bound to the batch's longest span, in the caller's transaction."""
    spans = open_spans(new_states)
    upsert_frame(conn, s.dossier_open_bound, spans.sort("province_code"),
                 keys=("province_code",), replace=("max_open_s",), newer_than="max_open_s")


def closed_before(conn: Connection, province: str, at: datetime) -> datetime | None:
    """An instant before which every dossier of `province` received before `at` and closed
    at or after `at` was closed (None: no bound stored, read every closure since `at`)."""
    b = s.dossier_open_bound
    bound = conn.execute(select(b.c.max_open_s).where(b.c.province_code == province)).scalar()
    if bound is None:
        return None
    try:
        return at + timedelta(seconds=int(bound) + 1)
    except OverflowError:  # past datetime.max: no bound worth the name
        return None
