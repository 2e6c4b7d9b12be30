"""Topic registry: every topic the system uses, created at start with explicit partitions."""

from __future__ import annotations

import contextlib
import logging

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from ioc.events.contracts import CONTRACTS, TOPIC_ALERTS, TOPIC_DLQ

log = logging.getLogger(__name__)

STREAM_TOPICS = tuple(c.topic for c in CONTRACTS.values())
ALL_TOPICS = (*STREAM_TOPICS, TOPIC_DLQ, TOPIC_ALERTS)


def topic_partitions(stream_partitions: int) -> dict[str, int]:
    # Streams are keyed by entity, so partitions = parallelism; DLQ and alerts are low volume.
    return {**{t: stream_partitions for t in STREAM_TOPICS}, TOPIC_DLQ: 1, TOPIC_ALERTS: 1}


def ensure_topics(bootstrap: str, stream_partitions: int = 3) -> dict[str, int]:
    wanted = topic_partitions(stream_partitions)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="ioc-topics")
    try:
        existing = set(admin.list_topics())
        missing = [NewTopic(t, n, 1) for t, n in wanted.items() if t not in existing]
        if missing:
            # Another process may win the race; same outcome.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(missing)
            log.info("created topics %s", [t.name for t in missing])
    finally:
        admin.close()
    return wanted
