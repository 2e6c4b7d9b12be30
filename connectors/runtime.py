"""Connector runtime: poll → map → validate → redact → produce (acks=all) → checkpoint.

A batch's cursor is saved only after every record of the batch (good ones to the stream
topic, bad ones to ioc.dlq) is acknowledged by the broker. A crash in between re-sends the
batch, which is harmless: events carry a stable event_id and per-entity seq.

With the cursor go the offsets the batch's records got and the broker's cluster id. An
acknowledgement from the embedded (memory-only) broker is not durable: if the broker is lost,
the connector rewinds to its newest checkpoint the aggregator had committed and replays
(`ioc.db.checkpoints.rewind`; the supervisor does it for every connector when it restarts the
broker, the runtime again for itself when it meets a broker it has no checkpoint on).

`run` (a stream: runs until stopped) keeps the connector's heartbeat row, throttled: every
poll that works, even with nothing new, and every failure with its redacted reason, so the
freshness strip can name a stream whose connector fails or died. `run(until_idle=True)` and
`run_once` loops (one-shot imports, `--once`) write none: a finished import is not a stale
stream.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field

from kafka import KafkaProducer
from kafka.errors import KafkaError
from sqlalchemy import Engine

from connectors.base import Source, SourceBatch, SourceRecord, to_bytes
from connectors.encode import EncodeFailed, encode_valid
from ioc.db.checkpoints import last_cluster, load_cursor, rewind, save_cursor
from ioc.db.connector_heartbeats import ERROR_CHARS, HeartbeatWriter
from ioc.events.contracts import TOPIC_DLQ, validate_event
from ioc.events.redact import payload_digest, redact_payload, redacted_reason
from ioc.settings import load_settings

log = logging.getLogger(__name__)


@dataclass
class BatchResult:
    produced: int = 0
    dead: int = 0
    redacted: int = 0
    # topic -> partition -> the last offset the batch's records got there
    offsets: dict[str, dict[int, int]] = field(default_factory=dict)


@dataclass
class ConnectorStats:
    batches: int = 0
    produced: int = 0
    dead: int = 0
    redacted: int = 0
    errors: int = 0
    last_error: str | None = None
    rewinds: int = 0
    drained: bool = False  # the source had nothing more (run until idle ended normally)
    extra: dict[str, int] = field(default_factory=dict)


def cluster_id(producer: KafkaProducer) -> str | None:
    """The cluster id of the broker the producer talks to, from its metadata (known after the
    first acknowledged send); kafka-python has no public accessor for it."""
    metadata = getattr(producer, "_metadata", None)
    return getattr(metadata, "cluster_id", None)


# Kafka's default request limit is 1 MiB: a dead letter's (redacted) payload is cut below it,
# and an event that encodes larger is dead-lettered rather than retried forever.
MAX_VALUE_BYTES = 900_000


def dlq_headers(reason: str, stage: str, source: str, topic: str,
                extra: dict[str, str]) -> list[tuple[str, bytes]]:
    base = {"reason": reason, "stage": stage, "source": source, "original_topic": topic}
    return [(k, to_bytes(v)) for k, v in {**extra, **base}.items()]


def connector_dead_id(source: str, raw: bytes, extra: dict[str, str]) -> str:
    """Stable id of a record a connector dead-letters (it has no offset yet): the source, the
    record's position (file, row …) and its bytes. A re-sent batch gives the same id."""
    h = hashlib.sha256(to_bytes(source) + b"\0")
    for k, v in sorted(extra.items()):
        h.update(to_bytes(f"{k}={v}") + b"\0")
    h.update(raw)
    return f"src:{h.hexdigest()}"


