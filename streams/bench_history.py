"""`ioc bench --history-days N`: N days of a province's simulated history replayed through the
real broker and aggregator, then every page's data queries timed cold and warm.

Each step runs in its own spawned interpreter, so each one's peak RSS is its own and no
process is forked from one holding Kafka or database threads: the producer (simulators →
broker), the aggregator (broker → database, the replay rate) and the query processes (a fresh
one per cold run: no engine, pool, page cache or Python cache of an earlier run; one more for
the warm runs).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from ioc.db.engine import make_engine
from ioc.db.migrate import upgrade
from ioc.reference.calendar import TZ
from ioc.settings import Settings
from streams.bench import drain
from streams.broker import EmbeddedBroker
from streams.clients import make_producer
from streams.topics import ensure_topics

DAY_CHUNK = timedelta(days=1)


def history_events(days: int, province: str, end: datetime, rate: float = 1.0,
                   seed: int = 20250701) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(topic, key, event) of the three simulators over [end − days, end), one day at a time
    so memory stays bounded whatever the history's length."""
    from connectors.simulators.dossier import DossierSimulator
    from connectors.simulators.feedback import FeedbackSimulator
    from connectors.simulators.social import SocialSimulator
    from ioc.events.contracts import CONTRACTS

    sims = [(CONTRACTS[k], cls(province_code=province, seed=seed, rate=rate)) for k, cls in
            (("dossier", DossierSimulator), ("feedback", FeedbackSimulator),
             ("social", SocialSimulator))]
    t0 = end - timedelta(days=days)
    while t0 < end:
        t1 = min(t0 + DAY_CHUNK, end)
        for contract, sim in sims:
            for e in sim.events_between(t0, t1):
                yield contract.topic, str(e[contract.key_field]), e
        t0 = t1


def _produce(bootstrap: str, days: int, province: str, end: datetime, rate: float
             ) -> dict[str, float]:
    producer = make_producer(bootstrap, client_id="bench-history")
    n = 0
    t0 = time.perf_counter()
    for topic, key, event in history_events(days, province, end, rate):
        producer.send(topic, key=key.encode(),
                      value=json.dumps(event, ensure_ascii=False).encode())
        n += 1
    producer.flush()
    producer.close()
    return {"events": n, "produce_s": time.perf_counter() - t0, "rss_mb": _peak_rss_mb()}


