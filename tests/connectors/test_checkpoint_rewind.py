"""Checkpoint history and the rewind after a lost broker, on the database alone: the history
and the aggregator's stored offsets decide which checkpoint a connector replays from."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select

from ioc.db.checkpoints import history, load_cursor, rewind, rewind_all, save_cursor
from ioc.db.schema import connector_checkpoint_history, consumer_offsets

GROUP = "ioc-aggregator"
T = "ioc.dossier.v1"


def _aggregated(engine: Engine, cluster: str, next_offsets: dict[int, int]) -> None:
    with engine.begin() as conn:
        for partition, off in next_offsets.items():
            conn.execute(insert(consumer_offsets).values(
                consumer_group=GROUP, topic=T, partition=partition, cluster_id=cluster,
                next_offset=off))


def _three_batches(engine: Engine, name: str = "file:a") -> None:
    # Batches of 10 records over two partitions, on broker "A".
    save_cursor(engine, name, "10", prev_cursor=None, cluster_id="A",
                offsets={T: {0: 4, 1: 4}})
    save_cursor(engine, name, "20", prev_cursor="10", cluster_id="A",
                offsets={T: {0: 9, 1: 9}})
    save_cursor(engine, name, "30", prev_cursor="20", cluster_id="A",
                offsets={T: {0: 14, 1: 14}})


def test_rewinds_to_the_newest_checkpoint_the_aggregator_committed(engine: Engine):
    _three_batches(engine)
    # The aggregator committed partition 0 up to offset 11 and partition 1 up to 9: batch 2
    # (offsets ≤ 9 on both) is in, batch 3 (offset 14) is not.
    _aggregated(engine, "A", {0: 12, 1: 10})
    rw = rewind(engine, "file:a", GROUP, "B")
    assert rw is not None and (rw.from_cursor, rw.to_cursor) == ("30", "20")
    assert load_cursor(engine, "file:a") == "20"
    # Once rewound on broker B the history says so: a second rewind there does nothing.
    assert [(h.cursor, h.cluster_id) for h in history(engine, "file:a")] == [("20", "B")]
    assert rewind(engine, "file:a", GROUP, "B") is None
    assert load_cursor(engine, "file:a") == "20"


def test_nothing_committed_rewinds_to_where_the_oldest_batch_started(engine: Engine):
    _three_batches(engine)
    rw = rewind(engine, "file:a", GROUP, "B")
    assert rw is not None and rw.to_cursor is None
    assert load_cursor(engine, "file:a") is None  # the source's beginning


def test_offsets_of_another_broker_commit_nothing(engine: Engine):
    _three_batches(engine)
    _aggregated(engine, "OTHER", {0: 1000, 1: 1000})  # far past, but on another cluster
    assert rewind(engine, "file:a", GROUP, "B").to_cursor is None


def test_same_broker_is_no_rewind_and_committed_history_is_pruned(engine: Engine):
    _aggregated(engine, "A", {0: 10, 1: 10})
    _three_batches(engine)
    # Batch 2 was committed when batch 3 was saved: batch 1's row went.
    assert [h.cursor for h in history(engine, "file:a")] == ["20", "30"]
    assert rewind(engine, "file:a", GROUP, "A") is None
    assert load_cursor(engine, "file:a") == "30"


def test_rewind_all_moves_only_connectors_of_the_old_broker(engine: Engine):
    _three_batches(engine, "file:a")
    save_cursor(engine, "sim", "t1", prev_cursor="t0", cluster_id="B", offsets={T: {0: 0}})
    save_cursor(engine, "legacy", "7")  # saved without offsets or cluster: nothing to judge
    _aggregated(engine, "A", {0: 5, 1: 5})
    moved = rewind_all(engine, GROUP, "B")
    assert [(r.connector, r.from_cursor, r.to_cursor) for r in moved] == [("file:a", "30", "10")]
    assert load_cursor(engine, "sim") == "t1" and load_cursor(engine, "legacy") == "7"
    with engine.connect() as conn:
        names = set(conn.execute(select(connector_checkpoint_history.c.connector)).scalars())
    assert names == {"file:a", "sim", "legacy"}