def dead_letter(raw: bytes, reason: str, stage: str, source: str, topic: str,
                extra: dict[str, str]) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The value (redacted, capped) and headers of one dead letter; the SHA-256 of the
    original bytes and the stable dead_id let an operator match a replay."""
    headers = dlq_headers(reason, stage, source, topic, extra)
    headers += [("payload_sha256", payload_digest(raw).encode()),
                ("dead_id", connector_dead_id(source, raw, extra).encode())]
    return redact_payload(raw)[:MAX_VALUE_BYTES], headers


class ConnectorRuntime:
    def __init__(self, source: Source, producer: KafkaProducer, engine: Engine,
                 max_backoff: float = 30.0, group: str = "ioc-aggregator",
                 heartbeat_expiry_seconds: float | None = None) -> None:
        self.source = source
        self.producer = producer
        self.engine = engine
        self.group = group  # the aggregator's consumer group: whose offsets mean "committed"
        self.max_backoff = max_backoff
        self.stats = ConnectorStats()
        self.heartbeat_expiry_seconds = (
            load_settings().connector_expiry_hours * 3600 if heartbeat_expiry_seconds is None
            else heartbeat_expiry_seconds)
        self.heartbeat: HeartbeatWriter | None = None  # set by run() for a stream

    def _heartbeat(self, idle_wait: float) -> HeartbeatWriter:
        return HeartbeatWriter(self.engine, self.source.connector_id,
                               self.source.contract.stream, interval_seconds=idle_wait,
                               expiry_seconds=self.heartbeat_expiry_seconds)

    def _route(self, rec: SourceRecord) -> tuple[str, bytes | None, bytes, list, bool]:
        """Decide where one record goes: (topic, key, value, headers, redacted?). Never raises
        on a record: whatever goes wrong with it sends it to the dead-letter topic."""
        stage = "map"
        try:
            if rec.event is None:
                return self._dead(rec, rec.error or "mapping produced no event", stage)
            stage = "validate"
            problems = validate_event(self.source.contract, rec.event)
            if problems:
                return self._dead(rec, "; ".join(problems), stage)
            out = encode_valid(self.source.contract, rec.event, self.source.connector_id)
            if len(out.value) > MAX_VALUE_BYTES:
                return self._dead(rec, f"event larger than {MAX_VALUE_BYTES} bytes encoded",
                                  "encode")
        # The type only, in both: a message may quote the record's content.
        except EncodeFailed as exc:
            return self._dead(rec, f"{exc.stage} failed: {type(exc.__cause__).__name__}",
                              exc.stage)
        except Exception as exc:  # noqa: BLE001 - a record never stops the connector
            return self._dead(rec, f"{stage} failed: {type(exc).__name__}", stage)
        return out.topic, out.key, out.value, out.headers, bool(out.kinds)

    def _dead(self, rec: SourceRecord, reason: str,
              stage: str) -> tuple[str, bytes | None, bytes, list, bool]:
        value, headers = dead_letter(rec.raw, reason, stage, self.source.connector_id,
                                     self.source.contract.topic, rec.headers)
        return TOPIC_DLQ, None, value, headers, False

    def send_batch(self, batch: SourceBatch) -> BatchResult:
        result = BatchResult()
        futures = []
        for rec in batch.records:
            topic, key, value, headers, redacted = self._route(rec)
            futures.append(self.producer.send(topic, key=key, value=value, headers=headers))
            if topic == TOPIC_DLQ:
                result.dead += 1
                log.warning("dead letter from %s: %s", self.source.connector_id,
                            dict(headers).get("reason", b"").decode()[:300])
            else:
                result.produced += 1
                result.redacted += int(redacted)
        self.producer.flush()
        for fut in futures:
            md = fut.get(timeout=30)  # raises if the broker did not acknowledge (acks=all)
            parts = result.offsets.setdefault(md.topic, {})
            parts[md.partition] = max(parts.get(md.partition, -1), md.offset)
        return result

    def run_once(self) -> BatchResult | None:
        """Process one batch; returns None when the source had nothing new."""
        cursor = load_cursor(self.engine, self.source.connector_id)
        batch = self.source.poll(cursor)
        if batch is None:
            return None
        result = self.send_batch(batch)
        sid = self.source.connector_id
        cid = cluster_id(self.producer)
        if cid is not None and last_cluster(self.engine, sid) not in (None, cid):
            # Another broker than our last checkpoint's (a restarted embedded one): what the
            # old one held unaggregated is gone. Rewind instead of saving; the next poll
            # replays from the newest committed checkpoint, this batch included.
            rw = rewind(self.engine, sid, self.group, cid)
            if rw is not None:
                self.stats.rewinds += 1
                log.warning("%s: broker changed (cluster %s); rewound from %s to %s", sid,
                            cid, rw.from_cursor, rw.to_cursor)
            return result
        save_cursor(self.engine, sid, batch.cursor, prev_cursor=cursor, cluster_id=cid,
                    offsets=result.offsets, group=self.group)
        self.stats.batches += 1
        self.stats.produced += result.produced
        self.stats.dead += result.dead
        self.stats.redacted += result.redacted
        return result

    def run(self, stop: threading.Event, idle_wait: float = 1.0,
            until_idle: bool = False) -> ConnectorStats:
        backoff = 0.5
        beat = None if until_idle else self._heartbeat(idle_wait)
        self.heartbeat = beat
        while not stop.is_set():
            try:
                result = self.run_once()
                backoff = 0.5
            except (KafkaError, OSError, TimeoutError) as exc:
                # Transient broker or network trouble: retry the same batch (cursor unchanged).
                self.stats.errors += 1
                self.stats.last_error = repr(exc)
                log.warning("%s: %r; retrying in %.1fs", self.source.connector_id, exc, backoff)
                if beat is not None:
                    beat.beat(False, error=redacted_reason(repr(exc), ERROR_CHARS))
                stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            except Exception as exc:
                if beat is not None:  # the connector stops here: its row says why
                    beat.beat(False, force=True,
                              error=redacted_reason(f"{type(exc).__name__}: {exc}", ERROR_CHARS))
                raise
            if beat is not None:  # a poll that worked, even with nothing new
                beat.beat(True, records=result.produced + result.dead if result else 0)
            if result is None:
                if until_idle:
                    self.stats.drained = True
                    break
                stop.wait(idle_wait)  # source has nothing new: pace the next poll
        if beat is not None:
            beat.flush()
        return self.stats


def run_until_idle(runtime: ConnectorRuntime, timeout: float = 600.0) -> ConnectorStats:
    stop = threading.Event()
    timer = threading.Timer(timeout, stop.set)
    timer.start()
    try:
        return runtime.run(stop, until_idle=True)
    finally:
        timer.cancel()
