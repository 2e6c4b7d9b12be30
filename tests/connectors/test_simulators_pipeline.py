"""Events from each simulator reach KPI rows through the real broker and database, and the
connector resumes from its checkpoint without repeating or skipping an event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.registry import CONNECTORS
from connectors.runtime import ConnectorRuntime, run_until_idle
from connectors.simulators import DossierSimulator, FeedbackSimulator, SocialSimulator
from connectors.simulators.source import SimulatorSource
from ioc.events.contracts import CONTRACTS
from ioc.kpis.values import compute_kpis
from ioc.settings import Settings
from streams.chaos.workload import db_totals, expected_totals
from streams.clients import make_producer
from tests.helpers import aggregate_all, read_topic

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # a Friday afternoon, office hours in VN


def _source(stream: str, cls, days: float, clock) -> SimulatorSource:
    return SimulatorSource(f"sim-{stream}", CONTRACTS[stream], cls(seed=5), backfill_days=days,
                           clock=clock)


def test_registry_names_the_three_simulators():
    settings = Settings()
    assert {n: type(CONNECTORS[n](settings).simulator).__name__ for n in CONNECTORS} == {
        "sim-dossier": "DossierSimulator", "sim-feedback": "FeedbackSimulator",
        "sim-social": "SocialSimulator"}


def test_each_simulator_reaches_kpis_and_resumes_exactly(broker, engine):
    producer = make_producer(broker.bootstrap)
    clock_at = {"t": NOW - timedelta(hours=12)}
    sources = [_source("dossier", DossierSimulator, 2, lambda: clock_at["t"]),
               _source("feedback", FeedbackSimulator, 2, lambda: clock_at["t"]),
               _source("social", SocialSimulator, 2, lambda: clock_at["t"])]
    for src in sources:
        run_until_idle(ConnectorRuntime(src, producer, engine))
    # A "restart" 12 hours later: new runtimes resume from the checkpointed cursors.
    clock_at["t"] = NOW
    for src in sources:
        run_until_idle(ConnectorRuntime(src, producer, engine))
    producer.close()

    aggregate_all(broker.bootstrap, engine, "g-sim")

    start = NOW - timedelta(hours=12) - timedelta(days=2)
    start = start.replace(minute=0, second=0, microsecond=0)
    raw = [e for src in sources for e in src.simulator.events_between(start, NOW)]
    n_topic = sum(len(read_topic(broker.bootstrap, CONTRACTS[s].topic, expect=1))
                  for s in ("dossier",))
    assert n_topic > 0
    assert db_totals(engine) == expected_totals(raw)  # nothing repeated, nothing skipped

    kpis = {(v.kpi, tuple(v.by.items())): v for v in
            compute_kpis(engine, "province:25", "7d", now=NOW)}
    assert kpis[("dossier.received", ())].value > 1000
    assert 0.6 < kpis[("dossier.online_rate", ())].value < 0.95
    assert kpis[("feedback.received", ())].value > 50
    assert kpis[("social.posts", ())].value > 200
    assert 0.05 < kpis[("social.negative_share", ())].value < 0.6
    assert any(k[0] == "feedback.received" and k[1] for k in kpis)  # per-channel rows
