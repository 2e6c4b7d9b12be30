"""Deadline reminders (pure): which dossiers and feedback reports newly entered near-due or
overdue, and how they become alert episodes with the same lifecycle as rule alerts.

A reminder is identified by (stream, item_id, kind, due_at): each item is reminded once when it
enters near-due and once when it passes its deadline; a deadline moved by a supplement pause
is a new deadline and may be reminded again.

Per (stream, kind, agency) there is one alert episode, driven by `ioc.alerts.lifecycle.step`
on a synthetic rule "count of items in that state at the agency > 0": it fires when the
agency's first item enters the state, is acknowledged by an operator, and resolves by itself
when none is left. Items that enter the state while the episode is open are sent as a
`remind` notification of that same episode, at most once per digest interval, so a bad day
does not flood anyone and nothing fires twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from ioc.alerts.rules import Rule

ALERT_SCHEMA = "ioc.alert.v1"
STREAMS = ("dossier", "feedback")
KINDS = ("near_due", "overdue")
SEVERITY = {"near_due": "warning", "overdue": "critical"}
# The KPI each episode's value is (a count of open items in that state, now).
KPI = {("dossier", "near_due"): "dossier.near_due", ("dossier", "overdue"): "dossier.overdue",
       ("feedback", "near_due"): "feedback.near_due_open",
       ("feedback", "overdue"): "feedback.overdue_open"}
RULE_PREFIX = "rem."
WINDOW = "now"  # the value is state at the instant, not a sum over a window
REMIND = "remind"  # notification of new items inside an open episode
MAX_LISTED = 50  # items listed in one notification; the count says how many in all

_NOUN = {"dossier": ("hồ sơ", "dossier(s)"), "feedback": ("phản ánh", "feedback report(s)")}
_TEXT = {
    ("near_due", "fire"): ("{n} {nv} sắp đến hạn (≤ 1 ngày làm việc) tại {agency}",
                           "{n} {ne} due within 1 working day at {agency}"),
    ("overdue", "fire"): ("{n} {nv} đã quá hạn xử lý tại {agency}",
                          "{n} {ne} past their deadline at {agency}"),
    ("near_due", REMIND): ("Thêm {k} {nv} sắp đến hạn tại {agency} (tổng {n})",
                           "{k} more {ne} due within 1 working day at {agency} ({n} in all)"),
    ("overdue", REMIND): ("Thêm {k} {nv} quá hạn tại {agency} (tổng {n})",
                          "{k} more {ne} past their deadline at {agency} ({n} in all)"),
    ("near_due", "resolve"): ("Không còn {nv} sắp đến hạn tại {agency}",
                              "No {ne} due within 1 working day left at {agency}"),
    ("overdue", "resolve"): ("Không còn {nv} quá hạn tại {agency}",
                             "No overdue {ne} left at {agency}"),
}


@dataclass(frozen=True)
class Group:
    stream: str
    kind: str
    agency_code: str

    @property
    def rule_id(self) -> str:
        """Synthetic rule id, one per group: `ioc.alerts.store.open_alert` finds its episode.
        Long agency codes are hashed so `alert_id` (rule id + 13 chars) fits 64."""
        base = f"{RULE_PREFIX}{self.stream}.{self.kind}."
        code = self.agency_code or "-"
        if len(base) + len(code) > 50:
            code = hashlib.sha256(code.encode()).hexdigest()[:16]
        return base + code

    @property
    def scope(self) -> str:
        return f"agency:{self.agency_code or '-'}"

    def rule(self) -> Rule:
        """The rule `step` evaluates: count > 0, at once, resolved when the count is 0."""
        return Rule(rule_id=self.rule_id, name=self.rule_id, kpi=KPI[(self.stream, self.kind)],
                    scope=self.scope, window=WINDOW, comparator=">", threshold=0.0,
                    severity=SEVERITY[self.kind], targets=())


def is_reminder(rule_id: str) -> bool:
    return rule_id.startswith(RULE_PREFIX)


def stream_and_kind(rule_id: str) -> tuple[str, str]:
    """'rem.dossier.overdue.UBND-08494' → ('dossier', 'overdue'); ('', '') for a rule's id."""
    if not is_reminder(rule_id):
        return ("", "")
    stream, _, rest = rule_id[len(RULE_PREFIX):].partition(".")
    return (stream, rest.partition(".")[0])


