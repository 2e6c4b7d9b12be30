"""The shape of one catalogue entry (DESIGN.md §5), shared by the per-stream catalogues."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kpi:
    code: str
    label_vi: str
    label_en: str
    unit: str  # "count" | "ratio" | "days" | "points" | "index" (−1 … +1)
    formula: str
    higher_is_better: bool
    target: float | None = None
    windowed: bool = True  # False: a state figure at the end of the window ("now")
    num: str | None = None  # ratio: numerator / denominator columns of the scorecard
    den: str | None = None
    max_points: float | None = None  # 766 group scores
    # Values only per group (`by`: per topic, per commune, per term), no headline value: alert
    # rules watch the headline KPI at that group's scope instead (social.posts at topic:…).
    per_group: str | None = None

    @property
    def column(self) -> str:
        return self.code.split(".", 1)[1]
