"""Each long-running connector's heartbeat: when it last polled, when a poll last succeeded
(even with nothing new: a quiet source is not stale), its last error (redacted, bounded) and
the records it sent, so freshness (which never talks to Kafka) can name the stream that
stopped. The connector runtime writes it through `HeartbeatWriter`, throttled; one-shot
imports write none. A row not updated within the expiry is a removed connector: readers ignore
it and the next writer deletes it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import SQLAlchemyError

from ioc.db.schema import connector_heartbeats as ch
from ioc.db.upsert import upsert

log = logging.getLogger(__name__)

ERROR_CHARS = 300  # the column's width
DEFAULT_EXPIRY_SECONDS = 24 * 3600.0
WRITE_EVERY_SECONDS = 5.0  # at most one write per connector this often, unless its state flips
PRUNE_EVERY_SECONDS = 3600.0


@dataclass(frozen=True)
class ConnectorHeartbeat:
    connector: str
    stream: str
    started_at: datetime  # naive UTC, like every time below
    last_attempt_at: datetime
    last_ok_at: datetime | None
    last_error: str | None
    records_total: int
    interval_seconds: float
    updated_at: datetime


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def record(engine: Engine, connector: str, stream: str, *, ok: bool, error: str | None = None,
           records: int = 0, interval_seconds: float = 0.0, started_at: datetime | None = None,
           now: datetime | None = None) -> None:
    """One poll's outcome. A success clears the last error; a failure keeps last_ok_at.
    `error` must come redacted (ioc.events.redact.redacted_reason: ioc.db does not import the
    redaction); it is cut to the column here."""
    now = now or _now()
    row = {"connector": connector, "stream": stream, "started_at": started_at or now,
           "last_attempt_at": now, "last_ok_at": now if ok else None,
           "last_error": None if ok else (error or "error")[:ERROR_CHARS],
           "records_total": int(records), "interval_seconds": float(interval_seconds),
           "updated_at": now}
    replace = ["stream", "started_at", "last_attempt_at", "last_error", "interval_seconds",
               "updated_at"]
    if ok:
        replace.append("last_ok_at")
    with engine.begin() as conn:
        upsert(conn, ch, [row], keys=("connector",), replace=replace, add=("records_total",))


def load(engine: Engine, now: datetime | None = None,
         expiry_seconds: float = DEFAULT_EXPIRY_SECONDS) -> list[ConnectorHeartbeat]:
    """The live rows (updated within the expiry), by connector name."""
    cutoff = (now or _now()) - timedelta(seconds=expiry_seconds)
    with engine.connect() as conn:
        rows = conn.execute(select(ch).where(ch.c.updated_at >= cutoff)
                            .order_by(ch.c.connector)).all()
    return [ConnectorHeartbeat(r.connector, r.stream, r.started_at, r.last_attempt_at,
                               r.last_ok_at, r.last_error, int(r.records_total),
                               float(r.interval_seconds), r.updated_at) for r in rows]


def prune(engine: Engine, now: datetime | None = None,
          expiry_seconds: float = DEFAULT_EXPIRY_SECONDS) -> int:
    """Delete the rows of removed connectors; returns how many went."""
    cutoff = (now or _now()) - timedelta(seconds=expiry_seconds)
    with engine.begin() as conn:
        return int(conn.execute(delete(ch).where(ch.c.updated_at < cutoff)).rowcount or 0)


class HeartbeatWriter:
    """The runtime's side: `beat` after every poll; it writes when the state flips (ok ↔
    failing), on the first beat, or when WRITE_EVERY_SECONDS have passed, so a connector
    polling many times a second costs one small write every few seconds. A failed write is
    logged and never stops the connector."""

    def __init__(self, engine: Engine, connector: str, stream: str, interval_seconds: float,
                 expiry_seconds: float = DEFAULT_EXPIRY_SECONDS,
                 every: float = WRITE_EVERY_SECONDS) -> None:
        self.engine = engine
        self.connector = connector
        self.stream = stream
        self.interval_seconds = interval_seconds
        self.expiry_seconds = expiry_seconds
        self.every = every
        self.started_at = _now()
        self._last_write: float | None = None
        self._last_ok: bool | None = None
        self._records = 0  # sent since the last write
        self._last_prune: float | None = None
        self.writes = 0

    def beat(self, ok: bool, records: int = 0, error: str | None = None,
             force: bool = False) -> bool:
        """Returns whether it wrote; `force` for the last word of a connector that stops."""
        self._records += records
        t = time.monotonic()
        due = (force or self._last_write is None or ok != self._last_ok
               or t - self._last_write >= self.every)
        if not due:
            return False
        self._last_write, self._last_ok = t, ok
        try:
            record(self.engine, self.connector, self.stream, ok=ok, error=error,
                   records=self._records, interval_seconds=self.interval_seconds,
                   started_at=self.started_at)
            self._records = 0
            self.writes += 1
            if self._last_prune is None or t - self._last_prune >= PRUNE_EVERY_SECONDS:
                self._last_prune = t
                prune(self.engine, expiry_seconds=self.expiry_seconds)
        except SQLAlchemyError as exc:
            log.warning("%s: heartbeat not written: %s", self.connector, type(exc).__name__)
            return False
        return True

    def flush(self) -> None:
        """On a clean stop: records counted since the last write are not lost."""
        if self._records and self._last_ok is not False:
            self.beat(True, force=True)
