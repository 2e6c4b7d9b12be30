"""Deadline reminders to `ioc.alerts`, through a transactional outbox (`dossier_reminders`).

1. Re-send alerts whose rows were assigned an alert_id but never acknowledged by the broker
   (a crash between the DB commit and the produce): same alert_id, so consumers can dedupe.
2. Record the dossiers that newly entered near-due or overdue (insert-if-absent: concurrent
   aggregator instances cannot double-record).
3. Group pending rows per agency and kind whose digest interval has passed, assign an
   alert_id in one transaction (only rows still unassigned), produce with acks=all, mark sent.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import polars as pl
from kafka import KafkaProducer
from sqlalchemy import Engine, func, select, tuple_, update

from ioc.contracts import TOPIC_ALERTS
from ioc.db import schema as s
from ioc.db.upsert import upsert
from ioc.dossier_queries import deadline_list
from ioc.reminders import ScanResult, alert_event, alert_id, due_groups, new_reminders

log = logging.getLogger(__name__)
R = s.dossier_reminders


class _Taken(Exception):
    pass


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class ReminderScanner:
    def __init__(self, engine: Engine, producer: KafkaProducer, province_code: str,
                 digest: timedelta = timedelta(minutes=60),
                 live_within: timedelta = timedelta(hours=6)) -> None:
        self.engine = engine
        self.producer = producer
        self.province_code = province_code
        self.digest = digest
        self.live_within = live_within

    def _is_live(self, now: datetime) -> bool:
        """The dossier stream has reached the present: while a backfill or replay is still
        being read, a dossier whose result is further down the log looks open and late."""
        with self.engine.connect() as conn:
            newest = conn.execute(select(func.max(s.dossiers.c.received_at)).where(
                s.dossiers.c.province_code == self.province_code)).scalar()
        return newest is not None and newest >= now - self.live_within

    # ---------------------------------------------------------------- steps
    def _details(self, ids: list[str]) -> dict[str, dict]:
        d = s.dossiers
        cols = (d.c.dossier_id, d.c.procedure_code, d.c.procedure_name, d.c.ward_code,
                d.c.agency_name)
        with self.engine.connect() as conn:
            return {r[0]: dict(r._mapping) for r in conn.execute(
                select(*cols).where(d.c.dossier_id.in_(ids)))}

    def _produce(self, aid: str, rows: list[dict], now: datetime) -> None:
        info = self._details([r["dossier_id"] for r in rows])
        items = [{**r, **info.get(r["dossier_id"], {})} for r in rows]
        agency, kind = rows[0]["agency_code"], rows[0]["kind"]
        names = [i.get("agency_name") for i in items if i.get("agency_name")]
        event = alert_event(aid, self.province_code, agency, names[0] if names else None, kind,
                            items, now)
        value = json.dumps(event, ensure_ascii=False).encode()
        self.producer.send(TOPIC_ALERTS, key=agency.encode(), value=value,
                           headers=[("alert_id", aid.encode())]).get(timeout=30)
        with self.engine.begin() as conn:
            conn.execute(update(R).where(R.c.alert_id == aid, R.c.sent_at.is_(None))
                         .values(sent_at=now))

    def _resend_unsent(self, now: datetime) -> tuple[int, int]:
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(
                select(R).where(R.c.alert_id.is_not(None), R.c.sent_at.is_(None)))]
        by_alert: dict[str, list[dict]] = {}
        for r in rows:
            by_alert.setdefault(r["alert_id"], []).append(r)
        for aid, group in by_alert.items():
            self._produce(aid, group, now)
        return len(by_alert), len(rows)

    def _detect(self, now: datetime) -> int:
        dl = deadline_list(self.engine, f"province:{self.province_code}", now)
        if dl.is_empty():
            return 0
        keys = list(zip(dl["dossier_id"], dl["state"], dl["due_at"], strict=True))
        known: set = set()
        with self.engine.connect() as conn:
            for i in range(0, len(keys), 500):
                q = select(R.c.dossier_id, R.c.kind, R.c.due_at).where(
                    tuple_(R.c.dossier_id, R.c.kind, R.c.due_at).in_(keys[i:i + 500]))
                known.update(tuple(r) for r in conn.execute(q))
        rows = new_reminders(dl.with_columns(pl.lit(self.province_code).alias("province_code")),
                             known, now)
        if rows:
            with self.engine.begin() as conn:
                upsert(conn, R, rows, keys=("dossier_id", "kind", "due_at"))
        return len(rows)

    def _send_due(self, now: datetime) -> tuple[int, int]:
        with self.engine.connect() as conn:
            pending = [dict(r._mapping) for r in conn.execute(
                select(R).where(R.c.alert_id.is_(None)))]
            last = {(a, k): t for a, k, t in conn.execute(
                select(R.c.agency_code, R.c.kind, func.max(R.c.sent_at))
                .where(R.c.sent_at.is_not(None)).group_by(R.c.agency_code, R.c.kind))}
        alerts = dossiers = 0
        for (agency, kind), rows in sorted(due_groups(pending, last, now, self.digest).items()):
            aid = alert_id(agency, kind, rows)
            try:
                self._claim(aid, rows)
            except _Taken:
                continue  # another instance claimed some of these rows: it sends them
            self._produce(aid, rows, now)
            alerts += 1
            dossiers += len(rows)
        return alerts, dossiers

    def _claim(self, aid: str, rows: list[dict]) -> None:
        """Assign the alert id to rows still unassigned, all or none (one transaction)."""
        keys = [(r["dossier_id"], r["kind"], r["due_at"]) for r in rows]
        with self.engine.begin() as conn:
            n = 0
            for i in range(0, len(keys), 500):
                n += conn.execute(update(R).where(
                    R.c.alert_id.is_(None),
                    tuple_(R.c.dossier_id, R.c.kind, R.c.due_at).in_(keys[i:i + 500]))
                    .values(alert_id=aid)).rowcount
            if n != len(keys):
                raise _Taken  # rolls the transaction back

    # ---------------------------------------------------------------- public
    def scan_once(self, now: datetime | None = None) -> ScanResult:
        at = (now.astimezone(UTC).replace(tzinfo=None) if now and now.tzinfo else now) \
            or _utcnow()
        result = ScanResult()
        resent, resent_rows = self._resend_unsent(at)
        if not self._is_live(at):
            result.alerts, result.dossiers, result.waiting = resent, resent_rows, True
            return result
        result.detected = self._detect(at)
        alerts, covered = self._send_due(at)
        result.alerts = resent + alerts
        result.dossiers = resent_rows + covered
        if result.alerts:
            log.info("reminders: %d new, %d alert(s) covering %d dossier(s)", result.detected,
                     result.alerts, result.dossiers)
        return result
