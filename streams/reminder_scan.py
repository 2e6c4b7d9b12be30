"""Deadline reminders for dossiers and feedback, in the alert lifecycle (`ioc.alerts.reminders`).

Each scan, per stream:
1. Record the items that newly entered near-due or overdue (insert-if-absent, so concurrent
   aggregator instances cannot double-record).
2. Per (kind, agency), step the group's episode with the number of items in that state now:
   fire, remind (new items in an open episode, once per digest interval) or resolve. The
   transition, its history row, the claim of the reminded items and the notification outbox
   rows are written in one transaction; the outbox is delivered after (topic, and webhook /
   e-mail when `IOC_REMINDER_TARGETS` names them), like rule alerts, so a crash between the
   commit and the delivery re-delivers with the same ids and never loses one.
Silences match the group's synthetic rule id and its scope `agency:CODE`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, bindparam, func, select, tuple_, update

from ioc.alerts import store
from ioc.alerts.lifecycle import ACTIVE, FIRE, RESOLVE, step
from ioc.alerts.reminders import (
    REMIND,
    RULE_PREFIX,
    STREAMS,
    Group,
    ScanResult,
    alert_event,
    counts,
    digest_passed,
    group_of,
    new_reminders,
)
from ioc.db import schema as s
from ioc.db.upsert import upsert
from ioc.dossiers import queries as dossier_queries
from ioc.feedback import queries as feedback_queries
from ioc.reference.catalogue import agency as agency_info

log = logging.getLogger(__name__)
R = s.deadline_reminders
# Per stream: the deadline query, its id column and the table whose newest receipt says
# whether the stream has reached the present.
_SOURCES: dict[str, tuple[Callable[..., pl.DataFrame], str, Any]] = {
    "dossier": (dossier_queries.deadline_list, "dossier_id", s.dossiers),
    "feedback": (feedback_queries.deadline_list, "feedback_id", s.feedback),
}


class _Taken(Exception):
    pass


def _naive(now: datetime | None) -> datetime:
    n = now or datetime.now(UTC)
    return n.astimezone(UTC).replace(tzinfo=None) if n.tzinfo else n


class ReminderScanner:
    def __init__(self, engine: Engine, province_code: str,
                 digest: timedelta = timedelta(minutes=60),
                 live_within: timedelta = timedelta(hours=6),
                 targets: Sequence[str] = (),
                 deliver: Callable[[datetime], object] | None = None) -> None:
        self.engine = engine
        self.province_code = province_code
        self.digest = digest
        self.live_within = live_within
        self.channels = ["topic", *targets]
        self.deliver = deliver  # e.g. AlertEvaluator.deliver: sends the outbox

    def _is_live(self, table: Any, now: datetime) -> bool:
        """The stream has reached the present: while a backfill or replay is still being
        read, an item whose result is further down the log looks open and late."""
        with self.engine.connect() as conn:
            newest = conn.execute(select(func.max(table.c.received_at)).where(
                table.c.province_code == self.province_code)).scalar()
        return newest is not None and newest >= now - self.live_within

    # ---------------------------------------------------------------- steps
    def _detect(self, stream: str, dl: pl.DataFrame, id_col: str, now: datetime) -> int:
        if dl.is_empty():
            return 0
        keys = list(zip(dl[id_col], dl["state"], dl["due_at"], strict=True))
        known: set = set()
        with self.engine.connect() as conn:
            for i in range(0, len(keys), 500):
                q = select(R.c.item_id, R.c.kind, R.c.due_at).where(
                    R.c.stream == stream,
                    tuple_(R.c.item_id, R.c.kind, R.c.due_at).in_(keys[i:i + 500]))
                known.update(tuple(r) for r in conn.execute(q))
        rows = new_reminders(stream, dl, id_col, known, self.province_code, now)
        if rows:
            with self.engine.begin() as conn:
                upsert(conn, R, rows, keys=("stream", "item_id", "kind", "due_at"))
        return len(rows)

    def _open_episodes(self, stream: str) -> dict[Group, dict]:
        """Open episodes of the stream's groups (they must be stepped even when their count
        is 0), each with `last_notified`."""
        al = s.alerts
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(
                select(al.c.alert_id, al.c.rule_id, al.c.scope, al.c.state, al.c.value).where(
                    al.c.is_open.is_(True), al.c.rule_id.like(f"{RULE_PREFIX}{stream}.%")))]
            last = dict(conn.execute(
                select(R.c.alert_id, func.max(R.c.sent_at)).where(
                    R.c.stream == stream, R.c.alert_id.in_([r["alert_id"] for r in rows]))
                .group_by(R.c.alert_id)).all()) if rows else {}
        return {group_of(r["rule_id"], r["scope"]): {**r, "last_notified": last.get(r["alert_id"])}
                for r in rows}

    def _unsent_by_group(self, stream: str) -> dict[Group, list[tuple]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(R.c.kind, R.c.agency_code, R.c.item_id, R.c.kind,
                                       R.c.due_at).where(R.c.stream == stream,
                                                         R.c.sent_at.is_(None)))
            out: dict[Group, list[tuple]] = {}
            for kind, agency, *key in rows:
                out.setdefault(Group(stream, kind, agency), []).append(tuple(key))
            return out

    def _needs_step(self, count: int, episode: dict | None, unsent: list[tuple],
                    current: dict[tuple, dict], now: datetime) -> bool:
        """Whether the group may take a transition or notify (then `_advance` decides in a
        transaction); otherwise only its value is refreshed, in bulk. Most groups, most
        scans, are in this second case: one transaction each would cost seconds."""
        if episode is None:
            return count > 0
        if count == 0 or any(k not in current for k in unsent):
            return True
        return bool(unsent) and digest_passed(episode["last_notified"], now, self.digest)

    def _refresh_values(self, values: dict[str, float], now: datetime) -> None:
        if not values:
            return
        al = s.alerts
        with self.engine.begin() as conn:
            conn.execute(update(al).where(al.c.alert_id == bindparam("aid"),
                                         al.c.is_open.is_(True))
                         .values(value=bindparam("v"), evaluated_at=now),
                         [{"aid": a, "v": v} for a, v in values.items()])

    def _agency_name(self, group: Group, items: list[dict]) -> str | None:
        names = [i["agency_name"] for i in items if i.get("agency_name")]
        if names:
            return names[0]
        try:
            return agency_info(self.province_code, group.agency_code).name
        except ValueError:
            return None

    def _advance(self, group: Group, count: int, current: dict[tuple, dict],
                 now: datetime) -> tuple[str | None, int]:
        """Step one group's episode and write what follows, all in one transaction; returns
        the notification sent (or None) and how many items it reported."""
        rule = group.rule()
        with self.engine.begin() as conn:
            row = store.open_alert(conn, rule.rule_id)
            new, transition = step(rule, store.status_of(row), float(count), now)
            aid = store.record_step(conn, rule, 0, row, new, transition, float(count), now)
            unsent = self._unsent(conn, group)
            # Items no longer in that state (done, or near-due turned overdue) before their
            # notification went out: nothing to remind any more.
            stale = [k for k in unsent if k not in current]
            items = [{**current[k], "item_id": k[0], "due_at": k[2]}
                     for k in unsent if k in current]
            if transition in (FIRE, RESOLVE):
                notify = transition
            elif (row is not None and row["state"] in ACTIVE and items
                  and digest_passed(self._last_notified(conn, row["alert_id"]), now,
                                    self.digest)):
                notify = REMIND
                store.add_history(conn, row["alert_id"], rule.rule_id, now, REMIND, "evaluator",
                               float(count), f"{len(items)} new")
            else:
                notify = None
            self._claim(conn, group, stale, None, now)
            if notify is None or aid is None:
                return None, 0
            if notify == RESOLVE:
                items = []
            self._claim(conn, group, [(i["item_id"], group.kind, i["due_at"]) for i in items],
                        aid, now)
            event = alert_event(aid, group, notify, self.province_code,
                                self._agency_name(group, items), items, count, now)
            silence = next((x for x in store.active_silences(conn, now)
                            if x.matches(rule.rule_id, rule.scope, now)), None)
            store.enqueue(conn, aid, notify, self.channels, event,
                          silence.silence_id if silence else None, now)
            return notify, len(items)

    def _unsent(self, conn: Connection, group: Group) -> list[tuple]:
        return [tuple(r) for r in conn.execute(
            select(R.c.item_id, R.c.kind, R.c.due_at).where(
                R.c.stream == group.stream, R.c.kind == group.kind,
                R.c.agency_code == group.agency_code, R.c.sent_at.is_(None)))]

    def _last_notified(self, conn: Connection, alert_id: str) -> datetime | None:
        return conn.execute(select(func.max(R.c.sent_at)).where(R.c.alert_id == alert_id)
                            ).scalar()

    def _claim(self, conn: Connection, group: Group, keys: list[tuple], alert_id: str | None,
               now: datetime) -> None:
        """Mark the items notified in `alert_id`, all or none: if another instance took
        some meanwhile, the whole transaction rolls back and that instance notifies."""
        n = 0
        for i in range(0, len(keys), 500):
            n += conn.execute(update(R).where(
                R.c.stream == group.stream, R.c.sent_at.is_(None),
                tuple_(R.c.item_id, R.c.kind, R.c.due_at).in_(keys[i:i + 500]))
                .values(alert_id=alert_id, sent_at=now)).rowcount
        if n != len(keys):
            raise _Taken

    # ---------------------------------------------------------------- public
    def scan_once(self, now: datetime | None = None) -> ScanResult:
        at = _naive(now)
        started = time.monotonic()
        result = ScanResult()
        for stream in STREAMS:
            query, id_col, table = _SOURCES[stream]
            if not self._is_live(table, at):
                result.waiting = True
                continue
            dl = query(self.engine, f"province:{self.province_code}", at)
            result.detected += self._detect(stream, dl, id_col, at)
            current = {(r[id_col], r["state"], r["due_at"]): r for r in dl.iter_rows(named=True)}
            now_counts = counts(stream, dl)
            episodes = self._open_episodes(stream)
            unsent = self._unsent_by_group(stream)
            values: dict[str, float] = {}
            for group in sorted(set(now_counts) | set(episodes),
                                key=lambda g: (g.kind, g.agency_code)):
                count, episode = now_counts.get(group, 0), episodes.get(group)
                if not self._needs_step(count, episode, unsent.get(group, []), current, at):
                    if episode is not None and episode["value"] != count:
                        values[episode["alert_id"]] = float(count)
                    continue
                try:
                    notify, reported = self._advance(group, count, current, at)
                except _Taken:
                    continue
                result.items += reported
                if notify == FIRE:
                    result.fired += 1
                elif notify == REMIND:
                    result.reminded += 1
                elif notify == RESOLVE:
                    result.resolved += 1
            self._refresh_values(values, at)
        if result.fired or result.reminded or result.resolved:
            scanned = time.monotonic() - started
            if self.deliver is not None:
                self.deliver(at)
            log.info("reminders: %d new item(s); %d fired, %d reminded, %d resolved "
                     "(scan %.2f s, with delivery %.2f s)", result.detected, result.fired,
                     result.reminded, result.resolved, scanned, time.monotonic() - started)
        return result

