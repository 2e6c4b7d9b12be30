"""Test helpers: canonical event builders and readiness loops (no sleeps)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import Engine, MetaData

from ioc.db.schema import metadata
from streams.aggregator import Aggregator
from streams.lag import end_offsets, group_lag
from streams.topics import STREAM_TOPICS

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

TZ7 = "+07:00"


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


def dossier_event(dossier_id: str, seq: int, type_: str, received_at: datetime, *,
                  due_days: float = 3, ward: str = "08494", completed_at: datetime | None = None,
                  channel: str = "online", **extra: Any) -> dict[str, Any]:
    occurred = {"received": received_at}.get(type_, completed_at or received_at
                                             + timedelta(hours=seq))
    ev = {
        "schema": "ioc.dossier.v1", "event_id": f"{dossier_id}:{seq}", "type": type_,
        "occurred_at": iso(occurred), "source": "test", "seq": seq, "province_code": "25",
        "ward_code": ward, "dossier_id": dossier_id, "procedure_code": "1.001",
        "procedure_name": "Đăng ký khai sinh", "sector": "Hộ tịch", "agency_code": f"UBND-{ward}",
        "agency_name": "UBND xã", "level": "commune", "channel": channel,
        "online_mode": "full" if channel == "online" else None,
        "received_at": iso(received_at), "due_at": iso(received_at + timedelta(days=due_days)),
        "completed_at": iso(completed_at) if completed_at else None, "digitized": True,
        "e_result": True, "fee_vnd": 0, "paid_online": False, "rating": None,
        "applicant_kind": "citizen",
    }
    ev.update(extra)
    return ev


def feedback_event(fid: str, seq: int, type_: str, received_at: datetime, *,
                   channel: str = "hotline_1022", ward: str = "08494", **extra: Any) -> dict:
    status = {"rated": "closed"}.get(type_, type_)
    ev = {
        "schema": "ioc.feedback.v1", "event_id": f"{fid}:{seq}", "type": type_,
        "occurred_at": iso(received_at + timedelta(hours=seq - 1)), "source": "test",
        "seq": seq, "province_code": "25", "ward_code": ward, "feedback_id": fid,
        "channel": channel, "category": "môi trường", "text": "Rác thải chưa được thu gom",
        "lat": 21.3, "lon": 105.3, "address": None, "agency_code": f"UBND-{ward}",
        "received_at": iso(received_at), "due_at": iso(received_at + timedelta(days=3)),
        "status": status, "rating": None,
    }
    ev.update(extra)
    return ev


def social_event(post_id: str, published_at: datetime, *, text: str = "Người dân hài lòng",
                 ward: str | None = "08494", **extra: Any) -> dict:
    ev = {
        "schema": "ioc.social.v1", "event_id": post_id, "type": "published",
        "occurred_at": iso(published_at), "source": "test", "seq": 1, "province_code": "25",
        "ward_code": ward, "post_id": post_id, "platform": "news",
        "url": f"https://example.vn/{post_id}", "title": "Tin địa phương", "text": text,
        "published_at": iso(published_at), "engagement": {"likes": 2, "shares": 1, "comments": 0},
        "author_ref": "a1",
    }
    if ward is None:
        ev["ward_code_reason"] = "không xác định"
    ev.update(extra)
    return ev


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
