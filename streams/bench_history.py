"""`ioc bench --history-days N`: N days of a province's simulated history replayed through the
real broker and aggregator, then every page's data queries timed cold and warm.

The history goes in chunks of `chunk_days` (as `ioc up`'s compaction keeps the embedded broker,
which holds every record in memory, bounded): the producer builds a chunk exactly as the
connector runtime would send it (redacted, social posts enriched), sends it, the aggregator
drains it to lag 0 against its database offsets, then the broker restarts empty on its port
under a new cluster id (the aggregator's offsets are keyed by cluster id, so it starts the new
logs at 0). Two producer processes build the next chunks while the aggregator drains this
one, as connectors and aggregator overlap in production.

Each step runs in its own spawned interpreter, so each one's peak RSS is its own and no
process is forked from one holding Kafka or database threads: the producer (simulators →
broker), the aggregator (broker → database, the replay rate) and the query processes (a fresh
one per cold run: no engine, pool, page cache or Python cache of an earlier run; one more for
the warm runs).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import statistics
import struct
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from ioc.db.engine import make_engine
from ioc.db.migrate import upgrade
from ioc.reference.calendar import TZ
from ioc.settings import Settings
from ioc.startup_gc import freeze_startup_objects
from ioc.warmup import warm_up
from streams.bench import drain
from streams.broker import EmbeddedBroker
from streams.clients import make_producer
from streams.topics import ensure_topics

DAY_CHUNK = timedelta(days=1)
CHUNK_DAYS = 30  # ≈ 180k events of Phú Thọ: the embedded broker stays near 200 MB
# The simulators generate ≈1.6k events/s per process on the 2-core machine, about half what
# the aggregator drains: two producers build chunks ahead so the drain is what is measured.
PRODUCERS = 2
MEMO_MAX = 200_000  # entries per producer memo before it starts afresh (bounded RSS)

Record = tuple[str, bytes, bytes, list[tuple[str, bytes]]]  # topic, key, value, headers
_FRAME = struct.Struct("<BHI")  # route index, key length, value length


class PackedChunk:
    """A chunk's records held until it is sent, one zlib block per day of length-prefixed
    frames: a producer holds its next chunk while the aggregator drains the current one, and
    a 30-day chunk at `--rate 1.5` (≈280k records) as Python bytes and tuples took ≈300 MB of
    the producer's RSS; compressed at level 1 (≈8x, ≈1.5 % of the build's CPU) it is ≈30 MB.
    Topic and headers are one of a few routes (one per stream), stored once."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, tuple[tuple[str, bytes], ...]]] = []
        self._route_ix: dict[tuple[str, tuple[tuple[str, bytes], ...]], int] = {}
        self.blocks: list[bytes] = []
        self.events = 0

    def add(self, records: Iterable[Record]) -> None:
        """Append records as one compressed block (call once per day: memory stays bounded
        by a day's records)."""
        buf = bytearray()
        n = 0
        for topic, key, value, headers in records:
            route = (topic, tuple(headers))
            ix = self._route_ix.get(route)
            if ix is None:
                ix = self._route_ix[route] = len(self.routes)
                self.routes.append(route)
            buf += _FRAME.pack(ix, len(key), len(value))
            buf += key
            buf += value
            n += 1
        if n:
            self.blocks.append(zlib.compress(buf, 1))
            self.events += n

    def __iter__(self) -> Iterator[Record]:
        """The records in the order added, as `RuntimeEncoder.record` gave them."""
        size = _FRAME.size
        for block in self.blocks:
            raw = memoryview(zlib.decompress(block))
            at = 0
            while at < len(raw):
                ix, klen, vlen = _FRAME.unpack_from(raw, at)
                at += size
                topic, headers = self.routes[ix]
                key = bytes(raw[at:at + klen])
                at += klen
                yield topic, key, bytes(raw[at:at + vlen]), list(headers)
                at += vlen

    @property
    def nbytes(self) -> int:
        return sum(len(b) for b in self.blocks)


