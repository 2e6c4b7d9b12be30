"""A batch's one transaction — entity state, buckets, dead letters, archived dead letters, the
aggregator's heartbeat and the fenced consumer offsets — and, when a record makes it raise,
the search for the records that raise on their own (trial transactions, always rolled back).

It touches no Kafka client, so it can run in a process of its own (`TransactorProcess`):
kafka-python's record unpacking and the decoding hold the GIL for about as long as the
transaction's Python work does, so in one process a thread overlaps little of the two. The
consumer, the dead-letter producer and every offset decision stay with the aggregator; what
crosses the pipe is the decoded frames, the offsets and the few records that are dead or
archived.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import resource
import threading
import time
from collections import defaultdict
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl
from kafka import TopicPartition
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from ioc.db.schema import aggregator_batches, dead_letters
from ioc.db.upsert import upsert
from ioc.events.contracts import BY_TOPIC, TOPIC_DLQ
from ioc.events.decode import ROW
from ioc.events.redact import payload_digest, redact_payload, redact_text, redacted_reason
from streams import offsets
from streams.apply import APPLY

# What a poison record may raise: any Exception, and Polars/pyo3 panics (a BaseException).
POISON: tuple[type[BaseException], ...] = (Exception, pl.exceptions.PanicException)
STAGE_APPLY = "apply"
REASON_CHARS = 300  # type name + the message's first 240 characters
_QUOTED = re.compile(r"""(["'])(?:(?!\1).){0,2000}\1""")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def exception_reason(exc: BaseException) -> str:
    """Exception type and the first line of its message, quoted values masked and personal
    data redacted: SQL drivers and our own code may quote the offending value."""
    orig = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's exception
    lines = str(orig).strip().splitlines()
    msg = _QUOTED.sub(r"\1…\1", lines[0] if lines else "")[:240]
    return redacted_reason(f"{type(exc).__name__}: {msg}".rstrip(": "), REASON_CHARS)


def dead_id_of(cluster_id: str, topic: str, partition: int, offset: int) -> str:
    return f"{cluster_id}/{topic}/{partition}/{offset}"


def header(value: bytes | None, limit: int) -> str | None:
    # Headers come from anyone who can produce: decode leniently, no NUL, bounded.
    if value is None:
        return None
    return value.decode("utf-8", "replace").replace("\x00", "")[:limit]


@dataclass
class DeadRecord:
    rec: Any  # the ConsumerRecord
    reason: str
    stage: str


@dataclass
class Job:
    """One transaction's input. `frames` carry the ROW index into the poll's records per
    topic; `archive` holds records read from ioc.dlq."""
    frames: dict[str, pl.DataFrame]
    archive: list
    dead: list[DeadRecord]
    expected: dict[TopicPartition, offsets.Stored | None]
    new_offsets: dict[TopicPartition, int]
    records: int
    lag: int


@dataclass
class Outcome:
    """committed; else rolled back because `failure` (fenced, a transient database error,
    or a failure no record explains alone), or because the records in `poison` raise."""
    committed: bool = False
    applied: int = 0
    archived: int = 0
    failure: str | None = None
    transient: bool = False  # fenced or OperationalError: re-read, no back-off
    poison: list[tuple[str, int, str]] = field(default_factory=list)  # (topic, index, reason)
    peak_rss_mb: float = 0.0
    cpu_s: float = 0.0  # the transactor process's CPU time so far (user + system)


def write_heartbeat(conn: Connection, instance: str, group: str, lag: int, records: int,
                    committed: bool) -> None:
    now = utcnow()
    row = {"instance": instance, "consumer_group": group, "heartbeat_at": now,
           "committed_at": now, "events_total": records if committed else 0,
           "last_batch_events": records, "lag": lag}
    replace = ["heartbeat_at", "lag", "consumer_group"]
    if committed:
        replace += ["committed_at", "last_batch_events"]
        upsert(conn, aggregator_batches, [row], keys=("instance",), replace=replace,
               add=["events_total"])
    else:
        upsert(conn, aggregator_batches, [row], keys=("instance",), replace=replace)


class Transactor:
    def __init__(self, engine: Engine, group: str, cluster_id: str, instance: str) -> None:
        self.engine = engine
        self.group = group
        self.cluster_id = cluster_id
        self.instance = instance

    def run(self, job: Job) -> Outcome:
        """One transaction; on a poison failure, trial transactions find the records that
        raise alone (the caller dead-letters them and runs the rest again)."""
        out = Outcome()
        try:
            with self.engine.begin() as conn:
                out.applied = self.apply(conn, job.frames, job.archive)
                self.store_dead(conn, job.dead)
                for tp, off in job.new_offsets.items():
                    offsets.advance(conn, self.group, tp, job.expected.get(tp),
                                    offsets.Stored(self.cluster_id, off))
                self.write_heartbeat(conn, job.records, job.lag)
            out.committed, out.archived = True, len(job.archive)
        except (offsets.Fenced, OperationalError) as exc:
            # Another instance owns the partition now, or the database hit a transient error
            # (deadlock, lost connection): the caller re-reads from the stored offsets.
            out.failure, out.transient = first_line(exc), True
        except POISON as exc:
            out.failure = exception_reason(exc)
            try:
                out.poison = self.isolate(job.frames, job.archive)
            except OperationalError as again:
                out.failure, out.transient = first_line(again), True
        return out

    def write_heartbeat(self, conn: Connection, records: int, lag: int) -> None:
        write_heartbeat(conn, self.instance, self.group, lag, records, committed=True)

    def apply(self, conn: Connection, frames: dict[str, pl.DataFrame], archive: list) -> int:
        applied = 0
        for topic, frame in frames.items():
            applied += APPLY[BY_TOPIC[topic].stream](conn, frame.drop(ROW))
        self.archive(conn, archive)
        return applied

    def trial(self, frames: dict[str, pl.DataFrame], archive: list) -> BaseException | None:
        """Apply a subset in a transaction that is always rolled back: what does it raise?
        A transient database error propagates (the whole batch is retried later)."""
        with self.engine.connect() as conn:
            tx = conn.begin()
            try:
                self.apply(conn, frames, archive)
            except OperationalError:
                raise
            except POISON as exc:
                return exc
            finally:
                if tx.is_active:
                    tx.rollback()
        return None

    def isolate(self, frames: dict[str, pl.DataFrame], archive: list
                ) -> list[tuple[str, int, str]]:
        """Bisect the batch (records of every topic, archived dead letters too) until the
        records that raise on their own are found: (topic, index in the poll, reason)."""
        units: list[tuple[str, int]] = [(t, int(i)) for t, f in frames.items()
                                        for i in f[ROW].to_list()]
        units += [(TOPIC_DLQ, i) for i in range(len(archive))]
        found: list[tuple[str, int, str]] = []

        def subset(part: list[tuple[str, int]]) -> tuple[dict[str, pl.DataFrame], list]:
            rows: dict[str, list[int]] = defaultdict(list)
            for t, i in part:
                rows[t].append(i)
            sub = {t: f.filter(pl.col(ROW).is_in(rows[t])) for t, f in frames.items()
                   if rows.get(t)}
            return sub, [archive[i] for i in rows.get(TOPIC_DLQ, [])]

        def bisect(part: list[tuple[str, int]], exc: BaseException) -> None:
            if len(part) == 1:
                found.append((*part[0], exception_reason(exc)))
                return
            mid = len(part) // 2
            for half in (part[:mid], part[mid:]):
                failure = self.trial(*subset(half))
                if failure is not None:
                    bisect(half, failure)

        first = self.trial(frames, archive)
        if first is not None:
            bisect(units, first)
        return found

    def _dead_id(self, rec: Any) -> str:
        return dead_id_of(self.cluster_id, rec.topic, rec.partition, rec.offset)

    def store_dead(self, conn: Connection, dead: list[DeadRecord]) -> None:
        now = utcnow()
        rows = []
        for d in dead:
            rec = d.rec
            h = {k: v for k, v in (rec.headers or [])}
            value = rec.value or b""
            rows.append({"dead_id": self._dead_id(rec), "cluster_id": self.cluster_id,
                         "original_topic": rec.topic, "original_partition": rec.partition,
                         "original_offset": rec.offset, "reason": d.reason,
                         "stage": d.stage, "source": header(h.get("source"), 100),
                         "payload": redact_payload(value),
                         "payload_sha256": payload_digest(value), "dead_at": now})
        # First write wins: the copy on ioc.dlq is archived under the same dead_id.
        upsert(conn, dead_letters, rows, keys=("dead_id",))

    def archive(self, conn: Connection, recs: list) -> int:
        rows = []
        for r in recs:
            h = {k: v for k, v in (r.headers or [])}
            topic = header(h.get("original_topic"), 200)
            part, off = header(h.get("original_partition"), 20), header(
                h.get("original_offset"), 30)
            has_origin = bool(topic and part and off and part.isdigit() and off.isdigit())
            dead_id = (header(h.get("dead_id"), 300)
                       or (dead_id_of(self.cluster_id, topic or "", int(part or 0),
                                      int(off or 0)) if has_origin else None)
                       or dead_id_of(self.cluster_id, r.topic, r.partition, r.offset))
            value = r.value or b""
            rows.append({"dead_id": dead_id, "cluster_id": self.cluster_id,
                         "original_topic": topic,
                         "original_partition": int(part or 0) if has_origin else None,
                         "original_offset": int(off or 0) if has_origin else None,
                         "reason": redact_text(header(h.get("reason"), 2000) or "unknown")[0],
                         "stage": header(h.get("stage"), 32) or "?",
                         "source": header(h.get("source"), 100),
                         "payload": redact_payload(value),
                         "payload_sha256": header(h.get("payload_sha256"), 64)
                         or payload_digest(value),
                         "dead_at": datetime.fromtimestamp(r.timestamp / 1000, UTC)
                         .replace(tzinfo=None) if r.timestamp and r.timestamp > 0 else utcnow()})
        # A dead letter sent twice (crash before the commit, a connector re-sending a batch)
        # has one dead_id: stored once, first write wins.
        upsert(conn, dead_letters, _unique(rows), keys=("dead_id",))
        return len(rows)


def first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _unique(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per dead_id (a batch may hold a dead letter and its re-send)."""
    return list({r["dead_id"]: r for r in reversed(rows)}.values())


# ---------------------------------------------------------------- in a process of its own
_CHILD: Transactor | None = None


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def _exit_with(aggregator_pid: int) -> None:
    # A pool worker holds its own call queue's write end, so it never reads EOF when the
    # aggregator dies (kill -9): it would live on with its database connection. A
    # transaction cut short here rolls back; its records are read again by the next owner.
    while _alive(aggregator_pid):
        time.sleep(0.5)
    os._exit(0)


def _start_child(url: str, group: str, cluster_id: str, instance: str,
                 aggregator_pid: int) -> None:
    global _CHILD
    from ioc.db.engine import make_engine

    threading.Thread(target=_exit_with, args=(aggregator_pid,), daemon=True,
                     name="ioc-transactor-watchdog").start()
    _CHILD = Transactor(make_engine(url), group, cluster_id, instance)


def _run_in_child(job: Job) -> Outcome:
    assert _CHILD is not None, "transactor process not started"
    out = _CHILD.run(job)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.peak_rss_mb = usage.ru_maxrss / 1024
    out.cpu_s = usage.ru_utime + usage.ru_stime
    return out


def _ready() -> bool:
    return _CHILD is not None


class TransactorProcess:
    """A Transactor in one worker process with its own engine. Started from a fork server
    (a fresh interpreter with this module preloaded): never forked from the aggregator, whose
    Kafka and Polars threads a fork would copy mid-lock. If the worker dies, the next result
    raises (BrokenProcessPool) and the aggregator stops: nothing after its last commit was
    applied, so a restart re-reads it."""

    def __init__(self, url: str, group: str, cluster_id: str, instance: str) -> None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=ctx,
                                         initializer=_start_child,
                                         initargs=(url, group, cluster_id, instance,
                                                   os.getpid()))
        self.peak_rss_mb = 0.0
        self.cpu_s = 0.0  # the worker's CPU time as of its last batch (the bench's figures)
        self._pool.submit(_ready).result()  # started before the first batch is timed

    def submit(self, job: Job) -> Future[Outcome]:
        return self._pool.submit(_run_in_child, job)

    def run(self, job: Job) -> Outcome:
        out = self.submit(job).result()
        self.peak_rss_mb = max(self.peak_rss_mb, out.peak_rss_mb)
        self.cpu_s = max(self.cpu_s, out.cpu_s)
        return out

    @property
    def pids(self) -> list[int]:
        return list(self._pool._processes or {})

    def close(self) -> None:
        self._pool.shutdown(wait=True)
