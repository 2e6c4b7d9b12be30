"""`ioc bench --events N`, short: a few thousand events through a real embedded broker, the raw
consumer and the aggregator (with its transactor process) into the test database. Checks the
JSON's shape, that every event's offset was committed and that the CPU figures are the
arithmetic of what was measured — never a speed."""

from __future__ import annotations

import json
from dataclasses import replace

from sqlalchemy import Engine, func, select

from ioc.db import schema as s
from ioc.settings import load_settings
from streams.bench import cpu_bound_eps, cpu_per_event, run_bench

EVENTS = 3000


def test_bench_shape_committed_offsets_and_cpu_figures(engine: Engine, db_url, tmp_path
                                                       ) -> None:
    settings = replace(load_settings(), kafka_bootstrap=None, var_dir=tmp_path)
    result = run_bench(settings, events=EVENTS, database_url=db_url)
    json.dumps(result)  # one JSON object
    assert result["events"] == EVENTS and result["database"] == engine.dialect.name
    assert result["raw_consume_eps"] > 0 and result["aggregator_eps"] > 0
    assert abs(result["ratio"] - result["aggregator_eps"] / result["raw_consume_eps"]) < 0.01
    o = s.consumer_offsets
    with engine.connect() as conn:  # the drained group committed every event's offset
        committed = conn.execute(select(func.sum(o.c.next_offset))
                                 .where(o.c.consumer_group.like("bench-%"))).scalar()
    assert committed == EVENTS
    cpu = result["cpu_us_per_event"]
    assert set(cpu) == {"raw_consume", "aggregator", "transactor", "broker_raw",
                        "broker_drain"}
    # Each side did work: the transactor process applied every batch, not this process.
    # The broker's figures come in clock ticks (10 ms, /proc): a few thousand events may
    # cost it less than one, so they are only checked for presence.
    assert all(cpu[k] > 0 for k in ("raw_consume", "aggregator", "transactor")), cpu
    assert cpu["broker_raw"] >= 0 and cpu["broker_drain"] >= 0, cpu
    assert result["cpu_bound_eps"] == cpu_bound_eps(cpu, result["cores"]) > 0
    assert result["transactor_rss_mb"] > 0


def test_cpu_per_event_and_the_bound_they_put_on_throughput() -> None:
    cpu = cpu_per_event(1000, (1.0, 10.0), (1.02, 10.005), (1.05, 10.015), 0.04, True)
    assert cpu == {"raw_consume": 20.0, "aggregator": 30.0, "transactor": 40.0,
                   "broker_raw": 5.0, "broker_drain": 10.0}
    # 2 cores, 80 µs of CPU per event across aggregator + transactor + broker.
    assert cpu_bound_eps(cpu, 2) == 25000
    assert "broker_raw" not in cpu_per_event(1000, (0, 0), (1, 0), (2, 0), 1.0, False)
    assert cpu_bound_eps({}, 2) == 0