def simulators(province: str, rate: float = 1.0, seed: int = 20250701) -> list[tuple[Any, Any]]:
    """(contract, simulator) of the three streams; each hour's events are a pure function of
    the seed and the hour, so any day range gives the same events whoever generates it."""
    from connectors.simulators.dossier import DossierSimulator
    from connectors.simulators.feedback import FeedbackSimulator
    from connectors.simulators.social import SocialSimulator
    from ioc.events.contracts import CONTRACTS

    return [(CONTRACTS[k], cls(province_code=province, seed=seed, rate=rate)) for k, cls in
            (("dossier", DossierSimulator), ("feedback", FeedbackSimulator),
             ("social", SocialSimulator))]


def history_days(days: int, province: str, end: datetime, rate: float = 1.0,
                 seed: int = 20250701, first_day: int = 0, n_days: int | None = None,
                 sims: list[tuple[Any, Any]] | None = None
                 ) -> Iterator[list[tuple[Any, dict[str, Any]]]]:
    """Per day of [end − days, end) (or its days first_day … first_day + n_days − 1): the
    (contract, event) pairs of the three simulators, one day at a time so memory stays
    bounded whatever the history's length."""
    sims = sims or simulators(province, rate, seed)
    t0 = end - timedelta(days=days) + first_day * DAY_CHUNK
    stop = end if n_days is None else min(end, t0 + n_days * DAY_CHUNK)
    while t0 < stop:
        t1 = min(t0 + DAY_CHUNK, stop)
        yield [(contract, e) for contract, sim in sims for e in sim.events_between(t0, t1)]
        t0 = t1


def history_events(days: int, province: str, end: datetime, rate: float = 1.0,
                   seed: int = 20250701) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(topic, key, event) of the three simulators over [end − days, end)."""
    for day in history_days(days, province, end, rate, seed):
        for contract, e in day:
            yield contract.topic, str(e[contract.key_field]), e


class RuntimeEncoder:
    """What the connector runtime sends for a valid event (`connectors.encode.encode_valid`,
    as `ConnectorRuntime._route` calls it), with a memo: simulator texts repeat, and
    redaction (≈1 ms for a feedback report) and enrichment (≈2.4 ms a post) are pure
    functions of the text. The bytes are the runtime's (tested)."""

    def __init__(self) -> None:
        from connectors.encode import EncodeMemo

        self.memo = EncodeMemo(MEMO_MAX)
        # The memos themselves, for a test to see that they are used.
        self.redacted, self.enriched = self.memo.redacted, self.memo.enriched

    def record(self, contract: Any, event: dict[str, Any]) -> Record:
        from connectors.encode import encode_valid

        topic, key, value, headers, _ = encode_valid(contract, event,
                                                     f"sim-{contract.stream}", self.memo)
        return topic, key, value, headers


# The producer and aggregator processes keep their state across chunks in these globals
# (each is a spawned pool worker of its own).
_PRODUCER: dict[str, Any] = {}
_AGGREGATOR: dict[str, Any] = {}


def _init_producer(days: int, province: str, end: datetime, rate: float) -> None:
    _PRODUCER.update(args=(days, province, end, rate), sims=simulators(province, rate),
                     encoder=RuntimeEncoder(), chunk=PackedChunk())


def _build_chunk(index: int, chunk_days: int) -> dict[str, float]:
    """Chunk `index` (its `chunk_days` days) as the runtime would send it, held until
    `_send_chunk` in this same process."""
    t0 = time.perf_counter()
    encoder: RuntimeEncoder = _PRODUCER["encoder"]
    days, province, end, rate = _PRODUCER["args"]
    chunk = PackedChunk()
    for day in history_days(days, province, end, rate, first_day=index * chunk_days,
                            n_days=chunk_days, sims=_PRODUCER["sims"]):
        chunk.add(encoder.record(contract, e) for contract, e in day)
    _PRODUCER["chunk"] = chunk
    return {"events": chunk.events, "build_s": time.perf_counter() - t0,
            "rss_mb": _peak_rss_mb(), "rss_now_mb": _rss_now_mb(), "held_mb": chunk.nbytes / 1e6}


