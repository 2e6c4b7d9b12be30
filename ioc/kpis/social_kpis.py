"""Social-listening entries of the KPI catalogue; values come from ioc.kpis.values."""

from __future__ import annotations

from ioc.kpis.kpi import Kpi

SOCIAL_KPIS: tuple[Kpi, ...] = (
    Kpi("social.posts", "Tin bài mạng xã hội", "Social posts", "count",
        "distinct post_id with published_at in the window", True),
    Kpi("social.negative_posts", "Tin tiêu cực", "Negative posts", "count",
        "posts labelled negative (lexicon score ≤ −0.2), in the window", False),
    Kpi("social.negative_share", "Tỷ lệ tin tiêu cực", "Negative share", "ratio",
        "posts labelled negative (lexicon score ≤ −0.2) / posts, in the window", False, 0.25),
)
