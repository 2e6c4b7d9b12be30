"""Feedback (PAKN) entries of the KPI catalogue; values come from ioc.kpis.feedback_values.

Windowed counts are sums of `feedback_buckets` over the window; state figures ("now", or the
end of a past window) come from the rows of the `feedback` table, which keep receipt, response,
close and deadline times. Durations count working days of 8 office hours on the Vietnamese
calendar (ioc.reference.calendar: weekends, Tết and the other public holidays do not count).
"""

from __future__ import annotations

from ioc.kpis.kpi import Kpi

# Age bands of the open backlog in working days since receipt: (code suffix, upper bound).
AGE_BANDS: tuple[tuple[str, float | None], ...] = (
    ("0_3", 3.0), ("4_7", 7.0), ("8_15", 15.0), ("over_15", None))
AGE_BAND_LABELS: dict[str, str] = {"0_3": "≤ 3", "4_7": "4–7", "8_15": "8–15", "over_15": "> 15"}


def _f(code: str, vi: str, en: str, unit: str, formula: str, up: bool = True,
       target: float | None = None, **kw) -> Kpi:  # noqa: ANN003
    return Kpi(f"feedback.{code}", vi, en, unit, formula, up, target, **kw)


FEEDBACK_KPIS: tuple[Kpi, ...] = (
    _f("received", "Phản ánh tiếp nhận", "Feedback received", "count",
       "Σ received over buckets with hour(received_at) in the window (also per channel and "
       "per category, in `by`)"),
    _f("responded", "Phản ánh đã trả lời", "Feedback responded", "count",
       "Σ responded over buckets with hour(first response) in the window (a close without a "
       "response counts as the response)"),
    _f("closed", "Phản ánh đã xử lý xong", "Feedback closed", "count",
       "Σ closed over buckets with hour(closed_at) in the window"),
    _f("closed_on_time", "Xử lý xong đúng hạn", "Closed on time", "count",
       "closed in the window with closed_at ≤ due_at"),
    _f("open", "Phản ánh đang xử lý", "Open feedback", "count",
       "received before the end of the window (now) and not closed by then", False,
       windowed=False),
    _f("overdue_open", "Phản ánh quá hạn", "Overdue open feedback", "count",
       "open at the end of the window (now) with due_at < that instant (due_at fixed at "
       "receipt by the SLA rule in force, ioc sla)", False, windowed=False),
    _f("near_due", "Sắp đến hạn (≤ 1 ngày)", "Near due (≤ 1 working day)", "count",
       "open, end ≤ due_at ≤ end + 1 working day", False, windowed=False),
    _f("on_time_rate", "Tỷ lệ xử lý đúng hạn", "On-time handling rate", "ratio",
       "closed on time in the window / closed in the window", num="closed_on_time",
       den="closed"),
    _f("response_days_mean", "Thời gian trả lời trung bình", "Mean time to first response",
       "days", "mean working days receipt → first response, over reports first responded in "
       "the window", False),
    _f("response_days_p90", "Thời gian trả lời P90", "Time to first response p90", "days",
       "nearest-rank 90th percentile (ceil(0.9·n)-th smallest) of the same times", False),
    _f("close_days_mean", "Thời gian xử lý xong trung bình", "Mean time to close", "days",
       "mean working days receipt → close, over reports closed in the window", False),
    _f("close_days_p90", "Thời gian xử lý xong P90", "Time to close p90", "days",
       "nearest-rank 90th percentile (ceil(0.9·n)-th smallest) of the same times", False),
    _f("satisfaction_rate", "Tỷ lệ hài lòng với kết quả xử lý", "Satisfaction with handling",
       "ratio", "rated 'satisfied' / rated, over reports closed in the window",
       num="rated_satisfied", den="rated"),
    _f("backlog_age_0_3", "Tồn đọng ≤ 3 ngày", "Backlog aged ≤ 3 days", "count",
       "open at the end with age ≤ 3 working days since receipt", False, windowed=False),
    _f("backlog_age_4_7", "Tồn đọng 4–7 ngày", "Backlog aged 4–7 days", "count",
       "open at the end with 3 < age ≤ 7 working days", False, windowed=False),
    _f("backlog_age_8_15", "Tồn đọng 8–15 ngày", "Backlog aged 8–15 days", "count",
       "open at the end with 7 < age ≤ 15 working days", False, windowed=False),
    _f("backlog_age_over_15", "Tồn đọng > 15 ngày", "Backlog aged > 15 days", "count",
       "open at the end with age > 15 working days", False, windowed=False),
)