def _send_chunk(bootstrap: str) -> dict[str, float]:
    t0 = time.perf_counter()
    chunk, _PRODUCER["chunk"] = _PRODUCER["chunk"], PackedChunk()
    producer = make_producer(bootstrap, client_id="bench-history")
    for topic, key, value, headers in chunk:
        producer.send(topic, key=key, value=value, headers=headers)
    producer.flush()
    producer.close()
    del chunk
    return {"send_s": time.perf_counter() - t0, "rss_mb": _peak_rss_mb(),
            "rss_now_mb": _rss_now_mb()}


def _drain_chunk(bootstrap: str, url: str, group: str) -> dict[str, float]:
    """One chunk drained by a new aggregator of the same group (as after a compaction)."""
    if _AGGREGATOR.get("url") != url:
        _AGGREGATOR.update(url=url, engine=make_engine(url))
    peaks: dict[str, float] = {}
    seconds = drain(bootstrap, _AGGREGATOR["engine"], group, peaks=peaks)
    return {"replay_s": seconds, "rss_mb": _peak_rss_mb(), "rss_now_mb": _rss_now_mb(),
            "transactor_rss_mb": peaks.get("transactor", 0.0)}


def _status_mb(path: str, field: str) -> float:
    """A memory line of a /proc status file (VmHWM: peak, VmRSS: now), in MB; 0 when it
    cannot be read."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _process_peak_mb(pid: int) -> float:
    """Peak RSS (VmHWM) of another process, in MB."""
    return _status_mb(f"/proc/{pid}/status", "VmHWM")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_now_mb() -> float:
    """This process's resident set now (VmRSS), in MB: with the peak, per chunk, it shows
    whether a process grows with the history or only peaks within a chunk."""
    return _status_mb("/proc/self/status", "VmRSS")


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
    last 60 local days), the overdue list, the drill-down to a commune's agency, Alerts, the
    Thresholds backtest of a 30-day rule over 30 days, and the Feedback and Social pages at
    every window they offer."""
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
    for w in FEEDBACK_WINDOWS:
        out += feedback_queries(province, period(w), f"feedback.{w}")
    for w in SOCIAL_WINDOWS:
        out += social_queries(province, resolve(w, end), f"social.{w}")
    return out


# The windows each page offers (ioc.ui.dossiers.filters.PAGE_WINDOWS for the Feedback page,
# ioc.ui.social.view.WINDOWS): streams never imports the UI, so they are repeated here.
FEEDBACK_WINDOWS = ("today", "7d", "30d", "month", "quarter", "ytd", "custom")
SOCIAL_WINDOWS = ("1h", "24h", "7d", "30d", "month")
FEEDBACK_LIST_LIMIT = 5000  # ioc.ui.feedback.view.LIST_LIMIT
SOCIAL_POSTS_SHOWN, SOCIAL_KEYWORDS_SHOWN = 50, 20  # ioc.ui.social.posts


