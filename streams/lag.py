"""Consumer lag against the offsets stored in the database (the aggregator's truth)."""

from __future__ import annotations

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import Engine

from streams import offsets


def end_offsets(bootstrap: str, topics: list[str]) -> dict[TopicPartition, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="ioc-lag",
                             enable_auto_commit=False)
    try:
        tps = [TopicPartition(t, p) for t in topics
               for p in sorted(consumer.partitions_for_topic(t) or [])]
        return dict(consumer.end_offsets(tps)) if tps else {}
    finally:
        consumer.close()


def group_lag(engine: Engine, group: str, cluster_id: str,
              ends: dict[TopicPartition, int]) -> dict[TopicPartition, int]:
    with engine.connect() as conn:
        stored = offsets.load(conn, group, list(ends))
    lag = {}
    for tp, end in ends.items():
        st = stored.get(tp)
        done = st.next_offset if st and st.cluster_id == cluster_id else 0
        lag[tp] = max(0, end - done)
    return lag
