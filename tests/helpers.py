"""Test helpers: canonical event builders and readiness loops (no sleeps)."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import Engine, MetaData, select

from ioc.db.schema import metadata
from streams.aggregator import Aggregator
from streams.lag import end_offsets, group_lag
from streams.topics import STREAM_TOPICS

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from streamlit.testing.v1 import AppTest

def produce_events(bootstrap: str, events: list[dict]) -> None:
    """Send contract events (any stream) to their topics, keyed as connectors key them."""
    import json

    from ioc.events.contracts import CONTRACTS
    from streams.clients import make_producer

    topic = {c.schema: c.topic for c in CONTRACTS.values()}
    key = {c.schema: c.key_field for c in CONTRACTS.values()}
    p = make_producer(bootstrap)
    for e in events:
        p.send(topic[e["schema"]], key=str(e[key[e["schema"]]]).encode(),
               value=json.dumps(e).encode())
    p.flush()
    p.close()


def lag(engine: Engine, agg_bootstrap: str, group: str, cluster_id: str,
        topics: tuple[str, ...] = (*STREAM_TOPICS, "ioc.dlq")) -> int:
    ends = end_offsets(agg_bootstrap, list(topics))
    return sum(group_lag(engine, group, cluster_id, ends).values())


def drain(agg: Aggregator, timeout: float = 120.0) -> None:
    """Poll until the aggregator's DB offsets reach every topic's end (readiness, no sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        agg.poll_once(timeout_ms=300)
        if lag(agg.engine, agg.bootstrap, agg.group, agg.cluster_id) == 0:
            return
    raise TimeoutError("aggregator did not drain")


def aggregate_all(bootstrap: str, engine: Engine, group: str,
                  timeout: float = 120.0) -> None:
    """A fresh aggregator drains everything on the broker into the database, then closes."""
    agg = Aggregator(bootstrap, engine, group=group)
    try:
        drain(agg, timeout)
    finally:
        agg.close()


def read_topic(bootstrap: str, topic: str, expect: int, timeout: float = 30.0) -> list:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             auto_offset_reset="earliest", group_id=None)
    tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
    consumer.assign(tps)
    consumer.seek_to_beginning()
    out: list = []
    deadline = time.monotonic() + timeout
    while len(out) < expect and time.monotonic() < deadline:
        for recs in consumer.poll(timeout_ms=500).values():
            out.extend(recs)
    consumer.close()
    return out


def now_utc() -> datetime:
    return datetime.now(UTC)


def reset_database(engine: Engine) -> None:
    """Empty a shared server database: our tables, then whatever an older schema left (a
    table a migration since dropped, alembic_version)."""
    metadata.drop_all(engine)
    leftover = MetaData()
    leftover.reflect(engine)
    leftover.drop_all(engine)


def markdown_with(at: AppTest, needle: str) -> str:
    """The first markdown element of a Streamlit AppTest run that contains `needle`."""
    found = [m.value for m in at.markdown if needle in m.value]
    assert found, f"no markdown containing {needle!r}"
    return found[0]


def apply_events(engine: Engine, events: list[dict]) -> None:
    """What the aggregator's poll does with one batch, without Kafka: bulk decode per stream,
    redact, apply, one commit (for tests of the write path and what reads it)."""
    import json

    from ioc.events.contracts import CONTRACTS, FEEDBACK, SOCIAL
    from ioc.events.decode import ROW, decode_batch
    from ioc.events.redact import redact_frame
    from streams.apply import APPLY

    by_schema = {c.schema: c for c in CONTRACTS.values()}
    grouped: dict[str, list[bytes]] = {}
    for e in events:
        grouped.setdefault(e["schema"], []).append(json.dumps(e).encode())
    with engine.begin() as conn:
        for schema, values in grouped.items():
            contract = by_schema[schema]
            d = decode_batch(values, contract)
            assert not d.bad, d.bad
            frame = redact_frame(d.frame) if contract.stream in (FEEDBACK, SOCIAL) else d.frame
            APPLY[contract.stream](conn, frame.drop(ROW))