def feedback_queries(province: str, period: Any, page: str) -> list[Query]:
    """The Feedback page drawn at `period` with no drill-down (ioc.ui.feedback.view and its
    loaders): freshness, the drill bar's options, the KPI tiles, who holds the overdue
    reports, the channel trend, the breakdowns by category and agency (the agency ranking is
    the same call at this scope: cached), the backlog by age, the 24-hour hotspot map with the
    first cell's reports, and the report list."""
    from ioc.feedback import queries as fq
    from ioc.feedback.hotspots import HotspotParams, hotspots
    from ioc.kpis import feedback_values as fv
    from ioc.kpis.freshness import freshness
    from ioc.kpis.targets import load_targets

    scope = f"province:{province}"
    every = "1h" if period.length.total_seconds() / 3600 <= 48 else "1d"  # charts.trend_every
    params = HotspotParams(window=timedelta(hours=24))
    picked: dict[str, str] = {}

    def at(now: datetime) -> datetime:
        return min(period.end, now.astimezone(UTC).replace(tzinfo=None))

    def hotspot_map(e: Engine, now: datetime) -> object:
        reports = fq.received_reports(e, scope, params.first_start(at(now)), at(now), None)
        cells = hotspots(reports, at(now), params)
        if cells.height:  # the page's cell picker starts on the first row
            picked["cell"] = cells["cell"][0]
        return cells

    def cell_reports(e: Engine, now: datetime) -> object:
        cell = picked.get("cell")
        if cell is None:
            return None
        end = at(now)
        return fq.cell_reports(e, scope, cell, end - params.window, end, None)

    return [
        Query(page, "freshness", lambda e, now: freshness(e, now=now)),
        *[Query(page, f"options_{c}",
                lambda e, now, c=c: fq.feedback_options(e, scope, period, c))
          for c in ("ward_code", "agency_code", "category")],
        Query(page, "kpis", lambda e, now: fv.feedback_kpis(e, scope, period, now,
                                                            targets=load_targets(e))),
        Query(page, "deadlines", lambda e, now: fq.deadline_list(e, scope)),
        Query(page, "channel_trend",
              lambda e, now: fq.channel_trend(e, scope, period, every=every)),
        Query(page, "breakdown_category",
              lambda e, now: fv.feedback_breakdown(e, scope, period, "category", now)),
        Query(page, "breakdown_agency",
              lambda e, now: fv.feedback_breakdown(e, scope, period, "agency_code",
                                                   now)),
        Query(page, "backlog", lambda e, now: fv.backlog_age(e, scope, at(now))),
        Query(page, "hotspots", hotspot_map),
        Query(page, "cell_reports", cell_reports),
        Query(page, "report_list",
              lambda e, now: fq.report_list(e, scope, period, limit=FEEDBACK_LIST_LIMIT)),
    ]


def social_queries(province: str, period: Any, page: str) -> list[Query]:
    """The Social page drawn at `period` with no filter (ioc.ui.social.view and its loaders):
    the province's buckets (charts, topics, places), the KPI tiles, rising keywords, the most
    engaged posts and the bursts firing now with their rules' names."""
    from ioc.alerts import store as alert_store
    from ioc.alerts.rule_store import list_stored
    from ioc.kpis.social_values import page_buckets, rising_keywords, social_kpis
    from ioc.kpis.windows import Period
    from ioc.social.queries import top_posts

    scope = f"province:{province}"
    custom = Period(period.start, period.end, "custom")  # the loaders' period
    return [
        Query(page, "buckets", lambda e, now: page_buckets(e, scope, period.start,
                                                           period.end)),
        Query(page, "kpis", lambda e, now: social_kpis(e, scope, custom, rows=False)),
        Query(page, "keywords",
              lambda e, now: rising_keywords(e, scope, custom, SOCIAL_KEYWORDS_SHOWN)),
        Query(page, "posts", lambda e, now: top_posts(e, scope, custom, SOCIAL_POSTS_SHOWN,
                                                      None, None, None)),
        Query(page, "bursts", lambda e, now: alert_store.firing_now(e)),
        Query(page, "rule_names", lambda e, now: {sr.rule.rule_id: sr.rule.name
                                                  for sr in list_stored(e)}),
    ]