def _replay(bootstrap: str, url: str) -> dict[str, float]:
    engine = make_engine(url)
    try:
        seconds = drain(bootstrap, engine)
    finally:
        engine.dispose()
    return {"replay_s": seconds, "rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- the pages' data queries

@dataclass(frozen=True)
class Query:
    page: str
    name: str
    run: Callable[[Engine, datetime], object]


def page_queries(province: str, end: datetime, commune: str = "", agency: str = ""
                 ) -> list[Query]:
    """What each page asks the database when it draws (its loaders' calls), without
    Streamlit: Overview at its default window, Dossiers at every window (a custom range of the
    last 60 local days), the overdue list, the drill-down to a commune's agency, Alerts, and
    the Thresholds backtest of a 30-day rule over 30 days."""
    from ioc.alerts import store as alert_store
    from ioc.alerts.backtest import backtest
    from ioc.alerts.rule_store import list_stored
    from ioc.alerts.rules import parse_rule
    from ioc.dossiers import queries as dq
    from ioc.kpis.freshness import freshness
    from ioc.kpis.targets import load_targets
    from ioc.kpis.values import commune_values, compute_kpis, dossier_kpis, hourly_series
    from ioc.kpis.windows import WINDOW_NAMES, resolve

    scope = f"province:{province}"
    local_end = end.astimezone(TZ).date()
    first, last = local_end - timedelta(days=60), local_end - timedelta(days=1)

    def period(window: str):  # noqa: ANN202
        return resolve(window, end, first if window == "custom" else None,
                       last if window == "custom" else None)

    out = [
        Query("overview", "freshness", lambda e, now: freshness(e, now=now)),
        Query("overview", "kpis_24h",
              lambda e, now: compute_kpis(e, scope, "24h", now, with_previous=False)),
        Query("overview", "trend_48h", lambda e, now: hourly_series(e, scope, 48, now)),
        Query("overview", "map_24h",
              lambda e, now: commune_values(e, province, "dossier.received", "24h", now)),
    ]
    for w in WINDOW_NAMES:
        page = f"dossiers.{w}"

        def kpis(e: Engine, now: datetime, w: str = w) -> object:
            return dossier_kpis(e, scope, period(w), now, load_targets(e))

        out += [
            Query(page, "kpis", kpis),
            Query(page, "rank_communes",
                  lambda e, now, w=w: dq.rankings(e, scope, period(w), "ward_code", now)),
            Query(page, "rank_agencies",
                  lambda e, now, w=w: dq.rankings(e, scope, period(w), "agency_code", now)),
            Query(page, "breakdown_sector",
                  lambda e, now, w=w: dq.breakdown(e, scope, period(w), "sector", now)),
            Query(page, "daily_trend", lambda e, now, w=w: dq.daily_trend(e, scope, period(w))),
            Query(page, "options_commune",
                  lambda e, now, w=w: dq.scope_options(e, scope, period(w), "ward_code")),
        ]
    out.append(Query("dossiers.overdue", "deadline_list",
                     lambda e, now: dq.deadline_list(e, scope, now)))
    drill = f"{scope},commune:{commune},agency:{agency}" if commune and agency else scope
    out += [
        Query("dossiers.drilldown", "kpis",
              lambda e, now: dossier_kpis(e, drill, period("30d"), now, load_targets(e))),
        Query("dossiers.drilldown", "list",
              lambda e, now: dq.dossier_list(e, drill, period("30d"), now)),
        Query("dossiers.drilldown", "names", lambda e, now: dq.code_names(e, province)),
        Query("alerts", "open", lambda e, now: alert_store.list_alerts(e, open_only=True)),
        Query("alerts", "history", lambda e, now: alert_store.history(e, limit=1000)),
        Query("alerts", "rules", lambda e, now: list_stored(e)),
    ]
    rule = parse_rule({"rule_id": "bench-on-time", "name": "bench", "kpi":
                       "dossier.on_time_rate", "scope": scope, "window": "30d",
                       "comparator": "<", "threshold": 0.9})
    out.append(Query("thresholds", "backtest_30d_rule",
                     lambda e, now: backtest(e, rule, now, days=30)))
    return out


def _drill_target(engine: Engine, province: str) -> tuple[str, str]:
    """The busiest commune and its busiest agency (the drill-down a leader would take)."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT ward_code, agency_code FROM dossiers WHERE province_code = :p "
            "AND ward_code <> '' GROUP BY ward_code, agency_code ORDER BY count(*) DESC "
            "LIMIT 1"), {"p": province}).first()
    return (row[0], row[1]) if row else ("", "")


def time_pages(url: str, province: str, end_iso: str, runs: int, warm: bool
               ) -> dict[str, Any]:
    """One timing process: each page's queries in order, `runs` times (warm: after one
    untimed pass; cold: the caller starts one such process per run with runs=1)."""
    end = datetime.fromisoformat(end_iso)
    engine = make_engine(url)
    try:
        commune, agency = _drill_target(engine, province)
        queries = page_queries(province, end, commune, agency)
        if warm:
            for q in queries:
                q.run(engine, end)
        times: dict[str, list[float]] = {}
        for _ in range(runs):
            for q in queries:
                t0 = time.perf_counter()
                q.run(engine, end)
                times.setdefault(f"{q.page}/{q.name}", []).append(
                    (time.perf_counter() - t0) * 1000)
    finally:
        engine.dispose()
    return {"times": times, "rss_mb": _peak_rss_mb()}


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50 and p95 (nearest rank: with few runs p95 is the slowest run)."""
    s = sorted(samples)
    p95 = s[min(len(s) - 1, max(0, -(-95 * len(s) // 100) - 1))]
    return {"p50_ms": round(statistics.median(s), 1), "p95_ms": round(p95, 1)}


def summarise(runs: list[dict[str, list[float]]]) -> tuple[dict, dict]:
    """Per query and per page (the sum of its queries within one run) p50/p95 over runs."""
    merged: dict[str, list[float]] = {}
    for r in runs:
        for k, v in r.items():
            merged.setdefault(k, []).extend(v)
    queries = {k: percentiles(v) for k, v in sorted(merged.items())}
    n = min(len(v) for v in merged.values())
    page_totals: dict[str, list[float]] = {}
    for k, v in merged.items():
        page = k.split("/", 1)[0]
        tot = page_totals.setdefault(page, [0.0] * n)
        for i in range(n):
            tot[i] += v[i]
    return {p: percentiles(v) for p, v in page_totals.items()}, queries


def measure_viewers(url: str, province: str, load: Callable[[str, str], None],
                    clear: Callable[[], None], viewers: int, refreshes: int = 3
                    ) -> dict[str, float]:
    """`viewers` screens refreshing the Overview together `refreshes` times, from a cleared
    cache: database statements issued and wall time (the UI's cache is passed in by the
    composition root: streams never imports the UI)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine as EngineClass

    count = [0]
    lock = threading.Lock()

    def counted(*_: object) -> None:
        with lock:
            count[0] += 1

    clear()
    event.listen(EngineClass, "before_cursor_execute", counted)
    t0 = time.perf_counter()
    try:
        for _ in range(refreshes):
            threads = [threading.Thread(target=load, args=(url, province))
                       for _ in range(viewers)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
    finally:
        event.remove(EngineClass, "before_cursor_execute", counted)
    return {"viewers": viewers, "refreshes": refreshes, "db_statements": count[0],
            "seconds": round(time.perf_counter() - t0, 3)}


def db_size_mb(engine: Engine) -> float:
    if engine.dialect.name == "sqlite":
        path = make_url(str(engine.url)).database or ""
        return sum(os.path.getsize(p) for p in (path, path + "-wal")
                   if os.path.exists(p)) / 1e6
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())"))
                   .scalar() or 0) / 1e6


def run_history_bench(settings: Settings, days: int, province: str | None = None,
                      database_url: str | None = None, rate: float = 1.0, runs: int = 5,
                      end: datetime | None = None,
                      viewers: tuple[Callable[[str, str], None], Callable[[], None]] | None
                      = None) -> dict[str, Any]:
    """Build, replay and time (see the module's doc). `rate` scales the simulators' volume
    (1.0 = the province's real rhythm); `end` fixes the history's last instant (tests);
    `viewers` = (load one Overview screen, clear the cache) adds 1 vs 10 concurrent screens."""
    province = province or settings.province_code
    end = (end or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    broker = None
    bootstrap = settings.kafka_bootstrap
    if not bootstrap:
        broker = EmbeddedBroker().start()
        bootstrap = broker.bootstrap
    url = database_url or \
        f"sqlite:///{settings.var_dir / f'bench-history-{uuid.uuid4().hex[:8]}.db'}"
    engine = make_engine(url)
    spawn = multiprocessing.get_context("spawn")
    try:
        upgrade(engine)
        engine.dispose()
        ensure_topics(bootstrap, settings.topic_partitions)
        with spawn.Pool(1) as pool:
            produced = pool.apply(_produce, (bootstrap, days, province, end, rate))
        broker_rss = broker.rss_mb() if broker else None
        with spawn.Pool(1) as pool:
            replayed = pool.apply(_replay, (bootstrap, url))
        cold, warm, rss = [], [], []
        for _ in range(runs):  # a fresh interpreter per cold run
            with spawn.Pool(1) as pool:
                r = pool.apply(time_pages, (url, province, end.isoformat(), 1, False))
            cold.append(r["times"])
            rss.append(r["rss_mb"])
        with spawn.Pool(1) as pool:
            r = pool.apply(time_pages, (url, province, end.isoformat(), runs, True))
        warm.append(r["times"])
        rss.append(r["rss_mb"])
        cold_pages, cold_q = summarise(cold)
        warm_pages, warm_q = summarise(warm)
        events = int(produced["events"])
        screens = {}
        if viewers:
            one = measure_viewers(url, province, *viewers, viewers=1)
            ten = measure_viewers(url, province, *viewers, viewers=10)
            screens = {"one": one, "ten": ten,
                       "statements_ratio": round(ten["db_statements"] /
                                                 max(1, one["db_statements"]), 2),
                       "time_ratio": round(ten["seconds"] / max(1e-6, one["seconds"]), 2)}
        return {
            "events": events,
            "history_days": days,
            "province": province,
            "end": end.isoformat(),
            "database": engine.dialect.name,
            "replay_eps": round(events / replayed["replay_s"]) if replayed["replay_s"] else None,
            "replay_s": round(replayed["replay_s"], 1),
            "produce_s": round(produced["produce_s"], 1),
            "runs": runs,
            "pages": {p: {"cold": cold_pages[p], "warm": warm_pages[p]} for p in cold_pages},
            "queries": {q: {"cold": cold_q[q], "warm": warm_q[q]} for q in cold_q},
            "peak_rss_mb": {"producer": round(produced["rss_mb"], 1),
                            "aggregator": round(replayed["rss_mb"], 1),
                            "bench": round(max(rss), 1),
                            "broker": round(broker_rss, 1) if broker_rss else None},
            "db_size_mb": round(db_size_mb(engine), 1),
            "overview_viewers": screens or None,
        }
    finally:
        engine.dispose()
        if broker:
            broker.stop()
