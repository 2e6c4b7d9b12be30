"""What the `ioc` commands share to reach the pipeline: a stop event set by Ctrl-C or SIGTERM,
the migrated database, the broker address, and a source run through the connector runtime.

Kafka-facing modules are imported inside the functions, so building the parser (`ioc --help`,
`ioc users …`) loads no Kafka client.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, TypeVar

from ioc.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from connectors.base import Source
    from connectors.runtime import ConnectorRuntime

T = TypeVar("T")


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM: long-running commands stop cleanly on either."""
    stop = threading.Event()

    def handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stop


def engine(settings: Settings) -> Engine:
    """The database of the settings, upgraded to the head revision first."""
    from ioc.db.migrate import migrated_engine

    return migrated_engine(settings.database_url)


def bootstrap(settings: Settings) -> str:
    """The broker address (set, or announced by `ioc up`); exits with a hint when none."""
    from streams.discovery import resolve_bootstrap

    address = resolve_bootstrap(settings)
    if not address:
        sys.exit("no Kafka broker: run `ioc up` first or set IOC_KAFKA_BOOTSTRAP")
    return address


def run_connector(settings: Settings, source: Source, client_id: str,
                  drive: Callable[[ConnectorRuntime], T], create_topics: bool = True) -> T:
    """Run `source` through the connector runtime: broker → topics → producer → runtime →
    `drive(runtime)`, the producer closed however it ends. `drive` decides how long it runs
    (until stopped, until idle) and its result is returned."""
    from connectors.runtime import ConnectorRuntime
    from streams.clients import make_producer
    from streams.topics import ensure_topics

    address = bootstrap(settings)
    if create_topics:
        ensure_topics(address, settings.topic_partitions)
    from ioc.feedback.sla import install_policy
    from ioc.feedback.sla_store import policy_provider

    db = engine(settings)
    # Feedback deadlines are fixed at receipt by the SLA rules in force (ioc sla).
    install_policy(policy_provider(db))
    producer = make_producer(address, client_id=client_id)
    try:
        return drive(ConnectorRuntime(source, producer, db, group=settings.consumer_group))
    finally:
        producer.close(timeout=10)