def _drill_target(engine: Engine, province: str) -> tuple[str, str]:
    """The busiest commune and its busiest agency (the drill-down a leader would take)."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT ward_code, agency_code FROM dossiers WHERE province_code = :p "
            "AND ward_code <> '' GROUP BY ward_code, agency_code ORDER BY count(*) DESC "
            "LIMIT 1"), {"p": province}).first()
    return (row[0], row[1]) if row else ("", "")


def _page_draws(queries: list[Query]) -> Iterator[tuple[Query, Any]]:
    """Each query with the draw it runs in: a Dossiers page's queries share one draw's state
    reads (ioc.kpis.values.shared_states), a Feedback page's its open reports
    (ioc.kpis.feedback_values.shared_reports), as their loaders do (ioc.ui.dossiers.loaders,
    ioc.ui.feedback.loaders)."""
    from contextlib import nullcontext

    from ioc.kpis.feedback_values import shared_reports
    from ioc.kpis.values import shared_states

    store: dict[Any, Any] = {}
    page = None
    for q in queries:
        if q.page != page:
            store, page = {}, q.page
        yield q, (shared_states(store) if q.page.startswith("dossiers.")
                  else shared_reports(store) if q.page.startswith("feedback.")
                  else nullcontext())


def time_pages(url: str, province: str, end_iso: str, runs: int, warm: bool
               ) -> dict[str, Any]:
    """One timing process: each page's queries in order, `runs` times (warm: after one
    untimed pass; cold: the caller starts one such process per run with runs=1)."""
    end = datetime.fromisoformat(end_iso)
    engine = make_engine(url)
    try:
        commune, agency = _drill_target(engine, province)
        queries = page_queries(province, end, commune, agency)
        # As the UI process does before its first draw (ioc.ui.startup): its imports done,
        # first-use costs paid, the objects alive frozen out of the collector's full passes.
        warm_up()
        freeze_startup_objects()
        if warm:
            for q, draw in _page_draws(queries):
                with draw:
                    q.run(engine, end)
        times: dict[str, list[float]] = {}
        for _ in range(runs):
            for q, draw in _page_draws(queries):
                with draw:  # not timed
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


def analyze(engine: Engine) -> None:
    """Planner statistics after the bulk replay, as a database in service has them from
    autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite): without them PostgreSQL planned the
    overdue list as a scan of every dossier right after a replay. PostgreSQL gets VACUUM too:
    autovacuum would have set the visibility map the index-only scans need (it may be off on
    a test server; it was on this machine)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        return
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def run_history_bench(settings: Settings, days: int, province: str | None = None,
                      database_url: str | None = None, rate: float = 1.0, runs: int = 5,
                      end: datetime | None = None,
                      viewers: tuple[Callable[[str, str], None], Callable[[], None]] | None
                      = None, chunk_days: int = CHUNK_DAYS) -> dict[str, Any]:
    """Build, replay and time (see the module's doc). `rate` scales the simulators' volume
    (1.0 = the province's real rhythm); `end` fixes the history's last instant (tests);
    `viewers` = (load one Overview screen, clear the cache) adds 1 vs 10 concurrent screens;
    `chunk_days` days are produced and drained before the embedded broker restarts empty (an
    external broker given by IOC_KAFKA_BOOTSTRAP is never restarted: chunks only pace it)."""
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
        replay = _replay_chunks(spawn, broker, bootstrap, url, days, province, end, rate,
                                max(1, chunk_days), settings.topic_partitions)
        # The timing processes import the checkout as it is now; after an hour-long replay
        # that may be newer than the replay's code, so its schema comes first (else a no-op).
        upgrade(engine)
        analyze(engine)
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
        events = int(replay["events"])
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
            "replay_eps": round(events / replay["replay_s"]) if replay["replay_s"] else None,
            "replay_s": round(replay["replay_s"], 1),
            "produce_s": round(replay["produce_s"], 1),
            "replay_with_produce_eps": round(events / replay["wall_s"]),
            "replay_wall_s": round(replay["wall_s"], 1),
            "chunks": replay["chunks"],
            "chunk_days": max(1, chunk_days),
            "broker_restarts": replay["broker_restarts"],
            "producers": replay["producers"],
            "runs": runs,
            "pages": {p: {"cold": cold_pages[p], "warm": warm_pages[p]} for p in cold_pages},
            "queries": {q: {"cold": cold_q[q], "warm": warm_q[q]} for q in cold_q},
            "peak_rss_mb": {"producer": round(replay["producer_rss_mb"], 1),
                            "aggregator": round(replay["aggregator_rss_mb"], 1),
                            "transactor": round(replay["transactor_rss_mb"], 1),
                            "bench": round(max(rss), 1),
                            "broker": round(replay["broker_rss_mb"], 1)
                            if replay["broker_rss_mb"] else None},
            "db_size_mb": round(db_size_mb(engine), 1),
            "overview_viewers": screens or None,
        }
    finally:
        engine.dispose()
        if broker:
            broker.stop()


