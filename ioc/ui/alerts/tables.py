"""Tables of the Alerts page (pure): one row per alert with labels ready to show, and the
history of transitions. Alert rows are the dicts of `ioc.alerts.store` (naive UTC times)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from ioc.alerts.reminders import is_reminder
from ioc.alerts.text import (
    REMINDER_LABELS,
    SEVERITY_LABELS,
    TRANSITION_LABELS,
    comparison_text,
    kpi_label,
    local_time,
    reminder_key,
    scope_text,
    state_label,
    window_text,
)
from ioc.i18n import bilingual
from ioc.ui.alerts.links import data_link
from ioc.ui.alerts.order import since_of
from ioc.ui.theme import SEVERITY_ICONS

ALERT_COLUMNS: dict[str, str] = {
    "alert_id": "Mã cảnh báo · Alert id",
    "severity": "Mức độ · Severity",
    "rule": "Quy tắc · Rule",
    "kpi": "Chỉ số · KPI",
    "scope": "Phạm vi · Scope",
    "window": "Khoảng · Window",
    "value_vs_threshold": "Giá trị so với ngưỡng · Value vs threshold",
    "state": "Trạng thái · State",
    "since": "Từ lúc · Since",
    "acked": "Người xác nhận: ghi chú · Acked by: note",
    "data": "Dữ liệu · Data",
}

HISTORY_COLUMNS: dict[str, str] = {
    "at": "Thời điểm", "alert_id": "Mã cảnh báo", "rule_id": "Quy tắc",
    "transition": "Sự kiện", "actor": "Người/hệ thống", "value": "Giá trị", "note": "Ghi chú",
}


def alert_rows(alerts: Sequence[Mapping[str, Any]], rule_names: Mapping[str, str],
               names: Mapping[str, str] | None = None) -> pl.DataFrame:
    """One row per alert, in the order given, with labels ready to show."""
    out = []
    for r in alerts:
        rule_id = r.get("rule_id", "")
        name = rule_names.get(rule_id, "")
        if not name and is_reminder(rule_id):
            vi, en = REMINDER_LABELS.get(reminder_key(rule_id), ("", ""))
            name = f"Nhắc hạn · Reminder: {vi}" if vi else ""
        acked = ""
        if r.get("acked_by"):
            acked = f"{r['acked_by']}: {r.get('ack_note') or ''}".strip()
        out.append({
            "alert_id": r.get("alert_id", ""),
            "severity": f"{SEVERITY_ICONS.get(r.get('severity', ''), '')} "
                        f"{SEVERITY_LABELS.get(r.get('severity', ''), (r.get('severity'),))[0]}",
            "rule": f"{name} ({rule_id})" if name and name != rule_id else rule_id,
            "kpi": kpi_label(r.get("kpi", "")),
            "scope": scope_text(r.get("scope", ""), names),
            "window": window_text(r.get("window", "")),
            "value_vs_threshold": comparison_text(r),
            "state": state_label(r.get("state", "")),
            "since": local_time(since_of(r)),
            "acked": acked,
            "data": data_link(r.get("kpi", ""), r.get("scope", ""), r.get("window", "")),
        })
    schema = {c: pl.String for c in ALERT_COLUMNS}
    return pl.DataFrame(out, schema=schema)


def history_frame(rows: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """alert_history rows with the transition spelled out; `at` stays a naive UTC datetime
    (ioc.exports writes it as Vietnam time)."""
    data = [{"at": r.get("at"), "alert_id": r.get("alert_id"), "rule_id": r.get("rule_id"),
             "transition": bilingual(*TRANSITION_LABELS.get(r.get("transition", ""),
                                                            (r.get("transition", ""), ""))),
             "actor": r.get("actor"), "value": r.get("value"), "note": r.get("note") or ""}
            for r in rows]
    schema = {"at": pl.Datetime("us"), "alert_id": pl.String, "rule_id": pl.String,
              "transition": pl.String, "actor": pl.String, "value": pl.Float64,
              "note": pl.String}
    return pl.DataFrame(data, schema=schema)
