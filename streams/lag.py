"""Consumer lag against the offsets stored in the database (the aggregator's truth)."""

from __future__ import annotations

import time

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import Engine

from streams import offsets


def end_offsets(bootstrap: str, topics: list[str], timeout: float = 10.0,
                ) -> dict[TopicPartition, int]:
    """Log end offsets, confirmed by a fetch.

    The embedded broker answers ListOffsets(latest) with the last *batch's* base offset + 1,
    short of the true end when that batch holds several records. The high watermark in a fetch
    response is right, so fetch from just before the listed end and take the larger value.
    """
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="ioc-lag",
                             enable_auto_commit=False, group_id=None)
    try:
        tps = [TopicPartition(t, p) for t in topics
               for p in sorted(consumer.partitions_for_topic(t) or [])]
        if not tps:
            return {}
        ends = dict(consumer.end_offsets(tps))
        pending = [tp for tp in tps if ends[tp] > 0]
        if pending:
            consumer.assign(pending)
            for tp in pending:
                consumer.seek(tp, ends[tp] - 1)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and any(
                    consumer.highwater(tp) is None for tp in pending):
                consumer.poll(timeout_ms=200, max_records=1)
            for tp in pending:
                hw = consumer.highwater(tp)
                if hw is None:
                    raise TimeoutError(f"no high watermark for {tp} within {timeout}s")
                ends[tp] = max(ends[tp], hw)
        return ends
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
