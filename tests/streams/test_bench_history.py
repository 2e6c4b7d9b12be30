"""The history benchmark, short: a few days at a small fraction of a province's volume through
the real broker, aggregator and database. It checks the JSON's shape and that the replayed
state equals a brute-force recomputation from the same events — never a speed."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from ioc.kpis.values import dossier_kpis
from ioc.kpis.windows import Period
from ioc.settings import load_settings
from ioc.ui import batch_cache
from streams.bench_history import history_events, percentiles, run_history_bench
from streams.chaos.workload import db_totals, expected_totals

END = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_history_bench_shape_and_replayed_totals(broker, engine, db_url, tmp_path):
    settings = replace(load_settings(), kafka_bootstrap=broker.bootstrap, var_dir=tmp_path)
    result = run_history_bench(settings, days=3, province="25", database_url=db_url, rate=0.05,
                               runs=2, end=END,
                               viewers=(batch_cache.overview_data, batch_cache.clear))
    json.dumps(result)  # one JSON object
    events = [e for _, _, e in history_events(3, "25", END, rate=0.05)]
    assert result["events"] == len(events) > 100
    assert result["database"] == engine.dialect.name
    assert result["replay_eps"] > 0 and result["db_size_mb"] > 0
    assert set(result["peak_rss_mb"]) >= {"aggregator", "bench", "producer"}
    assert all(result["peak_rss_mb"][p] > 0 for p in ("aggregator", "bench", "producer"))
    pages = result["pages"]
    for page in ("overview", "dossiers.30d", "dossiers.ytd", "dossiers.custom",
                 "dossiers.overdue", "dossiers.drilldown", "alerts", "thresholds"):
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


def test_percentiles_nearest_rank():
    assert percentiles([5.0]) == {"p50_ms": 5.0, "p95_ms": 5.0}
    assert percentiles([1.0, 2.0, 3.0, 100.0]) == {"p50_ms": 2.5, "p95_ms": 100.0}
    twenty = [float(i) for i in range(1, 21)]
    assert percentiles(twenty)["p95_ms"] == 19.0
