"""KPI catalogue (DESIGN.md §5): codes, labels, units, formulas, good direction, targets.

Dossier KPIs are columns of `ioc.kpis.scorecard.scorecard()` (code = "dossier." + column); the
formula text here is what the UI shows on demand and what the issue notes list.
Units: count | ratio (0..1) | days (working days of 8 office hours) | points.
"""

from __future__ import annotations

from datetime import timedelta

from ioc.kpis.feedback_kpis import FEEDBACK_KPIS
from ioc.kpis.kpi import Kpi
from ioc.kpis.social_kpis import SOCIAL_KPIS


def _d(code: str, vi: str, en: str, unit: str, formula: str, up: bool = True,
       target: float | None = None, **kw) -> Kpi:  # noqa: ANN003
    return Kpi(f"dossier.{code}", vi, en, unit, formula, up, target, **kw)


# The on-time rule of the public-service portal (TDGQ): completed by the deadline, or still open
# and not yet past it; a dossier waiting for the applicant's supplement is paused, not late.
DOSSIER_KPIS: tuple[Kpi, ...] = (
    _d("received", "Hồ sơ tiếp nhận", "Dossiers received", "count",
       "Σ received over buckets with hour(received_at) in the window"),
    _d("completed", "Hồ sơ đã giải quyết", "Dossiers completed", "count",
       "Σ completed over buckets with hour(completed_at) in the window"),
    _d("completed_on_time", "Giải quyết đúng hạn", "Completed on time", "count",
       "completed in the window with completed_at ≤ effective due_at"),
    _d("completed_late", "Giải quyết quá hạn", "Completed late", "count",
       "completed in the window with completed_at > effective due_at", False),
    _d("in_progress", "Hồ sơ đang giải quyết", "Dossiers in progress", "count",
       "open (received, in progress or waiting for a supplement) at the end of the window",
       False, windowed=False),
    _d("paused", "Chờ bổ sung", "Waiting for supplement", "count",
       "open and waiting for the applicant's supplement at the end of the window (clock paused)",
       False, windowed=False),
    _d("returned", "Hồ sơ trả lại", "Dossiers returned", "count",
       "Σ returned over buckets with hour(returned) in the window", False),
    _d("cancelled", "Hồ sơ hủy", "Dossiers cancelled", "count",
       "Σ cancelled over buckets with hour(cancelled) in the window", False),
    _d("on_time_rate", "Tỷ lệ đúng hạn", "On-time rate", "ratio",
       "(completed on time in the window + open and not past due at the end) / "
       "(completed in the window + open at the end); paused dossiers count as not past due",
       target=0.95, num="on_time_num", den="on_time_den"),
    _d("overdue", "Hồ sơ quá hạn đang xử lý", "Overdue open dossiers", "count",
       "open, not paused, effective due_at < end of the window (now)", False, windowed=False),
    _d("near_due", "Sắp đến hạn (≤ 1 ngày)", "Near due (≤ 1 working day)", "count",
       "open, not paused, end ≤ due_at ≤ end + 1 working day", False, windowed=False),
    _d("online_rate", "Tỷ lệ nộp trực tuyến", "Online submission rate", "ratio",
       "received with channel=online / received", target=0.80,
       num="received_online", den="received"),
    _d("online_eligible_rate", "Tỷ lệ trực tuyến / hồ sơ đủ điều kiện",
       "Online rate of eligible dossiers", "ratio",
       "received online among procedures offered online / received of those procedures "
       "(online_eligible unknown counts as eligible)", target=0.80,
       num="received_online_eligible", den="received_eligible"),
    _d("full_online_rate", "Tỷ lệ trực tuyến toàn trình", "Full-online rate", "ratio",
       "received with online_mode=full / received",
       num="received_full_online", den="received"),
    _d("digitization_rate", "Tỷ lệ số hóa hồ sơ", "Digitisation rate", "ratio",
       "received with digitized=true / received", target=1.0,
       num="received_digitized", den="received"),
    _d("e_result_rate", "Tỷ lệ trả kết quả điện tử", "Electronic-result rate", "ratio",
       "completed with e_result=true / completed", target=1.0,
       num="completed_e_result", den="completed"),
    _d("online_payment_rate", "Tỷ lệ thanh toán trực tuyến", "Online payment rate", "ratio",
       "fee-bearing received with paid_online=true / fee-bearing received (fee_vnd > 0)",
       num="paid_online", den="fee_bearing"),
    _d("satisfaction_rate", "Tỷ lệ hài lòng", "Satisfaction rate", "ratio",
       "rated 'satisfied' / rated, over dossiers completed or closed in the window",
       target=0.80, num="rated_satisfied", den="rated"),
    _d("processing_days_mean", "Thời gian xử lý trung bình", "Mean processing time", "days",
       "Σ office minutes receipt → result, net of the supplement pause / completed / 480",
       False),
    _d("processing_days_p90", "Thời gian xử lý P90", "Processing time p90", "days",
       "nearest-rank 90th percentile of the same per-dossier times (ceil(0.9·n)-th smallest)",
       False),
    _d("score_progress", "Điểm Tiến độ giải quyết (TDGQ)", "Progress score (TDGQ)", "points",
       "20 × on-time rate", max_points=20),
    _d("score_online", "Điểm Dịch vụ trực tuyến (CLGQ)", "Online service score (CLGQ)",
       "points", "12 × online rate of eligible dossiers", max_points=12),
    _d("score_payment", "Điểm Thanh toán trực tuyến (TTTT)", "Online payment score (TTTT)",
       "points", "10 × online payment rate", max_points=10),
    _d("score_digitization", "Điểm Số hóa (MDSH)", "Digitisation score (MDSH)", "points",
       "11 × digitisation rate + 11 × electronic-result rate", max_points=22),
    _d("score_satisfaction", "Điểm Hài lòng (MDHL, phần hồ sơ)",
       "Satisfaction score (MDHL, dossier part)", "points",
       "18 × min(1, satisfaction rate / 0.90) — full points at 90 %", max_points=18),
    _d("score_total", "Tổng điểm tính được (/82)", "Computable total (/82)", "points",
       "sum of the five groups above (CKMB transparency, 18 points, needs publication data "
       "we do not receive); a group without data counts 0", max_points=82),
)

