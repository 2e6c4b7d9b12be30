"""The aggregator: a kafka-python consumer in a group that turns stream topics into SQL state.

Per poll: decode each topic's records in bulk, dead-letter what breaks the contract, then in
ONE database transaction apply entity state + bucket deltas + dead letters + the fenced
consumer offsets; commit to Kafka only after. On assignment, seek to the offsets in the DB.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kafka import KafkaAdminClient, KafkaProducer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.structs import OffsetAndMetadata
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from ioc.db.schema import aggregator_batches, dead_letters
from ioc.db.upsert import upsert
from ioc.events.contracts import BY_TOPIC, TOPIC_DLQ
from ioc.events.decode import ROW, decode_batch
from streams import offsets
from streams.alert_evaluator import AlertEvaluator
from streams.apply import APPLY
from streams.clients import make_consumer, make_producer
from streams.reminder_scan import ReminderScanner
from streams.topics import STREAM_TOPICS

log = logging.getLogger(__name__)

# Test hook: exit hard right after the Nth batch's DB commit, before the Kafka commit.
CRASH_AFTER_DB_COMMIT = int(os.environ.get("IOC_CRASH_AFTER_DB_COMMIT", "0") or 0)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def cluster_id_of(bootstrap: str) -> str:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="ioc-cluster-id")
    try:
        return str(admin.describe_cluster()["cluster_id"])
    finally:
        admin.close()


@dataclass
class BatchStats:
    records: int = 0
    applied: int = 0
    dead: int = 0
    archived_dead: int = 0


@dataclass
class AggregatorStats:
    batches: int = 0
    records: int = 0
    dead: int = 0
    fenced: int = 0
    last_batch: BatchStats = field(default_factory=BatchStats)


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, agg: Aggregator) -> None:
        self.agg = agg

    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        for tp in revoked:
            self.agg.expected.pop(tp, None)

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.agg.seek_to_stored(list(assigned))


class Aggregator:
    def __init__(self, bootstrap: str, engine: Engine, group: str = "ioc-aggregator",
                 instance: str | None = None, max_poll_records: int = 20000,
                 topics: tuple[str, ...] = (*STREAM_TOPICS, TOPIC_DLQ),
                 producer: KafkaProducer | None = None,
                 reminders: ReminderScanner | None = None,
                 reminder_every_s: float = 60.0,
                 alerts: AlertEvaluator | None = None,
                 alert_every_s: float = 5.0) -> None:
        self.bootstrap = bootstrap
        self.engine = engine
        self.group = group
        self.instance = instance or f"{socket.gethostname()}-{os.getpid()}-{id(self):x}"
        self.topics = topics
        self.max_poll_records = max_poll_records
        self.cluster_id = cluster_id_of(bootstrap)
        self.consumer = make_consumer(bootstrap, group, client_id=self.instance,
                                      max_poll_records=max_poll_records)
        self.producer = producer or make_producer(bootstrap, client_id=f"{self.instance}-dlq")
        self.expected: dict[TopicPartition, offsets.Stored | None] = {}
        self.stats = AggregatorStats()
        self._last_heartbeat = 0.0
        self._lag = 0
        self.consumer.subscribe(list(topics), listener=_Rebalance(self))
        self.reminders = reminders
        self.reminder_every_s = reminder_every_s
        self._last_reminder = 0.0
        self.alerts = alerts
        self.alert_every_s = alert_every_s
        self._last_alerts = 0.0

    # ------------------------------------------------------------ offsets
    def seek_to_stored(self, tps: list[TopicPartition]) -> None:
        with self.engine.connect() as conn:
            stored = offsets.load(conn, self.group, tps)
        for tp in tps:
            st = stored.get(tp)
            self.expected[tp] = st
            if st is not None and st.cluster_id == self.cluster_id:
                self.consumer.seek(tp, st.next_offset)
            else:
                # No offset yet, or offsets of another broker (a compacted embedded one).
                self.consumer.seek_to_beginning(tp)
        log.info("%s assigned %s", self.instance, sorted((t.topic, t.partition) for t in tps))

    # ------------------------------------------------------------ one batch
    def poll_once(self, timeout_ms: int = 1000) -> BatchStats:
        polled = self.consumer.poll(timeout_ms=timeout_ms, max_records=self.max_poll_records)
        batch = BatchStats()
        if not polled:
            self._heartbeat(batch)
            return batch
        by_topic: dict[str, list] = defaultdict(list)
        new_offsets: dict[TopicPartition, int] = {}
        for tp, recs in polled.items():
            by_topic[tp.topic].extend(recs)
            new_offsets[tp] = recs[-1].offset + 1
            batch.records += len(recs)
        decoded = {}
        dead_out = []
        for topic, recs in by_topic.items():
            if topic == TOPIC_DLQ:
                continue
            contract = BY_TOPIC[topic]
            d = decode_batch([r.value or b"" for r in recs], contract)
            decoded[contract.stream] = d.frame.drop(ROW)
            dead_out.extend((recs[i], reason) for i, reason in d.bad)
        self._dead_letter(dead_out)
        batch.dead = len(dead_out)
        try:
            with self.engine.begin() as conn:
                for stream, frame in decoded.items():
                    batch.applied += APPLY[stream](conn, frame)
                batch.archived_dead = self._archive(conn, by_topic.get(TOPIC_DLQ, []))
                for tp, off in new_offsets.items():
                    offsets.advance(conn, self.group, tp, self.expected.get(tp),
                                    offsets.Stored(self.cluster_id, off))
                self._write_heartbeat(conn, batch, committed=True)
        except (offsets.Fenced, OperationalError) as exc:
            # Rolled back: another instance owns the partition now, or the database hit a
            # transient error (deadlock, lost connection). Re-read from the stored offsets.
            log.warning("%s batch rolled back, re-seeking: %s", self.instance,
                        str(exc).splitlines()[0][:300])
            self.stats.fenced += 1
            self.seek_to_stored(list(self.consumer.assignment()))
            return BatchStats()
        for tp, off in new_offsets.items():
            self.expected[tp] = offsets.Stored(self.cluster_id, off)
        if self.stats.batches + 1 == CRASH_AFTER_DB_COMMIT:
            os._exit(17)  # fault injection for the crash test: DB committed, Kafka not
        self._commit_kafka(new_offsets)
        self.stats.batches += 1
        self.stats.records += batch.records
        self.stats.dead += batch.dead
        self.stats.last_batch = batch
        return batch

    def _commit_kafka(self, new_offsets: dict[TopicPartition, int]) -> None:
        # The DB is the source of truth; the Kafka commit only feeds lag tools. Best effort.
        try:
            self.consumer.commit({tp: OffsetAndMetadata(o, "", -1)
                                  for tp, o in new_offsets.items()})
        except Exception as exc:  # noqa: BLE001 - a failed Kafka commit loses nothing
            log.info("kafka commit skipped: %r", exc)

    def _dead_letter(self, dead: list) -> None:
        futures = []
        for rec, reason in dead:
            headers = [(k, v) for k, v in (rec.headers or [])
                       if k not in ("reason", "stage", "original_topic")]
            headers += [("reason", reason.encode()), ("stage", b"aggregate"),
                         ("original_topic", rec.topic.encode()),
                         ("original_partition", str(rec.partition).encode()),
                         ("original_offset", str(rec.offset).encode())]
            futures.append(self.producer.send(TOPIC_DLQ, key=rec.key, value=rec.value or b"",
                                              headers=headers))
            log.warning("dead letter %s[%s]@%s: %s", rec.topic, rec.partition, rec.offset,
                        reason[:300])
        if futures:
            self.producer.flush()
            for f in futures:
                f.get(timeout=30)  # before the DB commit: a crash re-sends, never loses

    def _archive(self, conn: Connection, recs: list) -> int:
        rows = []
        for r in recs:
            h = {k: v.decode("utf-8", "replace") for k, v in (r.headers or [])}
            rows.append({"cluster_id": self.cluster_id, "partition": r.partition,
                         "offset": r.offset, "original_topic": h.get("original_topic"),
                         "reason": h.get("reason", "unknown"), "stage": h.get("stage", "?"),
                         "source": h.get("source"), "payload": r.value,
                         "dead_at": datetime.fromtimestamp(r.timestamp / 1000, UTC)
                         .replace(tzinfo=None) if r.timestamp and r.timestamp > 0 else utcnow()})
        upsert(conn, dead_letters, rows, keys=("cluster_id", "partition", "offset"))
        return len(rows)

    # ------------------------------------------------------------ heartbeat
    def _measure_lag(self) -> int:
        assigned = list(self.consumer.assignment())
        if not assigned:
            return 0
        ends = self.consumer.end_offsets(assigned)
        return int(sum(max(0, ends[tp] - self.consumer.position(tp)) for tp in assigned))

    def _write_heartbeat(self, conn: Connection, batch: BatchStats, committed: bool) -> None:
        now = utcnow()
        row = {"instance": self.instance, "consumer_group": self.group, "heartbeat_at": now,
               "committed_at": now, "events_total": batch.records if committed else 0,
               "last_batch_events": batch.records, "lag": self._lag}
        replace = ["heartbeat_at", "lag", "consumer_group"]
        if committed:
            replace += ["committed_at", "last_batch_events"]
            upsert(conn, aggregator_batches, [row], keys=("instance",), replace=replace,
                   add=["events_total"])
        else:
            upsert(conn, aggregator_batches, [row], keys=("instance",), replace=replace)

    def _heartbeat(self, batch: BatchStats) -> None:
        if time.monotonic() - self._last_heartbeat < 2.0:
            return
        self._last_heartbeat = time.monotonic()
        try:
            self._lag = self._measure_lag()
        except Exception as exc:  # noqa: BLE001 - lag is informative only
            log.info("lag measurement failed: %r", exc)
        with self.engine.begin() as conn:
            self._write_heartbeat(conn, batch, committed=False)

    # ------------------------------------------------------------ loop
    def _maybe_remind(self, batch: BatchStats) -> None:
        # Only when caught up (a partial batch): while a backlog is being read, dossiers may
        # look open that later events have already completed.
        if (self.reminders is None or batch.records >= self.max_poll_records
                or time.monotonic() - self._last_reminder < self.reminder_every_s):
            return
        self._last_reminder = time.monotonic()
        try:
            self.reminders.scan_once()
        except Exception:
            log.exception("reminder scan failed")

    def _maybe_evaluate(self, batch: BatchStats) -> None:
        # Right after a commit (new data), else at least every alert_every_s (the clock moves
        # overdue figures too); not while a backlog is being read.
        if self.alerts is None or batch.records >= self.max_poll_records:
            return
        due = time.monotonic() - self._last_alerts >= self.alert_every_s
        if not (batch.records or due):
            return
        self._last_alerts = time.monotonic()
        try:
            self.alerts.evaluate_once(external=False)
        except Exception:
            log.exception("alert evaluation failed")

    def run(self, stop: threading.Event) -> AggregatorStats:
        while not stop.is_set():
            batch = self.poll_once()
            if batch.records:
                self._heartbeat(batch)
            self._maybe_evaluate(batch)
            self._maybe_remind(batch)
        return self.stats

    def close(self) -> None:
        try:
            self.consumer.close(autocommit=False)
        finally:
            self.producer.close(timeout=5)
