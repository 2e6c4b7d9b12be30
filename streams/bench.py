"""`ioc bench`: the raw kafka-python consume rate (our client's ceiling) against the
aggregator's throughput (first poll → committed state), on the same topics, in one run."""

from __future__ import annotations

import multiprocessing
import os
import resource
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import Engine

from ioc.db.engine import make_engine
from ioc.db.migrate import upgrade
from ioc.settings import Settings
from streams.aggregator import Aggregator
from streams.broker import EmbeddedBroker
from streams.clients import make_producer
from streams.lag import end_offsets, group_lag
from streams.topics import STREAM_TOPICS, ensure_topics


def bench_events(n: int, seed: int = 1) -> list[tuple[str, bytes, bytes]]:
    """(topic, key, value) with the simulators' real stream mix (~85% dossier events), as the
    connector runtime would produce them (`connectors.encode`): redacted, social posts
    enriched, compact JSON."""
    from connectors.encode import EncodeMemo, encode_valid
    from connectors.simulators.dossier import DossierSimulator
    from connectors.simulators.feedback import FeedbackSimulator
    from connectors.simulators.social import SocialSimulator
    from ioc.events.contracts import CONTRACTS

    end = datetime.now(UTC)
    out: list[tuple[str, bytes, bytes]] = []
    memo = EncodeMemo()  # simulator texts repeat: redact and enrich each one once
    sims = [(CONTRACTS[k], cls(seed=seed, rate=4.0)) for k, cls in
            (("dossier", DossierSimulator), ("feedback", FeedbackSimulator),
             ("social", SocialSimulator))]
    t1 = end
    while len(out) < n:
        t0 = t1 - timedelta(days=1)
        for contract, sim in sims:
            for e in sim.events_between(t0, t1):
                topic, key, value, _, _ = encode_valid(contract, e, f"sim-{contract.stream}",
                                                       memo)
                out.append((topic, key, value))
        t1 = t0
    return out[:n]


def _generate_and_produce(bootstrap: str, events: int) -> tuple[float, float]:
    t_gen = time.perf_counter()
    data = bench_events(events)
    gen_s = time.perf_counter() - t_gen
    producer = make_producer(bootstrap, client_id="bench")
    t0 = time.perf_counter()
    for topic, key, value in data:
        producer.send(topic, key=key, value=value)
    producer.flush()
    produce_eps = len(data) / (time.perf_counter() - t0)
    producer.close()
    return gen_s, produce_eps


def _raw_consume(bootstrap: str, total: int) -> float:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                             enable_auto_commit=False, auto_offset_reset="earliest",
                             max_poll_records=20000, fetch_max_bytes=64 * 1024 * 1024,
                             max_partition_fetch_bytes=16 * 1024 * 1024)
    tps = [TopicPartition(t, p) for t in STREAM_TOPICS
           for p in sorted(consumer.partitions_for_topic(t) or [])]
    consumer.assign(tps)
    consumer.seek_to_beginning()
    n = 0
    t0 = time.perf_counter()
    while n < total:
        for recs in consumer.poll(timeout_ms=1000).values():
            n += len(recs)
    dt = time.perf_counter() - t0
    consumer.close()
    return n / dt


def drain(bootstrap: str, engine: Engine, group: str | None = None,
          peaks: dict[str, float] | None = None, cpu: dict[str, float] | None = None
          ) -> float:
    """Run a fresh aggregator group until its stored offsets reach the topics' ends; seconds
    from the first poll that returned records to the committed state with lag 0. `peaks`
    receives the transactor process's peak RSS (MB) and `cpu` its CPU seconds, each under
    "transactor"."""
    group = group or f"bench-{uuid.uuid4().hex[:8]}"
    agg = Aggregator(bootstrap, engine, group=group)
    ends = end_offsets(bootstrap, list(STREAM_TOPICS))
    t_first = None
    try:
        while True:
            t_poll = time.perf_counter()
            batch = agg.step(timeout_ms=1000)  # pipelined, as Aggregator.run
            if (batch.records or agg.busy) and t_first is None:
                t_first = t_poll
            if t_first is not None and sum(group_lag(engine, group, agg.cluster_id,
                                                     ends).values()) == 0:
                break
    finally:
        agg.close()
        if peaks is not None:
            peaks["transactor"] = getattr(agg.transactor, "peak_rss_mb", 0.0)
        if cpu is not None:
            cpu["transactor"] = getattr(agg.transactor, "cpu_s", 0.0)
    return time.perf_counter() - (t_first or time.perf_counter())