def _replay_chunks(spawn: Any, broker: EmbeddedBroker | None, bootstrap: str, url: str,
                   days: int, province: str, end: datetime, rate: float, chunk_days: int,
                   partitions: int) -> dict[str, Any]:
    """Produce and drain the history chunk by chunk (see the module's doc); the producers
    build the next chunks while the aggregator drains chunk k. `broker` (embedded, ours) is
    restarted empty between chunks, on the same port, and left running after the last."""
    group = f"bench-history-{uuid.uuid4().hex[:8]}"  # one group: offsets carry on per broker
    n_chunks = -(-days // chunk_days)
    out: dict[str, Any] = {"events": 0, "replay_s": 0.0, "produce_s": 0.0, "chunks": 0,
                           "broker_restarts": 0, "producer_rss_mb": 0.0,
                           "aggregator_rss_mb": 0.0, "transactor_rss_mb": 0.0,
                           "broker_rss_mb": 0.0}
    t_start = time.perf_counter()
    init = (days, province, end, rate)
    with ExitStack() as stack:
        producers = [stack.enter_context(spawn.Pool(1, initializer=_init_producer,
                                                    initargs=init))
                     for _ in range(min(PRODUCERS, n_chunks))]
        # Not a multiprocessing.Pool: its workers are daemonic and may not start the
        # aggregator's transactor process.
        aggregator = stack.enter_context(ProcessPoolExecutor(1, mp_context=spawn))
        building: dict[int, Any] = {}

        def build(i: int) -> None:  # chunk i on producer i mod P, which will also send it
            if i < n_chunks:
                building[i] = producers[i % len(producers)].apply_async(
                    _build_chunk, (i, chunk_days))

        for i in range(len(producers)):
            build(i)
        for i in range(n_chunks):
            built = building.pop(i).get()
            sent = producers[i % len(producers)].apply(_send_chunk, (bootstrap,))
            build(i + len(producers))
            drained = aggregator.submit(_drain_chunk, bootstrap, url, group).result()
            out["events"] += int(built["events"])
            out["produce_s"] += built["build_s"] + sent["send_s"]
            out["replay_s"] += drained["replay_s"]
            out["chunks"] += 1
            out["producer_rss_mb"] = max(out["producer_rss_mb"], built["rss_mb"],
                                         sent["rss_mb"])
            out["aggregator_rss_mb"] = max(out["aggregator_rss_mb"], drained["rss_mb"])
            out["transactor_rss_mb"] = max(out["transactor_rss_mb"],
                                           drained["transactor_rss_mb"])
            broker_mb = 0.0
            if broker and broker.process:
                broker_mb = _process_peak_mb(broker.process.pid) or broker.rss_mb()
                out["broker_rss_mb"] = max(out["broker_rss_mb"], broker_mb)
            # Progress on stderr (stdout is the JSON): what finished if a run is cut short.
            print(f"chunk {i + 1}/{n_chunks}: {out['events']} events, build "
                  f"{built['build_s']:.1f} s, send {sent['send_s']:.1f} s, drain "
                  f"{drained['replay_s']:.1f} s, broker peak {broker_mb:.0f} MB, "
                  f"producer peak {max(built['rss_mb'], sent['rss_mb']):.0f} MB (held "
                  f"{built['held_mb']:.0f} MB), aggregator peak {drained['rss_mb']:.0f} / "
                  f"now {drained['rss_now_mb']:.0f} MB, "
                  f"{time.perf_counter() - t_start:.0f} s so far",
                  file=sys.stderr, flush=True)
            if broker and i + 1 < n_chunks:
                # As `ioc up`'s compaction: everything is aggregated, so restart it empty on
                # its port under a new cluster id and recreate the topics.
                port = broker.port
                broker.stop()
                broker.port, broker.cluster_id = port, f"ioc-{uuid.uuid4().hex[:12]}"
                broker.start()
                ensure_topics(bootstrap, partitions)
                out["broker_restarts"] += 1
    out["wall_s"] = time.perf_counter() - t_start
    out["producers"] = min(PRODUCERS, n_chunks)
    return out
