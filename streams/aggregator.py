"""The aggregator: a kafka-python consumer in a group that turns stream topics into SQL state.

Per poll: decode each topic's records in bulk, dead-letter what breaks the contract, then in
ONE database transaction apply entity state + bucket deltas + dead letters + the fenced
consumer offsets; commit to Kafka only after. On assignment, seek to the offsets in the DB.
The transaction itself runs in the transactor process (streams/transactor.py): this process
polls, decodes, dead-letters and decides; that one writes.

A poison record cannot stall or crash-loop it: any exception while decoding or applying (not
only fencing) makes the batch be bisected (decoding here, trial transactions that are rolled
back in the transactor) until the records that raise are alone; they are dead-lettered (stage
`aggregate` or `apply`, the exception as the reason) and the rest commits as usual. Dead
letters are keyed by the original topic, partition and offset under the cluster id, so a
re-sent or re-read one is stored once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from kafka import KafkaAdminClient, KafkaProducer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.structs import OffsetAndMetadata
from sqlalchemy import Engine, delete

from ioc.db.schema import dead_letters
from ioc.events.contracts import BY_TOPIC, FEEDBACK, SOCIAL, TOPIC_DLQ, Contract
from ioc.events.decode import ROW, Decoded, decode_batch
from ioc.events.redact import payload_digest, redact_frame, redact_payload
from streams import offsets
from streams.alert_evaluator import AlertEvaluator
from streams.clients import make_consumer, make_producer
from streams.reminder_scan import ReminderScanner
from streams.topics import STREAM_TOPICS
from streams.transactor import (
    POISON,
    STAGE_APPLY,
    DeadRecord,
    Job,
    Transactor,
    TransactorProcess,
    dead_id_of,
    exception_reason,
    first_line,
    utcnow,
    write_heartbeat,
)

log = logging.getLogger(__name__)

# Test hook: exit hard right after the Nth batch's DB commit, before the Kafka commit.
CRASH_AFTER_DB_COMMIT = int(os.environ.get("IOC_CRASH_AFTER_DB_COMMIT", "0") or 0)
# Test hook: exit hard right after the Nth send of dead letters to ioc.dlq, before the DB commit.
CRASH_AFTER_DLQ_SEND = int(os.environ.get("IOC_CRASH_AFTER_DLQ_SEND", "0") or 0)
# Dead letters older than this are purged (at most hourly) by the aggregator.
DLQ_RETENTION_DAYS = float(os.environ.get("IOC_DLQ_RETENTION_DAYS", "30") or 30)
PURGE_EVERY_S = 3600.0
# How long a poll waits for the next fetch to top a batch up (see Aggregator._poll).
TOP_UP_MS = int(os.environ.get("IOC_POLL_TOP_UP_MS", "50") or 50)
# The aggregator's own dead letters: the stage of the decoder (the apply stage: transactor).
STAGE_DECODE = "aggregate"
__all__ = ["Aggregator", "STAGE_APPLY", "dead_id_of", "utcnow"]


def cluster_id_of(bootstrap: str) -> str:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="ioc-cluster-id")
    try:
        return str(admin.describe_cluster()["cluster_id"])
    finally:
        admin.close()


class RolledBack(RuntimeError):
    """Why a batch's transaction was rolled back (raised nowhere: returned to _settle)."""


@dataclass
class BatchStats:
    records: int = 0
    applied: int = 0
    dead: int = 0
    archived_dead: int = 0
    poison: int = 0  # of `dead`: records that raised while applied


@dataclass
class _Pending:
    """A polled batch, decoded, waiting for (or in) its transaction."""
    expected: dict[TopicPartition, offsets.Stored | None]  # stored offsets when polled
    by_topic: dict[str, list] = field(default_factory=lambda: defaultdict(list))
    new_offsets: dict[TopicPartition, int] = field(default_factory=dict)
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)  # ROW = index in by_topic
    dead: list[DeadRecord] = field(default_factory=list)
    archive: list = field(default_factory=list)
    stats: BatchStats = field(default_factory=BatchStats)


@dataclass
class _Settled:
    stats: BatchStats
    rolled_back: bool


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
        self.agg.rebalances += 1
        # A batch in flight commits (or is fenced) before its partitions can be handed over;
        # on_partitions_assigned re-seeks every partition we get, so no re-seek here.
        self.agg._settle_inflight(reseek=False)
        for tp in revoked:
            self.agg.expected.pop(tp, None)

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.agg.rebalances += 1
        self.agg.seek_to_stored(list(assigned))