def cpu_per_event(events: int, before_raw: tuple[float, float],
                  after_raw: tuple[float, float], after_drain: tuple[float, float],
                  transactor_s: float, embedded: bool) -> dict[str, float]:
    """CPU µs per event from (this process, broker) CPU seconds taken before and after the raw
    consume and after the drain: the raw consumer, the broker serving it, the aggregator
    process (its consumer, decoding, offsets; and the bench's lag query per step), its
    transactor, the broker serving the aggregator. Broker figures only for the embedded one."""
    def us(seconds: float) -> float:
        return round(seconds / events * 1e6, 2)

    out = {"raw_consume": us(after_raw[0] - before_raw[0]),
           "aggregator": us(after_drain[0] - after_raw[0]),
           "transactor": us(transactor_s)}
    if embedded:
        out["broker_raw"] = us(after_raw[1] - before_raw[1])
        out["broker_drain"] = us(after_drain[1] - after_raw[1])
    return out


def cpu_bound_eps(per_event: dict[str, float], cores: int) -> int:
    """The events/s at which the aggregator, its transactor and the broker would keep every
    core busy (their CPU per event, perfectly overlapped): no pipeline of these processes on
    this machine drains faster."""
    total = sum(per_event.get(k, 0.0) for k in ("aggregator", "transactor", "broker_drain"))
    return round(cores * 1e6 / total) if total > 0 else 0


def run_bench(settings: Settings, events: int = 200000,
              database_url: str | None = None) -> dict[str, Any]:
    broker = None
    bootstrap = settings.kafka_bootstrap
    if not bootstrap:
        broker = EmbeddedBroker().start()
        bootstrap = broker.bootstrap
    db_url = database_url or f"sqlite:///{settings.var_dir / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        ensure_topics(bootstrap, settings.topic_partitions)
        # Generating and producing run in a child process so the peak RSS reported below is
        # the consume + aggregate side only.
        with multiprocessing.get_context("fork").Pool(1) as pool:
            gen_s, produce_eps = pool.apply(_generate_and_produce, (bootstrap, events))
        broker_rss = broker.rss_mb() if broker else None

        # CPU seconds per side (this process, the broker, the transactor): what one event
        # costs each, so the ceiling this machine's cores put on the ratio is on record.
        cpu0 = (time.process_time(), broker.cpu_s() if broker else 0.0)
        raw_eps = _raw_consume(bootstrap, events)
        cpu1 = (time.process_time(), broker.cpu_s() if broker else 0.0)

        peaks: dict[str, float] = {}
        cpu: dict[str, float] = {}
        agg_s = drain(bootstrap, engine, peaks=peaks, cpu=cpu)
        cpu2 = (time.process_time(), broker.cpu_s() if broker else 0.0)
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        per_event = cpu_per_event(events, cpu0, cpu1, cpu2, cpu.get("transactor", 0.0),
                                  broker is not None)
        return {
            "events": events,
            "raw_consume_eps": round(raw_eps),
            "aggregator_eps": round(events / agg_s),
            "ratio": round((events / agg_s) / raw_eps, 3),
            "peak_rss_mb": round(peak_rss, 1),
            # The aggregator's transaction runs in a process of its own (streams.transactor).
            "transactor_rss_mb": round(peaks.get("transactor", 0.0), 1),
            "broker_rss_mb": round(broker_rss, 1) if broker_rss else None,
            "produce_eps": round(produce_eps),
            "generate_s": round(gen_s, 1),
            "database": engine.dialect.name,
            "cpu_us_per_event": per_event,
            "cores": os.cpu_count(),
            "cpu_bound_eps": cpu_bound_eps(per_event, os.cpu_count() or 1),
        }
    finally:
        engine.dispose()
        if broker:
            broker.stop()
