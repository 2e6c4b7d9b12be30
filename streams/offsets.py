"""Consumer offsets kept in the database, in the same transaction as the state they produced.

Each advance is fenced: it succeeds only if the stored offset is still the one this instance
started the batch from. A zombie instance that lost its partition in a rebalance therefore
cannot commit a batch the new owner has already applied.
"""

from __future__ import annotations

from dataclasses import dataclass

from kafka import TopicPartition
from sqlalchemy import Connection, and_, insert, select, update

from ioc.db.schema import consumer_offsets as co


class Fenced(RuntimeError):
    """Another instance advanced this partition first; the batch must be rolled back."""


@dataclass(frozen=True)
class Stored:
    cluster_id: str
    next_offset: int


def load(conn: Connection, group: str, tps: list[TopicPartition]) -> dict[TopicPartition, Stored]:
    topics = sorted({tp.topic for tp in tps})
    rows = conn.execute(
        select(co.c.topic, co.c.partition, co.c.cluster_id, co.c.next_offset).where(
            co.c.consumer_group == group, co.c.topic.in_(topics))
    ).all()
    wanted = set(tps)
    found = {TopicPartition(r.topic, r.partition): Stored(r.cluster_id, r.next_offset)
             for r in rows}
    return {tp: s for tp, s in found.items() if tp in wanted}


def advance(conn: Connection, group: str, tp: TopicPartition, expected: Stored | None,
            new: Stored) -> None:
    key = and_(co.c.consumer_group == group, co.c.topic == tp.topic,
               co.c.partition == tp.partition)
    if expected is None:
        exists = conn.execute(select(co.c.next_offset).where(key)).first()
        if exists is not None:
            raise Fenced(f"{tp}: offset row appeared (another instance)")
        conn.execute(insert(co).values(consumer_group=group, topic=tp.topic,
                                       partition=tp.partition, cluster_id=new.cluster_id,
                                       next_offset=new.next_offset))
        return
    res = conn.execute(
        update(co).where(key, co.c.cluster_id == expected.cluster_id,
                         co.c.next_offset == expected.next_offset)
        .values(cluster_id=new.cluster_id, next_offset=new.next_offset))
    if res.rowcount != 1:
        raise Fenced(f"{tp}: stored offset is no longer {expected}")
