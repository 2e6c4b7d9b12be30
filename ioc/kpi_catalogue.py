"""KPI catalogue (DESIGN.md §5): codes, labels, units, formulas, good direction, targets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Kpi:
    code: str
    label_vi: str
    label_en: str
    unit: str  # "count" | "ratio"
    formula: str
    higher_is_better: bool
    target: float | None = None
    windowed: bool = True  # False: a "now" figure from entity state


CATALOGUE: tuple[Kpi, ...] = (
    Kpi("dossier.received", "Hồ sơ tiếp nhận", "Dossiers received", "count",
        "Σ received over buckets with hour(received_at) in the window", True),
    Kpi("dossier.completed", "Hồ sơ đã giải quyết", "Dossiers completed", "count",
        "Σ completed over buckets with hour(completed_at) in the window", True),
    Kpi("dossier.on_time_rate", "Tỷ lệ đúng hạn", "On-time rate", "ratio",
        "(completed on time in window + open and not yet due now) / "
        "(completed in window + open now)", True, 0.95),
    Kpi("dossier.overdue_open", "Hồ sơ quá hạn đang xử lý", "Overdue open dossiers", "count",
        "open dossiers with due_at < now", False, windowed=False),
    Kpi("dossier.online_rate", "Tỷ lệ nộp trực tuyến", "Online submission rate", "ratio",
        "received via channel=online / received, in the window", True, 0.80),
    Kpi("feedback.received", "Phản ánh tiếp nhận", "Feedback received", "count",
        "Σ received over buckets with hour(received_at) in the window (also per channel)",
        True),
    Kpi("feedback.open", "Phản ánh đang xử lý", "Open feedback", "count",
        "feedback not yet closed, now", False, windowed=False),
    Kpi("feedback.overdue_open", "Phản ánh quá hạn", "Overdue open feedback", "count",
        "open feedback with due_at < now (SLA 3 working days by default)", False,
        windowed=False),
    Kpi("social.posts", "Tin bài mạng xã hội", "Social posts", "count",
        "distinct post_id with published_at in the window", True),
    Kpi("social.negative_share", "Tỷ lệ tin tiêu cực", "Negative share", "ratio",
        "posts labelled negative (lexicon score ≤ −0.2) / posts, in the window", False, 0.25),
)
BY_CODE = {k.code: k for k in CATALOGUE}

WINDOWS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}


def parse_scope(scope: str) -> tuple[str, str]:
    """'province:25' | 'commune:08494' → (kind, code); raises ValueError with the rule."""
    kind, _, code = scope.partition(":")
    if kind not in ("province", "commune") or not code:
        raise ValueError(f"scope must be province:CODE or commune:CODE, got {scope!r}")
    return kind, code
