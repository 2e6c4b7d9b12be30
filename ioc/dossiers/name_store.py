"""The names table's reads and writes (SQL): written with the dossier states in the
aggregator's transaction, read by the pages instead of scanning the dossiers."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection, Engine, select

from ioc.db import schema as s
from ioc.db.upsert import upsert_frame
from ioc.dossiers.names import COUNTERS, KEYS, names_delta, pick_names


def write_names(conn: Connection, new_states: pl.DataFrame, replaced: pl.DataFrame) -> None:
    """Add the batch's change of (code, name) pairs, in the caller's transaction."""
    delta = names_delta(new_states, replaced)
    # Sorted: one global order of row locks, like the buckets (no deadlock on PostgreSQL).
    upsert_frame(conn, s.dossier_names, delta.sort(list(KEYS)), keys=KEYS, add=COUNTERS)


def code_names(engine: Engine, province_code: str) -> dict[str, dict[str, str]]:
    """{'agency_code': {code: name}, 'procedure_code': {code: name}} as the stored dossiers
    carry them (imported agencies need not be in the simulator's catalogue)."""
    n = s.dossier_names
    q = select(n.c.kind, n.c.code, n.c.name).where(n.c.province_code == province_code,
                                                    n.c.dossiers > 0)
    with engine.connect() as conn:
        return pick_names((k, c, nm) for k, c, nm in conn.execute(q))
