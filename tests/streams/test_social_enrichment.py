"""Social enrichment at ingest: a post enriched by the connector runtime and the same post sent
without enrichment (an external producer, an event from before) are stored identically —
posts, tags and buckets — through the real broker and aggregator; a malformed enrichment is
dead-lettered with the field named; a stale or inconsistent one is recomputed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select

from connectors.base import record_from_event
from connectors.runtime import ConnectorRuntime, run_until_idle
from connectors.simulators import SocialSimulator
from connectors.simulators.source import SimulatorSource
from ioc.db import schema as s
from ioc.events.contracts import SOCIAL_CONTRACT
from ioc.events.redact import redact_event
from ioc.social.enrichment import enrich_event
from ioc.social.sentiment import MODEL_VERSION, label
from streams.aggregator import Aggregator
from streams.chaos.workload import social_event
from streams.clients import make_producer
from tests.helpers import aggregate_all, apply_events, drain, read_topic

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
T0 = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
TEXT = "Đường ở phường Việt Trì ngập sâu sau mưa lớn, xe máy chết máy, gọi 0912345678 nhé"
SOCIAL_TABLES = (s.social_posts, s.social_post_tags, s.social_buckets,
                 *s.ROLLUPS.get("social_buckets", {}).values())


def _snapshot(engine: Engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {t.name: sorted(tuple(r) for r in conn.execute(select(t)).all())
                for t in SOCIAL_TABLES}


def _clear(engine: Engine) -> None:
    with engine.begin() as conn:
        for t in SOCIAL_TABLES:
            conn.execute(delete(t))


def test_enriched_and_unenriched_posts_are_stored_identically(broker, engine: Engine) -> None:
    sim = SocialSimulator(seed=5, rate=2.0)
    crafted = [social_event("X1", NOW - timedelta(hours=3), text=TEXT, ward=None),
               social_event("X2", NOW - timedelta(hours=2), text=TEXT, ward="08494")]
    start = (NOW - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    raw = sim.events_between(start, NOW) + crafted
    assert len(raw) > 50

    class Crafted(SimulatorSource):  # the simulator `ioc up` runs, plus two chosen posts
        def poll(self, cursor):  # type: ignore[no-untyped-def]
            batch = super().poll(cursor)
            if batch is not None and cursor is None:
                batch.records.extend(record_from_event(e) for e in crafted)
            return batch

    producer = make_producer(broker.bootstrap)
    src = Crafted("sim-social", SOCIAL_CONTRACT, SocialSimulator(seed=5, rate=2.0),
                  backfill_days=1, step=timedelta(days=2), clock=lambda: NOW)
    stats = run_until_idle(ConnectorRuntime(src, producer, engine))
    assert stats.produced == len(raw) and stats.dead == 0
    on_topic = [json.loads(r.value) for r in
                read_topic(broker.bootstrap, SOCIAL_CONTRACT.topic, expect=len(raw))]
    assert len(on_topic) == len(raw)
    assert all(e["enrichment"]["model_version"] == MODEL_VERSION for e in on_topic)
    assert all("0912345678" not in json.dumps(e, ensure_ascii=False) for e in on_topic)

    agg = Aggregator(broker.bootstrap, engine, group="g-enrich")
    try:
        drain(agg)
        enriched = _snapshot(engine)
        _clear(engine)
        # The same posts as an external producer sends them: raw, not redacted, no enrichment.
        for e in raw:
            producer.send(SOCIAL_CONTRACT.topic, key=e["post_id"].encode(),
                          value=json.dumps(e, ensure_ascii=False).encode())
        producer.flush()
        drain(agg)
        plain = _snapshot(engine)
    finally:
        agg.close()
        producer.close()
    assert len(enriched["social_posts"]) == len({e["post_id"] for e in raw})
    assert enriched["social_post_tags"] and enriched["social_buckets"]
    posts = {r[0]: r for r in enriched["social_posts"]}
    ward = s.social_posts.c.keys().index("ward_code")
    assert posts["X1"][ward] == "07900"  # no commune on the event: the first one named
    assert posts["X2"][ward] == "08494"  # the event's commune wins
    assert enriched == plain


def test_malformed_enrichment_is_dead_lettered_with_the_field(broker, engine: Engine) -> None:
    good = enrich_event(social_event("G1", T0, text=TEXT))
    bad = enrich_event(social_event("B1", T0, text=TEXT))
    bad["enrichment"]["sentiment"] = 7
    not_object = {**social_event("B2", T0, text=TEXT), "enrichment": "positive"}
    producer = make_producer(broker.bootstrap)
    for e in (good, bad, not_object):
        producer.send(SOCIAL_CONTRACT.topic, key=e["post_id"].encode(),
                      value=json.dumps(e, ensure_ascii=False).encode())
    producer.flush()
    producer.close()
    aggregate_all(broker.bootstrap, engine, "g-bad-enrich")
    with engine.connect() as conn:
        stored = conn.execute(select(s.social_posts.c.post_id)).scalars().all()
        reasons = sorted(conn.execute(select(s.dead_letters.c.reason)).scalars().all())
    assert stored == ["G1"]
    assert len(reasons) == 2
    assert any("enrichment.sentiment" in r for r in reasons), reasons
    assert any("enrichment: must be an object" in r for r in reasons), reasons


def _enriched(post_id: str) -> dict:
    """As the connector runtime sends a post: redacted, then enriched."""
    return enrich_event(redact_event(social_event(post_id, T0, text=TEXT, ward=None))[0])


def test_stale_or_inconsistent_enrichment_is_recomputed(engine: Engine) -> None:
    stale = _enriched("S1")
    stale["enrichment"].update(model_version="sent-old", sentiment=0.9, label="positive",
                               topic="khác", topics=[], places=[], terms=[])
    odd = _enriched("S2")
    odd["enrichment"].update(sentiment=0.9, label="negative")  # label is not its score's
    carried = _enriched("S3")
    carried["enrichment"].update(topic="giao thông", topics=["giao thông"])  # trusted as is
    apply_events(engine, [stale, odd, carried])
    with engine.connect() as conn:
        rows = {r["post_id"]: r for r in conn.execute(select(s.social_posts)).mappings()}
    for pid in ("S1", "S2"):
        assert rows[pid]["model_version"] == MODEL_VERSION
        assert rows[pid]["label"] == label(rows[pid]["sentiment"])
        assert rows[pid]["topic"] == "thiên tai - thời tiết" and rows[pid]["places"] == "07900"
        assert rows[pid]["sentiment"] == rows["S3"]["sentiment"]
    assert rows["S3"]["topic"] == "giao thông"
