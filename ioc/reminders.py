"""Deadline reminders for dossiers (pure): which dossiers newly entered near-due or overdue,
and how pending reminders are grouped per agency into one alert so a bad day does not flood
anyone.

A reminder is identified by (dossier_id, kind, due_at): each dossier is reminded once when it
enters near-due and once when it passes its deadline; a deadline moved by a supplement pause
is a new deadline and may be reminded again. Pending reminders of one agency and kind are
sent together, at most once per digest interval.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl

ALERT_SCHEMA = "ioc.alert.v1"
KINDS = ("near_due", "overdue")
SEVERITY = {"near_due": "warning", "overdue": "critical"}
MAX_LISTED = 50  # dossiers listed in one alert; the count says how many in all

_TEXT = {
    "near_due": ("{n} hồ sơ sắp đến hạn (≤ 1 ngày làm việc) tại {agency}",
                 "{n} dossier(s) due within 1 working day at {agency}"),
    "overdue": ("{n} hồ sơ đã quá hạn xử lý tại {agency}",
                "{n} dossier(s) past their deadline at {agency}"),
}


def new_reminders(deadlines: pl.DataFrame, known: set[tuple[str, str, datetime]],
                  now: datetime) -> list[dict[str, Any]]:
    """Rows for `dossier_reminders` not yet recorded. `deadlines` is
    ioc.dossier_queries.deadline_list() (state = near_due | overdue)."""
    out = []
    for r in deadlines.iter_rows(named=True):
        key = (r["dossier_id"], r["state"], r["due_at"])
        if key in known:
            continue
        out.append({"dossier_id": r["dossier_id"], "kind": r["state"], "due_at": r["due_at"],
                    "province_code": r.get("province_code") or "",
                    "agency_code": r["agency_code"] or "", "detected_at": now,
                    "alert_id": None, "sent_at": None})
    return out


def due_groups(pending: list[dict[str, Any]], last_sent: dict[tuple[str, str], datetime],
               now: datetime, digest: timedelta) -> dict[tuple[str, str], list[dict]]:
    """Pending (unsent, unassigned) reminders grouped per (agency, kind) whose digest
    interval has passed since that agency's last alert of that kind."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in pending:
        groups.setdefault((r["agency_code"], r["kind"]), []).append(r)
    return {k: v for k, v in groups.items()
            if k not in last_sent or now - last_sent[k] >= digest}


def alert_id(agency_code: str, kind: str, rows: list[dict[str, Any]]) -> str:
    """Stable id of one grouped reminder: re-sending after a crash repeats the same id, so a
    consumer can drop the duplicate."""
    h = hashlib.sha256(f"{agency_code}|{kind}|".encode())
    for r in sorted(rows, key=lambda r: (r["dossier_id"], r["due_at"])):
        h.update(f"{r['dossier_id']}@{r['due_at'].isoformat()};".encode())
    return f"rem-{kind}-{h.hexdigest()[:24]}"


def alert_event(aid: str, province_code: str, agency_code: str, agency_name: str | None,
                kind: str, items: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """The record put on `ioc.alerts` (no personal data: codes, names of procedures, times)."""
    name = agency_name or agency_code
    vi, en = _TEXT[kind]
    listed = sorted(items, key=lambda r: (r["due_at"], r["dossier_id"]))[:MAX_LISTED]
    return {
        "schema": ALERT_SCHEMA,
        "alert_id": aid,
        "type": "reminder",
        "kind": f"dossier.{kind}",
        "severity": SEVERITY[kind],
        "created_at": now.isoformat() + "Z",
        "province_code": province_code,
        "agency_code": agency_code,
        "agency_name": name,
        "count": len(items),
        "message_vi": vi.format(n=len(items), agency=name),
        "message_en": en.format(n=len(items), agency=name),
        "dossiers": [{"dossier_id": r["dossier_id"], "procedure_code": r.get("procedure_code"),
                      "procedure_name": r.get("procedure_name"), "ward_code": r.get("ward_code"),
                      "due_at": r["due_at"].isoformat() + "Z"} for r in listed],
        "more": max(0, len(items) - MAX_LISTED),
    }


@dataclass
class ScanResult:
    detected: int = 0  # new reminder rows recorded
    alerts: int = 0  # alerts produced (including re-sends of unacknowledged ones)
    dossiers: int = 0  # dossiers covered by the produced alerts
    waiting: bool = False  # skipped: the dossier stream has not reached the present yet
