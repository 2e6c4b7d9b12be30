"""Social-listening entries of the KPI catalogue; values come from ioc.kpis.social_values.

Every value is a sum over the social hourly buckets (posts counted once per post_id, under
their effective label: an operator's correction, else the model's decision), at any scope the
buckets can be cut by: province, commune, platform, topic (primary topic), joined with ','
(`province:25,topic:giao thông`). Each comes with the previous equal period.
"""

from __future__ import annotations

from ioc.kpis.kpi import Kpi

_LABEL = "label = operator's correction if any, else the model's (score ≤ −0.2 negative, " \
         "≥ 0.2 positive)"

SOCIAL_KPIS: tuple[Kpi, ...] = (
    Kpi("social.posts", "Tin bài mạng xã hội", "Social posts", "count",
        "distinct post_id with published_at in the window (also per platform)", True),
    Kpi("social.negative_posts", "Tin tiêu cực", "Negative posts", "count",
        f"posts labelled negative, in the window; {_LABEL}", False),
    Kpi("social.positive_posts", "Tin tích cực", "Positive posts", "count",
        "posts labelled positive, in the window", True),
    Kpi("social.negative_share", "Tỷ lệ tin tiêu cực", "Negative share", "ratio",
        "negative posts / posts, in the window", False, 0.25,
        num="negative", den="posts"),
    Kpi("social.positive_share", "Tỷ lệ tin tích cực", "Positive share", "ratio",
        "positive posts / posts, in the window", True, num="positive", den="posts"),
    Kpi("social.sentiment_index", "Chỉ số cảm xúc", "Sentiment index", "index",
        "(positive − negative) / posts, in the window; −1 … +1", True),
    Kpi("social.engagement", "Lượt tương tác", "Engagement", "count",
        "Σ likes + shares + comments of the posts published in the window (each count the "
        "largest any delivery of the post carried)",
        True),
    Kpi("social.topic_posts", "Tin bài theo chủ đề", "Posts per topic", "count",
        "posts per primary topic (ioc.social.topics), in the window; largest first", True,
        per_group="topic"),
    Kpi("social.place_posts", "Tin bài theo địa bàn", "Posts per place", "count",
        "posts per 2025 commune (the event's, else the first commune the text names), "
        "in the window", True, per_group="commune"),
    Kpi("social.rising_keywords", "Từ khóa nổi lên", "Rising keywords", "count",
        "posts mentioning the term in the window, for the terms with the highest rising "
        "score log2((c + 1) / (c_prev × posts / posts_prev + 1)), c ≥ 3 (docs/kpis.md)", True,
        per_group="term"),
)