class Aggregator:
    def __init__(self, bootstrap: str, engine: Engine, group: str = "ioc-aggregator",
                 instance: str | None = None, max_poll_records: int = 20000,
                 topics: tuple[str, ...] = (*STREAM_TOPICS, TOPIC_DLQ),
                 producer: KafkaProducer | None = None,
                 reminders: ReminderScanner | None = None,
                 reminder_every_s: float = 60.0,
                 alerts: AlertEvaluator | None = None,
                 alert_every_s: float = 5.0,
                 dlq_retention_days: float | None = None,
                 apply_in_process: bool = True) -> None:
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
        self.rebalances = 0  # revocations + assignments seen, to spot one inside a poll
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
        self.dlq_retention_days = (DLQ_RETENTION_DAYS if dlq_retention_days is None
                                   else dlq_retention_days)
        self._last_purge = 0.0
        self._dlq_sends = 0
        # The batch's transaction runs in a process of its own (see streams.transactor); in
        # this process only when a caller needs to reach into it (tests' fault injection).
        self.transactor: Transactor | TransactorProcess = (
            TransactorProcess(engine.url.render_as_string(hide_password=False), group,
                              self.cluster_id, self.instance) if apply_in_process
            else Transactor(engine, group, self.cluster_id, self.instance))
        # One apply thread waits for a full batch's transaction while this thread polls and
        # decodes the next one.
        self._apply_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ioc-apply")
        self._inflight: tuple[_Pending, Future[BaseException | None]] | None = None

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
    def _poll(self, timeout_ms: int) -> dict[TopicPartition, list]:
        """One poll, topped up with what the fetcher delivers within TOP_UP_MS more, up to
        max_poll_records: kafka-python returns a few thousand records per fetch, and every
        batch pays a fixed cost (commit, stored-state reads, frame set-up).

        If the group rebalanced during a top-up, the records held may belong to partitions
        no longer ours, or be re-read from the stored offsets: the batch is dropped and every
        assigned partition re-seeks to its offset in the database (nothing is applied, so
        nothing is lost or doubled)."""
        polled = self.consumer.poll(timeout_ms=timeout_ms, max_records=self.max_poll_records)
        n = sum(len(recs) for recs in polled.values())
        seen = self.rebalances
        while polled and n < self.max_poll_records:
            more = self.consumer.poll(timeout_ms=TOP_UP_MS, max_records=self.max_poll_records - n)
            if self.rebalances != seen:
                self.seek_to_stored(list(self.consumer.assignment()))
                return {}
            if not more:
                break
            for tp, recs in more.items():
                polled[tp] = [*polled.get(tp, []), *recs]  # offsets keep increasing per tp
                n += len(recs)
        return polled

    def poll_once(self, timeout_ms: int = 1000) -> BatchStats:
        """Poll, apply and commit one batch before returning (no read-ahead)."""
        polled = self._poll(timeout_ms)
        if not polled:
            batch = BatchStats()
            self._heartbeat(batch)
            return batch
        pending = self._expecting(self._prepare(polled))
        return self._settle(pending, self._transact(pending))

    def step(self, timeout_ms: int = 1000) -> BatchStats:
        """One turn of the pipelined loop: poll the next batch while the previous full one is
        applied on the apply thread, then settle that one; returns the last batch settled.

        Only a batch read from a backlog goes to the apply thread; once caught up, a batch is
        applied before returning, so the alert, reminder and purge hooks never run beside a
        transaction. Everything that touches the consumer stays on this thread; the apply
        thread only writes the database and sends dead letters. The read-ahead is held in
        memory only: if the batch before it rolls back, it is dropped and every partition
        re-seeks to its offset in the database, as after any rollback."""
        # With a batch in flight, wait for records no longer than it is likely to take: at the
        # end of a backlog an empty poll must not hold back settling it.
        polled = self._poll(min(timeout_ms, 100) if self._inflight is not None else timeout_ms)
        # Decoded while the batch in flight is in its transaction (it touches no consumer and
        # no database); the offsets it expects are known only once that batch is settled.
        prepared = self._prepare(polled) if polled else None
        settled = self._settle_inflight() if self._inflight is not None else None
        if settled is not None and settled.rolled_back:
            prepared = None  # read past offsets that were not committed: re-seeked, read again
        if prepared is None:
            batch = settled.stats if settled is not None else BatchStats()
            if settled is None or not batch.records:
                self._heartbeat(batch)
            return batch
        pending = self._expecting(prepared)
        if not self._behind():
            return self._settle(pending, self._transact(pending))
        self._inflight = (pending, self._apply_pool.submit(self._transact, pending))
        return settled.stats if settled is not None else BatchStats(records=0)

    def _behind(self) -> bool:
        """More records wait on the broker than this poll took (a backlog is being read):
        known from the high watermarks of the last fetches, without a request."""
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)
            if high is not None and self.consumer.position(tp) < high:
                return True
        return False

    @property
    def busy(self) -> bool:
        """A batch is in its transaction on the apply thread."""
        return self._inflight is not None

    def _settle_inflight(self, reseek: bool = True) -> _Settled | None:
        if self._inflight is None:
            return None
        pending, future = self._inflight
        self._inflight = None
        outcome = future.result()  # re-raises what the apply thread could not handle
        stats = self._settle(pending, outcome, reseek=reseek)
        return _Settled(stats, rolled_back=outcome is not None)

    def _prepare(self, polled: dict[TopicPartition, list]) -> _Pending:
        """Group and decode a poll's records (no database, no consumer)."""
        pending = _Pending(expected={})
        for tp, recs in polled.items():
            pending.by_topic[tp.topic].extend(recs)
            pending.new_offsets[tp] = recs[-1].offset + 1
            pending.stats.records += len(recs)
        for topic, recs in pending.by_topic.items():
            if topic == TOPIC_DLQ:
                continue
            d = self._decode(recs, BY_TOPIC[topic])
            pending.frames[topic] = d.frame
            pending.dead.extend(DeadRecord(recs[i], reason, STAGE_DECODE) for i, reason in d.bad)
        pending.archive = list(pending.by_topic.get(TOPIC_DLQ, []))
        return pending

    def _expecting(self, p: _Pending) -> _Pending:
        """The stored offsets the batch's transaction is fenced against: ours as of now (every
        batch before it settled)."""
        p.expected = {tp: self.expected.get(tp) for tp in p.new_offsets}
        return p

    def _transact(self, p: _Pending) -> BaseException | None:
        """Dead letters out, then the batch's one transaction (state, buckets, dead letters,
        the fenced offsets) by the transactor. Returns None when committed, else why it was
        rolled back. Runs on the caller's thread or the apply thread: touches no consumer
        state."""
        batch, frames, archive, dead = p.stats, p.frames, p.archive, p.dead
        sent = 0
        while True:
            sent = self._dead_letter(dead, sent)
            out = self.transactor.run(Job(frames, archive, dead, p.expected, p.new_offsets,
                                          batch.records, self._lag))
            if out.committed:
                batch.applied, batch.archived_dead = out.applied, out.archived
                break
            if out.transient:  # fenced, or a transient database error: re-read
                return RolledBack(out.failure or "rolled back")
            if not out.poison:
                # Nothing raises alone: not a record's fault (the database or our code).
                # Re-read later rather than dead-letter good records; never crash.
                log.error("%s batch fails (%s) but no record raises alone; retrying",
                          self.instance, out.failure)
                time.sleep(1.0)  # back off: the same batch will be read again
                return RolledBack(out.failure or "failed")
            log.warning("%s batch failed (%s): %d records raise alone, dead-lettered",
                        self.instance, out.failure, len(out.poison))
            poison = [DeadRecord(archive[i] if t == TOPIC_DLQ else p.by_topic[t][i], reason,
                                 STAGE_APPLY) for t, i, reason in out.poison]
            frames, archive = self._without(p.by_topic, frames, archive, poison)
            dead.extend(poison)
            batch.poison += len(poison)
        batch.dead = len(dead)
        return None

    def _settle(self, p: _Pending, failure: BaseException | None,
                reseek: bool = True) -> BatchStats:
        """After the transaction, on the consumer's thread: re-seek if it rolled back, else
        record the new offsets and commit them to Kafka (best effort, after the database)."""
        if failure is not None:
            return self._rolled_back(failure, reseek=reseek)
        for tp, off in p.new_offsets.items():
            self.expected[tp] = offsets.Stored(self.cluster_id, off)
        if self.stats.batches + 1 == CRASH_AFTER_DB_COMMIT:
            os._exit(17)  # fault injection for the crash test: DB committed, Kafka not
        self._commit_kafka(p.new_offsets)
        batch = p.stats
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

    def _rolled_back(self, exc: BaseException, reseek: bool = True) -> BatchStats:
        log.warning("%s batch rolled back, re-seeking: %s", self.instance, first_line(exc))
        self.stats.fenced += 1
        if reseek:
            self.seek_to_stored(list(self.consumer.assignment()))
        return BatchStats()

    # ------------------------------------------------------------ decode and apply
    def _decode(self, recs: list, contract: Contract) -> Decoded:
        """decode_batch, and if it raises, the same on halves until the record that makes
        it raise is alone (dead-lettered with the exception)."""
        values = [r.value or b"" for r in recs]
        try:
            d = decode_batch(values, contract)
            if contract.stream in (FEEDBACK, SOCIAL):  # covers records produced straight here
                d.frame = redact_frame(d.frame)
            return d
        except POISON as exc:
            if len(recs) == 1:
                return Decoded(frame=decode_batch([], contract).frame,
                               bad=[(0, exception_reason(exc))])
        mid = len(recs) // 2
        left, right = self._decode(recs[:mid], contract), self._decode(recs[mid:], contract)
        shifted = right.frame.with_columns(pl.col(ROW) + mid)
        return Decoded(frame=pl.concat([left.frame, shifted]),
                       bad=left.bad + [(i + mid, r) for i, r in right.bad])

    @staticmethod
    def _without(by_topic: dict[str, list], frames: dict[str, pl.DataFrame], archive: list,
                 poison: list[DeadRecord]) -> tuple[dict[str, pl.DataFrame], list]:
        ids = {id(d.rec) for d in poison}
        kept = {}
        for topic, frame in frames.items():
            recs = by_topic[topic]
            drop = [i for i in frame[ROW].to_list() if id(recs[i]) in ids]
            kept[topic] = frame.filter(~pl.col(ROW).is_in(drop)) if drop else frame
        return kept, [r for r in archive if id(r) not in ids]

    # ------------------------------------------------------------ dead letters
    def _dead_letter(self, dead: list[DeadRecord], start: int) -> int:
        """Send dead[start:] to ioc.dlq, redacted, before the DB commit (a crash re-sends;
        the table is keyed by the original offset, so the row is stored once)."""
        futures = []
        for d in dead[start:]:
            rec = d.rec
            value = rec.value or b""
            ours = ("reason", "stage", "original_topic", "original_partition",
                    "original_offset", "dead_id", "payload_sha256")
            headers = [(k, v) for k, v in (rec.headers or []) if k not in ours]
            headers += [("reason", d.reason.encode()), ("stage", d.stage.encode()),
                        ("original_topic", rec.topic.encode()),
                        ("original_partition", str(rec.partition).encode()),
                        ("original_offset", str(rec.offset).encode()),
                        ("dead_id", self._dead_id(rec).encode()),
                        ("payload_sha256", payload_digest(value).encode())]
            futures.append(self.producer.send(TOPIC_DLQ, key=rec.key,
                                              value=redact_payload(value), headers=headers))
            log.warning("dead letter %s[%s]@%s (%s): %s", rec.topic, rec.partition, rec.offset,
                        d.stage, d.reason[:300])
        if futures:
            self.producer.flush()
            for f in futures:
                f.get(timeout=30)  # before the DB commit: a crash re-sends, never loses
            self._dlq_sends += 1
            if self._dlq_sends == CRASH_AFTER_DLQ_SEND:
                os._exit(18)  # fault injection: dead letters sent, DB not committed
        return len(dead)

    def _dead_id(self, rec: Any) -> str:
        return dead_id_of(self.cluster_id, rec.topic, rec.partition, rec.offset)

    def purge_dead_letters(self, now: datetime | None = None) -> int:
        """Delete dead letters older than the retention period; returns how many."""
        cutoff = (now or utcnow()) - timedelta(days=self.dlq_retention_days)
        with self.engine.begin() as conn:
            return int(conn.execute(delete(dead_letters).where(
                dead_letters.c.dead_at < cutoff)).rowcount or 0)

    def _maybe_purge(self) -> None:
        if time.monotonic() - self._last_purge < PURGE_EVERY_S and self._last_purge:
            return
        self._last_purge = time.monotonic()
        try:
            n = self.purge_dead_letters()
        except Exception:
            log.exception("dead-letter purge failed")
            return
        if n:
            log.info("purged %d dead letters older than %s days", n, self.dlq_retention_days)

    # ------------------------------------------------------------ heartbeat
    def _measure_lag(self) -> int:
        assigned = list(self.consumer.assignment())
        if not assigned:
            return 0
        ends = self.consumer.end_offsets(assigned)
        return int(sum(max(0, ends[tp] - self.consumer.position(tp)) for tp in assigned))

    def _heartbeat(self, batch: BatchStats) -> None:
        if time.monotonic() - self._last_heartbeat < 2.0:
            return
        self._last_heartbeat = time.monotonic()
        try:
            self._lag = self._measure_lag()
        except Exception as exc:  # noqa: BLE001 - lag is informative only
            log.info("lag measurement failed: %r", exc)
        with self.engine.begin() as conn:
            write_heartbeat(conn, self.instance, self.group, self._lag, batch.records,
                            committed=False)

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
        try:
            while not stop.is_set():
                batch = self.step()
                if self._inflight is not None:
                    continue  # reading a backlog: the hooks wait until we are caught up
                if batch.records:
                    self._heartbeat(batch)
                self._maybe_evaluate(batch)
                self._maybe_remind(batch)
                self._maybe_purge()
        finally:
            self._settle_inflight()
        return self.stats

    def close(self) -> None:
        try:
            try:
                self._settle_inflight(reseek=False)
            except Exception:  # run() raised it already; the database is the truth
                log.exception("%s: the batch in flight failed at close", self.instance)
            self.consumer.close(autocommit=False)
        finally:
            self._apply_pool.shutdown(wait=True)
            if isinstance(self.transactor, TransactorProcess):
                self.transactor.close()
            self.producer.close(timeout=5)

