"""The pipelined loop (Aggregator.run/step): while a backlog is read, each batch's transaction
runs on the apply thread as the next batch is read ahead. If that transaction is fenced, the
read-ahead is dropped and every partition re-reads from its offset in the database: totals stay
exact."""

from __future__ import annotations

import threading

from sqlalchemy import delete, insert

from ioc.db.schema import consumer_offsets
from ioc.events.contracts import TOPIC_DLQ
from streams.aggregator import Aggregator, _Pending
from streams.chaos.workload import db_totals, expected_totals, random_events
from streams.topics import STREAM_TOPICS
from tests.helpers import lag, now_utc, produce_events


def _step_until_drained(agg: Aggregator, limit: int = 400) -> None:
    for _ in range(limit):
        agg.step(timeout_ms=300)
        if not agg.busy and lag(agg.engine, agg.bootstrap, agg.group, agg.cluster_id) == 0:
            return
    raise TimeoutError("aggregator did not drain")


def test_fenced_batch_in_flight_drops_its_read_ahead(broker, engine):
    events = random_events(3000, 800, 1500, seed=23, now=now_utc())
    produce_events(broker.bootstrap, events)
    agg = Aggregator(broker.bootstrap, engine, group="g-pipe", max_poll_records=300)
    entered, release = threading.Event(), threading.Event()
    transact = agg._transact

    def held(p: _Pending) -> BaseException | None:
        # The first transaction on the apply thread waits until the test has fenced it.
        if threading.current_thread().name.startswith("ioc-apply") and not entered.is_set():
            entered.set()
            assert release.wait(60)
        return transact(p)

    agg._transact = held  # type: ignore[method-assign,unused-ignore]
    try:
        while not agg.busy:
            agg.step(timeout_ms=300)
        assert entered.wait(30)
        # Another owner took every partition meanwhile (an offset row under another broker):
        # the batch in flight must roll back, and nothing read after it may be applied.
        with engine.begin() as conn:
            conn.execute(delete(consumer_offsets).where(
                consumer_offsets.c.consumer_group == "g-pipe"))
            conn.execute(insert(consumer_offsets), [
                {"consumer_group": "g-pipe", "topic": t, "partition": p,
                 "cluster_id": "another-broker", "next_offset": 0}
                for t in (*STREAM_TOPICS, TOPIC_DLQ) for p in range(8)])
        release.set()
        fenced_before = agg.stats.fenced
        agg.step(timeout_ms=300)  # reads ahead, then settles the fenced batch
        assert agg.stats.fenced == fenced_before + 1
        assert not agg.busy  # the read-ahead was not submitted
        _step_until_drained(agg)
    finally:
        release.set()
        agg.close()
    assert db_totals(engine) == expected_totals(events)


def test_pipelined_loop_equals_recomputation_with_small_batches(broker, engine):
    events = random_events(2500, 700, 1300, seed=29, now=now_utc())
    produce_events(broker.bootstrap, events)
    agg = Aggregator(broker.bootstrap, engine, group="g-pipe-small", max_poll_records=200)
    try:
        _step_until_drained(agg)
        assert agg.stats.batches > 5  # many batches went through the apply thread
    finally:
        agg.close()
    assert db_totals(engine) == expected_totals(events)
