"""How an alert reads, in Vietnamese first: labels of severities, states, transitions and
windows, KPI values in their unit, scopes with place names, and the one-line message. Pure
(no Streamlit): the pages, the banner and the notifications (topic, webhook, e-mail) share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ioc.i18n import DASH, bilingual, fmt_int, fmt_number, fmt_pct
from ioc.kpis.catalogue import BY_CODE
from ioc.reference.calendar import TZ

SEVERITY_RANK: dict[str, int] = {"critical": 0, "warning": 1, "info": 2}
SEVERITY_LABELS: dict[str, tuple[str, str]] = {
    "critical": ("Nghiêm trọng", "Critical"),
    "warning": ("Cảnh báo", "Warning"),
    "info": ("Thông tin", "Info"),
}
STATE_LABELS: dict[str, tuple[str, str]] = {
    "pending": ("Đang chờ", "Pending"),
    "firing": ("Đang cảnh báo", "Firing"),
    "acknowledged": ("Đã xác nhận", "Acknowledged"),
    "resolved": ("Đã trở lại bình thường", "Resolved"),
    "dropped": ("Bỏ qua (không kéo dài đủ)", "Dropped"),
}
TRANSITION_LABELS: dict[str, tuple[str, str]] = {
    "pend": ("Bắt đầu chờ", "Pending"),
    "fire": ("Phát cảnh báo", "Fired"),
    "ack": ("Xác nhận", "Acknowledged"),
    "resolve": ("Trở lại bình thường", "Resolved"),
    "drop": ("Bỏ qua", "Dropped"),
    "remind": ("Nhắc thêm hồ sơ/phản ánh mới", "Reminded new items"),
}
# Deadline-reminder episodes (ioc.alerts.reminders): one per stream, kind and agency. The
# banner sums them up per stream and kind instead of one line per agency.
REMINDER_LABELS: dict[tuple[str, str], tuple[str, str]] = {
    ("dossier", "overdue"): ("hồ sơ quá hạn", "overdue dossiers"),
    ("dossier", "near_due"): ("hồ sơ sắp đến hạn", "dossiers near due"),
    ("feedback", "overdue"): ("phản ánh quá hạn", "overdue feedback"),
    ("feedback", "near_due"): ("phản ánh sắp đến hạn", "feedback near due"),
}
RULE_WINDOW_LABELS: dict[str, tuple[str, str]] = {
    "now": ("Hiện tại", "Now"),
    "1h": ("1 giờ", "1 hour"),
    "today": ("Hôm nay", "Today"),
    "24h": ("24 giờ", "24 hours"),
    "7d": ("7 ngày", "7 days"),
    "30d": ("30 ngày", "30 days"),
}
TIME_FORMAT = "%d/%m %H:%M"

def severity_label(severity: str) -> str:
    return bilingual(*SEVERITY_LABELS.get(severity, (severity, severity)))


def state_label(state: str) -> str:
    return bilingual(*STATE_LABELS.get(state, (state, state)))


def window_text(window: str) -> str:
    return RULE_WINDOW_LABELS.get(window, (window, window))[0]


# KPIs that only reminder episodes carry (not in the catalogue).
EXTRA_KPI_LABELS = {"feedback.near_due_open": "Phản ánh sắp đến hạn"}


def kpi_label(kpi: str) -> str:
    k = BY_CODE.get(kpi)
    return k.label_vi if k else EXTRA_KPI_LABELS.get(kpi, kpi)


def kpi_unit(kpi: str) -> str:
    k = BY_CODE.get(kpi)
    return k.unit if k else "count"


def fmt_kpi(value: float | None, kpi: str) -> str:
    """A value in the KPI's unit: ratio → '91,5 %', days → '2,5 ngày', points → '18,1',
    count → '12'."""
    if value is None:
        return DASH
    unit = kpi_unit(kpi)
    if unit == "ratio":
        return fmt_pct(value)
    if unit == "days":
        return f"{fmt_number(value)} ngày"
    if unit == "points":
        return fmt_number(value)
    return fmt_int(value) if float(value).is_integer() else fmt_number(value)


def comparison_text(row: Mapping[str, Any]) -> str:
    """'62,0 % < 95,0 %': the newest value against the comparator and threshold; once the
    episode is closed the value no longer meets it: '97,0 % (ngưỡng < 95,0 %)'."""
    kpi = row.get("kpi", "")
    value = fmt_kpi(row.get("value"), kpi)
    limit = f"{row.get('comparator', '')} {fmt_kpi(row.get('threshold'), kpi)}"
    if row.get("state") in ("resolved", "dropped"):
        return f"{value} (ngưỡng {limit})"
    return f"{value} {limit}"


def local_time(dt: datetime | None, fmt: str = TIME_FORMAT) -> str:
    """A naive UTC instant as Vietnam wall-clock text (dd/mm HH:MM)."""
    if dt is None:
        return DASH
    aware = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt
    return aware.astimezone(TZ).strftime(fmt)


def scope_text(scope: str, names: Mapping[str, str] | None = None) -> str:
    """'province:25,commune:04792' → 'Tỉnh Phú Thọ › Phường Tân Hòa' with the names known
    (`names`: code → name, communes and provinces); unknown codes stay as 'agency:X'."""
    names = names or {}
    parts = []
    for part in (scope or "").split(","):
        kind, _, code = part.strip().partition(":")
        if not code:
            continue
        if kind == "province":
            parts.append(names.get(f"province:{code}", f"Tỉnh {code}"))
        elif kind == "commune":
            parts.append(names.get(code, f"xã/phường {code}"))
        elif kind == "agency":
            parts.append(names.get(f"agency:{code}", f"cơ quan {code}"))
        elif kind == "procedure":
            parts.append(f"thủ tục {code}")
        else:
            parts.append(part.strip())
    return " › ".join(parts) or scope


def alert_message(row: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """'Tỷ lệ đúng hạn (Tỉnh Phú Thọ, 24 giờ): 62,0 % < 95,0 %' — what the alert is about."""
    return (f"{kpi_label(row.get('kpi', ''))} ({scope_text(row.get('scope', ''), names)}, "
            f"{window_text(row.get('window', ''))}): {comparison_text(row)}")


def reminder_key(rule_id: str) -> tuple[str, str]:
    """'rem.dossier.overdue.UBND-08494' → ('dossier', 'overdue')."""
    from ioc.alerts.reminders import stream_and_kind

    return stream_and_kind(rule_id)


def reminder_text(s: Mapping[str, Any]) -> str:
    vi, en = REMINDER_LABELS.get((s["stream"], s["kind"]), (s["kind"], s["kind"]))
    return (f"Nhắc hạn: {fmt_int(s['items'])} {vi} tại {fmt_int(s['agencies'])} cơ quan"
            f" · {en} at {fmt_int(s['agencies'])} agencies")


def area_names(province_code: str) -> dict[str, str]:
    """Names for scope_text: commune code → name, 'province:CODE' → province name,
    'agency:CODE' → the agency's name (departments and commune People's Committees)."""
    try:
        from ioc.reference.admin_units import commune_names, province
        from ioc.reference.catalogue import agencies
        return {**commune_names(province_code),
                f"province:{province_code}": province(province_code).name,
                **{f"agency:{a.code}": a.name for a in agencies(province_code)}}
    except (ImportError, ValueError):
        return {}


