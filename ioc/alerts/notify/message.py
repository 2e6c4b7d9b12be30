"""The text of an alert e-mail: subject and body, Vietnamese first, then English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any


def one_line(text: str) -> str:
    # CR/LF in a header is an injection vector and EmailMessage rejects it anyway
    return " ".join(text.split())


_VN_TZ = timezone(timedelta(hours=7), "ICT")
_SEVERITY = {"info": ("Thông tin", "Info"), "warning": ("Cảnh báo", "Warning"),
             "critical": ("Nghiêm trọng", "Critical")}
_TRANSITION = {"fire": ("CẢNH BÁO", "ALERT"), "resolve": ("ĐÃ HẾT CẢNH BÁO", "RESOLVED")}
_SUBJECT_MAX = 180  # long subjects get folded or truncated by mail clients anyway


def _num(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{int(v):,}"


def _when(at: Any) -> tuple[str, str]:
    if not at:
        return "", ""
    try:
        dt = datetime.fromisoformat(str(at))
    except ValueError:
        return str(at), str(at)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)  # pipeline timestamps are naive UTC
    local = dt.astimezone(_VN_TZ)
    return f"{local:%H:%M %d/%m/%Y} (giờ Việt Nam)", f"{local:%Y-%m-%d %H:%M} (UTC+7)"


def format_alert_email(alert: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of an alert e-mail: Vietnamese first, then English. Missing keys are
    left out, so rule alerts and dossier reminders both format."""
    transition = str(alert.get("transition") or alert.get("state") or "fire").lower()
    head_vi, head_en = _TRANSITION.get(transition, (transition.upper(), transition.upper()))
    severity = str(alert.get("severity") or "")
    sev_vi, sev_en = _SEVERITY.get(severity, (severity, severity))
    condition = ""
    if alert.get("comparator") is not None and alert.get("threshold") is not None:
        condition = f"{alert.get('kpi') or ''} {alert['comparator']} {_num(alert['threshold'])}"
    target = alert.get("rule_id") or alert.get("kind") or alert.get("kpi") or ""
    msg_vi = alert.get("message_vi") or alert.get("message_en") or condition or target
    msg_en = alert.get("message_en") or alert.get("message_vi") or condition or target
    tag = f"[IOC] {head_vi} / {head_en}" + (f" – {sev_vi} / {sev_en}" if severity else "")
    subject = one_line(f"{tag}: {msg_vi} | {msg_en}")
    if len(subject) > _SUBJECT_MAX:
        subject = subject[: _SUBJECT_MAX - 1] + "…"

    when_vi, when_en = _when(alert.get("at") or alert.get("created_at"))
    value = _num(alert["value"]) if alert.get("value") is not None else ""
    threshold = ""
    if alert.get("threshold") is not None:
        threshold = f"{alert.get('comparator') or ''} {_num(alert['threshold'])}".strip()
    count = _num(alert["count"]) if alert.get("count") is not None else ""

    def section(title: str, message: str, rows: list[tuple[str, str]]) -> list[str]:
        lines = [title, "=" * len(title), message, ""]
        width = max((len(label) for label, val in rows if val), default=0)
        lines += [f"{label:<{width}} : {val}" for label, val in rows if val]
        return lines

    vi = section(f"{head_vi} – Trung tâm điều hành thông minh (IOC)", msg_vi, [
        ("Trạng thái", head_vi.capitalize()), ("Mức độ", sev_vi),
        ("Quy tắc", str(alert.get("rule_id") or "")), ("Chỉ số", str(alert.get("kpi") or "")),
        ("Phạm vi", str(alert.get("scope") or "")), ("Giá trị", value),
        ("Ngưỡng", threshold), ("Số hồ sơ", count), ("Thời điểm", when_vi),
        ("Mã cảnh báo", str(alert.get("alert_id") or "")),
    ])
    en = section(f"{head_en} – Intelligent Operations Centre (IOC)", msg_en, [
        ("Status", head_en.capitalize()), ("Severity", sev_en),
        ("Rule", str(alert.get("rule_id") or "")), ("KPI", str(alert.get("kpi") or "")),
        ("Scope", str(alert.get("scope") or "")), ("Value", value),
        ("Threshold", threshold), ("Dossiers", count), ("Time", when_en),
        ("Alert ID", str(alert.get("alert_id") or "")),
    ])
    footer = ["", "-- ", "Thư tự động từ IOC, vui lòng không trả lời. / "
              "Automated message from the IOC, please do not reply."]
    return subject, "\n".join(vi + ["", "-" * 40, ""] + en + footer) + "\n"
