"""Connector cursors, stored in the database so a restarted connector resumes exactly.

Each checkpoint also goes into a short history with the broker offsets its records got and
the broker's cluster id. The embedded broker keeps records in memory only: when it is lost
(restarted under a new cluster id), records it had acknowledged but the aggregator had not yet
committed are gone, so the connector rewinds to the newest checkpoint whose records the
aggregator had committed (its offsets in `consumer_offsets` for that cluster are past them) and
replays from there. Replays never double-count: events are idempotent by seq / post_id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, delete, insert, select

from ioc.db.schema import connector_checkpoint_history as hist
from ioc.db.schema import connector_checkpoints as cp
from ioc.db.schema import consumer_offsets as co
from ioc.db.upsert import upsert

# topic -> partition -> the last offset one batch's records got on it
BatchOffsets = Mapping[str, Mapping[int, int]]


@dataclass(frozen=True)
class HistoryRow:
    id: int
    prev_cursor: str | None
    cursor: str | None  # None only for a rewind to the source's beginning
    cluster_id: str | None
    offsets: dict[str, dict[int, int]]


@dataclass(frozen=True)
class Rewind:
    connector: str
    from_cursor: str | None
    to_cursor: str | None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def load_cursor(engine: Engine, connector: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(cp.c.cursor).where(cp.c.connector == connector)).scalar()


def _set_cursor(conn: Connection, connector: str, cursor: str | None) -> None:
    if cursor is None:  # back to the source's beginning: no checkpoint row at all
        conn.execute(delete(cp).where(cp.c.connector == connector))
        return
    upsert(conn, cp, [{"connector": connector, "cursor": cursor, "updated_at": _now()}],
           keys=("connector",), replace=("cursor", "updated_at"))


def _history(conn: Connection, connector: str) -> list[HistoryRow]:
    rows = conn.execute(select(hist).where(hist.c.connector == connector)
                        .order_by(hist.c.id)).all()
    return [HistoryRow(r.id, r.prev_cursor, r.cursor, r.cluster_id,
                       {t: {int(p): int(o) for p, o in parts.items()}
                        for t, parts in json.loads(r.offsets).items()}) for r in rows]


def _stored(conn: Connection, group: str) -> dict[tuple[str, int], tuple[str, int]]:
    rows = conn.execute(select(co.c.topic, co.c.partition, co.c.cluster_id, co.c.next_offset)
                        .where(co.c.consumer_group == group)).all()
    return {(r.topic, r.partition): (r.cluster_id, r.next_offset) for r in rows}


def committed(row: HistoryRow, stored: Mapping[tuple[str, int], tuple[str, int]]) -> bool:
    """Every record of the checkpoint's batch is in the aggregator's committed state: its
    stored offset on that broker (same cluster id) is past the batch's last offset."""
    for topic, parts in row.offsets.items():
        for partition, last in parts.items():
            st = stored.get((topic, partition))
            if st is None or st[0] != row.cluster_id or st[1] <= last:
                return False
    return True


def rewind_target(rows: Sequence[HistoryRow],
                  stored: Mapping[tuple[str, int], tuple[str, int]]) -> str | None:
    """The cursor to replay from: the newest committed checkpoint's, else where the oldest
    kept batch started (history is pruned only below a committed checkpoint)."""
    for row in reversed(rows):
        if committed(row, stored):
            return row.cursor
    return rows[0].prev_cursor if rows else None


def _prune(conn: Connection, connector: str, rows: Sequence[HistoryRow],
           stored: Mapping[tuple[str, int], tuple[str, int]]) -> None:
    # Keep the newest committed checkpoint and everything after it: older ones are never
    # the rewind target again.
    newest = next((r.id for r in reversed(rows) if committed(r, stored)), None)
    if newest is not None:
        conn.execute(delete(hist).where(hist.c.connector == connector, hist.c.id < newest))


def save_cursor(engine: Engine, connector: str, cursor: str, *, prev_cursor: str | None = None,
                cluster_id: str | None = None, offsets: BatchOffsets | None = None,
                group: str = "ioc-aggregator") -> None:
    """The cursor after a batch the broker acknowledged, with the offsets its records got."""
    with engine.begin() as conn:
        _set_cursor(conn, connector, cursor)
        conn.execute(insert(hist).values(
            connector=connector, prev_cursor=prev_cursor, cursor=cursor, cluster_id=cluster_id,
            offsets=_offsets_json(offsets or {}), saved_at=_now()))
        _prune(conn, connector, _history(conn, connector), _stored(conn, group))


def _offsets_json(offsets: BatchOffsets) -> str:
    return json.dumps({t: {str(p): o for p, o in parts.items()} for t, parts in offsets.items()},
                      sort_keys=True)


def last_cluster(engine: Engine, connector: str) -> str | None:
    """The cluster id of the connector's newest checkpoint (None: none known)."""
    with engine.connect() as conn:
        return conn.execute(select(hist.c.cluster_id).where(hist.c.connector == connector)
                            .order_by(hist.c.id.desc()).limit(1)).scalar()


def _rewind(conn: Connection, connector: str, group: str, cluster_id: str) -> Rewind | None:
    rows = _history(conn, connector)
    if not rows or rows[-1].cluster_id in (None, cluster_id):
        return None  # no history, or already on this broker
    before = conn.execute(select(cp.c.cursor).where(cp.c.connector == connector)).scalar()
    target = rewind_target(rows, _stored(conn, group))
    _set_cursor(conn, connector, target)
    # The rewind itself is a checkpoint on the new broker with no records: committed at once,
    # so older rows go and a second rewind on this broker does nothing.
    conn.execute(delete(hist).where(hist.c.connector == connector))
    conn.execute(insert(hist).values(connector=connector, prev_cursor=target,
                                     cursor=target,
                                     cluster_id=cluster_id, offsets="{}", saved_at=_now()))
    return Rewind(connector, before, target)


def rewind(engine: Engine, connector: str, group: str, cluster_id: str) -> Rewind | None:
    """After a broker change: rewind one connector to its newest committed checkpoint."""
    with engine.begin() as conn:
        return _rewind(conn, connector, group, cluster_id)


def rewind_all(engine: Engine, group: str, cluster_id: str) -> list[Rewind]:
    """Rewind every connector whose newest checkpoint was on another broker. Call it while
    the aggregator is stopped, before it stores offsets for the new broker."""
    with engine.begin() as conn:
        names = conn.execute(select(hist.c.connector).distinct()).scalars().all()
        out = [_rewind(conn, name, group, cluster_id) for name in sorted(names)]
    return [r for r in out if r is not None]


def history(engine: Engine, connector: str) -> list[HistoryRow]:
    with engine.connect() as conn:
        return _history(conn, connector)


__all__ = ["BatchOffsets", "HistoryRow", "Rewind", "committed", "history", "last_cluster",
           "load_cursor", "rewind", "rewind_all", "rewind_target", "save_cursor"]