def run_page_file(path: str, identity: object, timeout: float = 60) -> AppTest:
    """Run one page file directly as `identity` (an ioc.auth.Identity, signed in just now),
    without app.py's menu: how a test reaches the server-side refusal of a page's write by
    a role the menu would not even offer the page to."""
    from streamlit.testing.v1 import AppTest

    from ioc.ui.session import IDENTITY_KEY, LAST_SEEN_KEY, SIGNED_IN_AT_KEY

    at = AppTest.from_file(path, default_timeout=timeout)
    at.session_state[IDENTITY_KEY] = identity
    at.session_state[SIGNED_IN_AT_KEY] = at.session_state[LAST_SEEN_KEY] = time.time()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_app_page(app: str, page: str, identity: object | None = None,
                  query: dict[str, str] | None = None, timeout: float = 90) -> AppTest:
    """Run app.py as a browser session does (navigation built for the session's role), then
    switch to `page`. `identity` (an ioc.auth.Identity) is signed in just now: the session
    timeouts need the sign-in times, and app.py re-reads the account, so it must exist."""
    from streamlit.testing.v1 import AppTest

    from ioc.ui.session import IDENTITY_KEY, LAST_SEEN_KEY, SIGNED_IN_AT_KEY

    at = AppTest.from_file(app, default_timeout=timeout)
    if identity is not None:
        at.session_state[IDENTITY_KEY] = identity
        at.session_state[SIGNED_IN_AT_KEY] = at.session_state[LAST_SEEN_KEY] = time.time()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def social_posts_frame(engine: Engine) -> pl.DataFrame:
    """Every stored social post, all columns (for recomputations from the posts)."""
    from ioc.db import schema as s

    with engine.connect() as conn:
        rows = conn.execute(select(s.social_posts)).mappings().all()
    return pl.DataFrame([dict(r) for r in rows])


def insert_dossier_buckets(conn: Connection, rows: list[dict]) -> None:
    """Seed hourly dossier buckets with their day and month rollups (full and narrow), as
    the aggregator's write path keeps them (long windows read the rollups)."""
    from sqlalchemy import insert

    from ioc.db.columns import DOSSIER_COUNTERS, DOSSIER_DIMS
    from ioc.db.schema import NARROW_ROLLUPS, ROLLUPS, dossier_buckets
    from ioc.kpis.buckets import bucket_schema, regroup, roll_up

    conn.execute(insert(dossier_buckets), rows)
    frame = pl.DataFrame(rows, schema=bucket_schema(DOSSIER_DIMS, DOSSIER_COUNTERS))
    for grain, table in ROLLUPS["dossier_buckets"].items():
        rolled = roll_up(frame, grain, DOSSIER_DIMS, DOSSIER_COUNTERS)
        conn.execute(insert(table), rolled.to_dicts())
        for narrow in NARROW_ROLLUPS["dossier_buckets"][grain]:  # ... and the narrow ones
            keys = tuple(c.name for c in narrow.primary_key.columns)
            conn.execute(insert(narrow), regroup(rolled, keys, DOSSIER_COUNTERS).to_dicts())


def apply_random_dossiers(engine: Engine, t0: datetime, days: tuple[int, ...], per_day: int,
                          *, seed: int, shuffle_seed: int, batches: int,
                          replay_share: int) -> None:
    """Random dossier events (streams.chaos.workload.random_events, `per_day` around each of
    `days` after the naive-UTC `t0`, seeds `seed`, `seed` + 1 …) applied by the aggregator's
    write path as it may meet them: shuffled, in `batches` random batches, then the first
    1/`replay_share` of them again (a batch re-read after a crash)."""
    from streams.chaos.workload import random_events

    events: list[dict] = []
    for i, d in enumerate(days):
        events += random_events(per_day, 0, 0, seed=seed + i,
                                now=(t0 + timedelta(days=d)).replace(tzinfo=UTC))
    rng = random.Random(shuffle_seed)
    rng.shuffle(events)
    cut = sorted(rng.sample(range(1, len(events)), batches - 1))
    for a, b in zip([0, *cut], [*cut, len(events)], strict=True):
        apply_events(engine, events[a:b])
    apply_events(engine, events[: len(events) // replay_share])
