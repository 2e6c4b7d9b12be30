"""The short version of `ioc chaos` (the long one is a command): a real `ioc up` fed a workload
with known answers while the aggregator is killed twice and the broker once with records it
held unconsumed; every total must equal the recomputation, nothing lost or counted twice.

One chunk per round (`ioc chaos` uses two): each `ioc ingest` is a process start, and halving
them halves the test; every kill still falls mid-round, between two streams' ingests."""

from __future__ import annotations

from streams.chaos.harness import run_chaos


def test_kills_of_the_aggregator_and_broker_lose_and_double_count_nothing(db_url: str) -> None:
    url = None if db_url.startswith("sqlite") else db_url  # SQLite: the run's own file
    report = run_chaos(aggregator_kills=2, broker_kills=1, events=600, seed=11,
                       database_url=url, chunks_per_round=1).as_dict()
    assert report["error"] is None, report["error"]
    assert (report["aggregator_kills"], report["broker_kills"]) == (2, 1)
    assert report["lost_or_extra"] == {}
    assert report["actual"] == report["expected"]
    assert report["expected"]["dossier.received"] > 0