CATALOGUE: tuple[Kpi, ...] = DOSSIER_KPIS + FEEDBACK_KPIS + SOCIAL_KPIS
BY_CODE = {k.code: k for k in CATALOGUE}
SCORE_CODES = tuple(k.code for k in DOSSIER_KPIS if k.unit == "points")

# Windows the Overview offers (trailing); the Dossiers page and `ioc kpi` offer all of
# ioc.kpis.windows.WINDOW_NAMES.
WINDOWS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}

SCOPE_COLUMNS = {"province": "province_code", "commune": "ward_code",
                 "agency": "agency_code", "procedure": "procedure_code",
                 "category": "category",  # feedback category (feedback tables only)
                 # social tables only: a post's platform and primary topic ("topic:giao thông")
                 "platform": "platform", "topic": "topic"}


def parse_scope(scope: str) -> dict[str, str]:
    """'province:25' | 'commune:08494' | 'agency:SYT-25' | 'procedure:1.001' |
    'category:giao thông', or several
    joined by ',' (drill-down: 'commune:08494,procedure:1.001') → {column: code}."""
    out: dict[str, str] = {}
    for part in scope.split(","):
        kind, _, code = part.strip().partition(":")
        if kind not in SCOPE_COLUMNS or not code:
            raise ValueError("scope must be KIND:CODE[,KIND:CODE…] with KIND in "
                             f"{list(SCOPE_COLUMNS)}, got {scope!r}")
        out[SCOPE_COLUMNS[kind]] = code
    return out


def markdown() -> str:
    """The catalogue as the Markdown table in docs/kpis.md (a test keeps them equal)."""
    lines = ["| code | nhãn · label | unit | formula | good | target |",
             "|---|---|---|---|---|---|"]
    for k in CATALOGUE:
        good = "↑" if k.higher_is_better else "↓"
        target = "" if k.target is None else f"{k.target:g}"
        unit = k.unit + (f" /{k.max_points:g}" if k.max_points else "") + \
            ("" if k.windowed else ", state")
        lines.append(f"| `{k.code}` | {k.label_vi} · {k.label_en} | {unit} | {k.formula} | "
                     f"{good} | {target} |")
    return "\n".join(lines) + "\n"
