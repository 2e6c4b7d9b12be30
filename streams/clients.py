"""kafka-python producer and consumer factories with the settings the pipeline relies on."""

from __future__ import annotations

from kafka import KafkaConsumer, KafkaProducer


def make_producer(bootstrap: str, client_id: str = "ioc") -> KafkaProducer:
    # acks=all + retries: a record is either on the broker or the send raises.
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        retries=5,
        linger_ms=20,
        batch_size=512 * 1024,
        max_request_size=8 * 1024 * 1024,
        max_in_flight_requests_per_connection=1,  # keeps per-key order across retries
    )


def make_consumer(bootstrap: str, group_id: str | None, client_id: str = "ioc",
                  max_poll_records: int = 20000) -> KafkaConsumer:
    # Raw bytes (no deserializers): the aggregator decodes a whole batch at once with Polars.
    return KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_poll_records,
        fetch_max_bytes=64 * 1024 * 1024,
        max_partition_fetch_bytes=16 * 1024 * 1024,
        fetch_max_wait_ms=200,
        # The embedded broker holds a join for about half the session timeout; 6 s (Kafka's
        # minimum by default) keeps joins near 3 s. Heartbeats run on a background thread.
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
        max_poll_interval_ms=300000,
    )
