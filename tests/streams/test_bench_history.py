"""The history benchmark, short: a few days at a small fraction of a province's volume through
the real broker, aggregator and database. It checks the JSON's shape and that the replayed
state equals a brute-force recomputation from the same events — never a speed."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace

from connectors.base import record_from_event
from connectors.runtime import ConnectorRuntime
from ioc.kpis.values import dossier_kpis
from ioc.kpis.windows import Period
from ioc.settings import load_settings
from ioc.ui import batch_cache
from streams.bench_history import (
    PackedChunk,
    RuntimeEncoder,
    history_days,
    history_events,
    percentiles,
    run_history_bench,
)
from streams.chaos.workload import db_totals, expected_totals

END = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_history_bench_shape_and_replayed_totals(engine, db_url, tmp_path):
    # Its own embedded broker, one day per chunk: two chunks, the smallest history that
    # crosses a restart of the broker (empty), each chunk from its own producer process. One
    # timing run: every run is a fresh interpreter, and the figures are not what is tested.
    settings = replace(load_settings(), kafka_bootstrap=None, var_dir=tmp_path)
    result = run_history_bench(settings, days=2, province="25", database_url=db_url, rate=0.05,
                               runs=1, end=END, chunk_days=1,
                               viewers=(batch_cache.overview_data, batch_cache.clear))
    json.dumps(result)  # one JSON object
    events = [e for _, _, e in history_events(2, "25", END, rate=0.05)]
    assert result["events"] == len(events) > 100
    assert result["chunks"] == 2 and result["broker_restarts"] == 1
    assert result["producers"] == 2  # chunk 0 from one process, chunk 1 from the other
    assert result["replay_with_produce_eps"] > 0 and result["peak_rss_mb"]["broker"] > 0
    assert result["database"] == engine.dialect.name
    assert result["replay_eps"] > 0 and result["db_size_mb"] > 0
    assert set(result["peak_rss_mb"]) >= {"aggregator", "bench", "producer", "transactor"}
    assert all(result["peak_rss_mb"][p] > 0 for p in ("aggregator", "bench", "producer",
                                                      "transactor"))
    pages = result["pages"]
    for page in ("overview", "dossiers.30d", "dossiers.ytd", "dossiers.custom",
                 "dossiers.overdue", "dossiers.drilldown", "alerts", "thresholds",
                 "feedback.30d", "feedback.ytd", "feedback.custom", "social.24h",
                 "social.month"):
        for kind in ("cold", "warm"):
            p = pages[page][kind]
            assert 0 < p["p50_ms"] <= p["p95_ms"], (page, kind, p)

    screens = result["overview_viewers"]
    assert screens["one"]["viewers"] == 1 and screens["ten"]["viewers"] == 10
    assert screens["one"]["db_statements"] > 0 and screens["ten"]["db_statements"] > 0

    expected = expected_totals(events)
    assert db_totals(engine) == expected
    # The page read path over the whole history gives the same counts.
    everything = Period(datetime(2000, 1, 1), datetime(2030, 1, 1), "custom")
    kpis = {k.kpi: k.value for k in dossier_kpis(engine, "province:25", everything, END,
                                                 with_previous=False)}
    assert kpis["dossier.received"] == expected["dossier.received"]
    assert kpis["dossier.completed"] == expected["dossier.completed"]


def test_producer_sends_what_the_connector_runtime_sends():
    """Redacted, social posts enriched, the same bytes and header as ConnectorRuntime, with the
    producer's memos warm (simulator texts repeat)."""
    encoder = RuntimeEncoder()
    pairs = [pair for day in history_days(1, "25", END, rate=0.05) for pair in day] * 2
    assert {c.stream for c, _ in pairs} == {"dossier", "feedback", "social"}
    for contract, event in pairs:
        source = SimpleNamespace(connector_id=f"sim-{contract.stream}", contract=contract)
        runtime = ConnectorRuntime(source, None, None,  # type: ignore[arg-type]
                                   heartbeat_expiry_seconds=1)  # _route uses neither
        topic, key, value, headers, _ = runtime._route(record_from_event(event))
        assert encoder.record(contract, event) == (topic, key, value, headers)
    assert any(b"enrichment" in encoder.record(c, e)[2] for c, e in pairs)
    assert encoder.redacted and encoder.enriched


def test_packed_chunk_gives_back_the_records_in_order():
    """What a producer holds between building and sending a chunk (compressed day blocks)
    gives back exactly the records, in order, with their topics and headers."""
    encoder = RuntimeEncoder()
    days = [[encoder.record(c, e) for c, e in day]
            for day in history_days(2, "25", END, rate=0.05)]
    days.append([])  # a day without events adds no block
    chunk = PackedChunk()
    for day in days:
        chunk.add(iter(day))  # one pass, as the producer's generator gives them
    records = [r for day in days for r in day]
    assert len(records) > 100 and chunk.events == len(records)
    assert len(chunk.blocks) == 2 and len(chunk.routes) == 3  # one route per stream
    assert list(chunk) == records
    assert sum(len(v) for _, _, v, _ in records) > 3 * chunk.nbytes  # held compressed


def test_percentiles_nearest_rank():
    assert percentiles([5.0]) == {"p50_ms": 5.0, "p95_ms": 5.0}
    assert percentiles([1.0, 2.0, 3.0, 100.0]) == {"p50_ms": 2.5, "p95_ms": 100.0}
    twenty = [float(i) for i in range(1, 21)]
    assert percentiles(twenty)["p95_ms"] == 19.0