def group_of(rule_id: str, scope: str) -> Group:
    """The group of a reminder episode, from the rule id and scope it was stored with (the
    agency code is read from the scope: a long one is hashed in the rule id)."""
    stream, kind = stream_and_kind(rule_id)
    code = scope.partition(":")[2]
    return Group(stream, kind, "" if code == "-" else code)


def new_reminders(stream: str, deadlines: pl.DataFrame, id_column: str,
                  known: set[tuple[str, str, datetime]], province_code: str,
                  now: datetime) -> list[dict[str, Any]]:
    """Rows for `deadline_reminders` not yet recorded. `deadlines` has `id_column`, `state`
    (near_due | overdue), `due_at` and `agency_code`."""
    out = []
    for r in deadlines.iter_rows(named=True):
        key = (r[id_column], r["state"], r["due_at"])
        if key in known:
            continue
        out.append({"stream": stream, "item_id": r[id_column], "kind": r["state"],
                    "due_at": r["due_at"], "province_code": province_code,
                    "agency_code": r["agency_code"] or "", "detected_at": now,
                    "alert_id": None, "sent_at": None})
    return out


def counts(stream: str, deadlines: pl.DataFrame) -> dict[Group, int]:
    """Open items per (kind, agency) now: the value of each group's episode."""
    if deadlines.is_empty():
        return {}
    g = deadlines.group_by("state", "agency_code").len()
    return {Group(stream, k, a or ""): int(n) for k, a, n in g.iter_rows()}


def digest_passed(last_notified: datetime | None, now: datetime, digest: timedelta) -> bool:
    return last_notified is None or now - last_notified >= digest


def notification_id(alert_id: str, transition: str, rows: list[dict[str, Any]]) -> str:
    """Stable id of one notification: a re-delivery after a crash repeats it, so a consumer
    can drop the duplicate (an episode has one fire and one resolve, but many reminds)."""
    h = hashlib.sha256(f"{alert_id}|{transition}|".encode())
    for r in sorted(rows, key=lambda r: (r["item_id"], r["due_at"])):
        h.update(f"{r['item_id']}@{r['due_at'].isoformat()};".encode())
    return f"{alert_id}:{transition}:{h.hexdigest()[:12]}"


def alert_event(alert_id: str, group: Group, transition: str, province_code: str,
                agency_name: str | None, items: list[dict[str, Any]], open_count: int,
                now: datetime) -> dict[str, Any]:
    """The notification put on `ioc.alerts` and sent to webhook/e-mail (no personal data:
    codes, procedure names, times). `items` are the newly reminded ones (none on resolve)."""
    name = agency_name or group.agency_code or "chưa phân công"
    vi, en = _TEXT[(group.kind, transition)]
    nv, ne = _NOUN[group.stream]
    listed = sorted(items, key=lambda r: (r["due_at"], r["item_id"]))[:MAX_LISTED]
    text = {"n": open_count, "k": len(items), "nv": nv, "ne": ne, "agency": name}
    return {
        "schema": ALERT_SCHEMA,
        "alert_id": alert_id,
        "notification_id": notification_id(alert_id, transition, items),
        "type": "reminder",
        "transition": transition,
        "rule_id": group.rule_id,
        "kind": f"{group.stream}.{group.kind}",
        "kpi": KPI[(group.stream, group.kind)],
        "scope": group.scope,
        "severity": SEVERITY[group.kind],
        "at": now.isoformat() + "Z",
        "province_code": province_code,
        "agency_code": group.agency_code,
        "agency_name": name,
        "value": open_count,
        "count": len(items),
        "message_vi": vi.format(**text),
        "message_en": en.format(**text),
        "items": [{"id": r["item_id"], "procedure_code": r.get("procedure_code"),
                   "procedure_name": r.get("procedure_name"), "ward_code": r.get("ward_code"),
                   "due_at": r["due_at"].isoformat() + "Z"} for r in listed],
        "more": max(0, len(items) - MAX_LISTED),
    }


@dataclass
class ScanResult:
    detected: int = 0  # new reminder rows recorded
    fired: int = 0  # episodes that fired
    reminded: int = 0  # remind notifications of open episodes
    resolved: int = 0  # episodes resolved (no item left in that state)
    items: int = 0  # items covered by fire + remind notifications
    waiting: bool = False  # skipped: the streams have not reached the present yet
