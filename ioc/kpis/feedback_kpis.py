"""Feedback (PAKN) entries of the KPI catalogue; values come from ioc.kpis.values."""

from __future__ import annotations

from ioc.kpis.kpi import Kpi

FEEDBACK_KPIS: tuple[Kpi, ...] = (
    Kpi("feedback.received", "Phản ánh tiếp nhận", "Feedback received", "count",
        "Σ received over buckets with hour(received_at) in the window (also per channel)",
        True),
    Kpi("feedback.open", "Phản ánh đang xử lý", "Open feedback", "count",
        "feedback not yet closed, now", False, windowed=False),
    Kpi("feedback.overdue_open", "Phản ánh quá hạn", "Overdue open feedback", "count",
        "open feedback with due_at < now (SLA 3 working days by default)", False,
        windowed=False),
)
