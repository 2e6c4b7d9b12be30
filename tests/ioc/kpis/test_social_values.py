"""Social KPI values (SQLite and PostgreSQL): every KPI equals a recomputation from the stored
posts, at province, commune and topic scope, with the previous period; rising keywords."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import polars as pl
from sqlalchemy import Engine

from ioc.kpis.social_values import (
    posts_by_platform,
    posts_per_place,
    rising_keywords,
    social_kpis,
    top_topics,
)
from ioc.kpis.values import compute_kpis
from ioc.kpis.windows import resolve
from streams.chaos.workload import social_event
from tests.helpers import apply_events, social_posts_frame

NOW = datetime(2026, 12, 3, 12, 30, tzinfo=UTC)
TEXTS = [
    "Đường ở phường Việt Trì ngập sâu sau mưa lớn, dân rất bức xúc",
    "Cảm ơn cán bộ một cửa xã Lâm Thao làm hồ sơ nhanh, rất hài lòng",
    "Rác thải bốc mùi ở xã Lâm Thao mấy ngày nay không ai thu gom, quá tệ",
    "Ùn tắc kéo dài trên quốc lộ 2 đoạn qua phường Việt Trì",
    "Lễ hội đền Hùng năm nay tổ chức chu đáo, du khách rất vui",
    "Mất điện cả buổi chiều ở phường Việt Trì, điện lực không báo trước",
]


def _seed(engine: Engine) -> None:
    events = []
    for i in range(36):  # the window (24 h before NOW)
        events.append(social_event(
            f"C{i}", NOW - timedelta(hours=1 + i % 20), text=TEXTS[i % len(TEXTS)], ward=None,
            platform=("facebook", "news", "forum")[i % 3],
            engagement={"likes": i, "shares": 1, "comments": 2}))
    for i in range(12):  # the previous 24 h
        events.append(social_event(f"B{i}", NOW - timedelta(hours=30 + i),
                                   text=TEXTS[i % len(TEXTS)], ward=None))
    for i in range(9):  # "ngập úng" rises: never seen before
        events.append(social_event(f"R{i}", NOW - timedelta(hours=2),
                                   text="Ngập úng kéo dài ở phường Việt Trì", ward=None))
    apply_events(engine, events)


def _expected(posts: pl.DataFrame, start: datetime, end: datetime) -> dict[str, float | int]:
    w = posts.filter((pl.col("published_at") >= start) & (pl.col("published_at") < end))
    lab = w["corrected_label"].fill_null(w["label"])
    n, neg, pos = w.height, int((lab == "negative").sum()), int((lab == "positive").sum())
    return {"social.posts": n, "social.negative_posts": neg, "social.positive_posts": pos,
            "social.negative_share": neg / n, "social.sentiment_index": (pos - neg) / n,
            "social.engagement": int(w["engagement"].sum())}


def _by_code(values: list) -> dict[str, object]:
    return {v.kpi: v for v in values if not v.by}


def test_social_kpis_equal_a_recomputation_from_posts(engine: Engine) -> None:
    _seed(engine)
    period = resolve("24h", NOW)
    got = _by_code(social_kpis(engine, "province:25", period, NOW))
    posts = social_posts_frame(engine)
    want = _expected(posts, period.start, period.end)
    before = _expected(posts, period.previous().start, period.previous().end)
    for code, value in want.items():
        assert math.isclose(got[code].value, value), code
        assert math.isclose(got[code].previous, before[code]), code
    assert got["social.negative_share"].unit == "ratio"
    assert got["social.sentiment_index"].unit == "index"
    # At least one negative and one positive post: the model, not a constant, labels them.
    assert 0 < want["social.negative_posts"] < want["social.posts"]


def test_compute_kpis_and_scopes_commune_topic_platform(engine: Engine) -> None:
    _seed(engine)
    period = resolve("24h", NOW)
    posts = social_posts_frame(engine).filter((pl.col("published_at") >= period.start)
                                  & (pl.col("published_at") < period.end))
    all_values = compute_kpis(engine, "province:25", "24h", NOW)
    by_platform = {v.by["platform"]: v.value for v in all_values
                   if v.kpi == "social.posts" and "platform" in v.by}
    assert by_platform == {p: n for p, n in posts.group_by("platform").len().iter_rows()}
    for scope, flt in (("commune:07900", pl.col("ward_code") == "07900"),
                       ("province:25,topic:giao thông", pl.col("topic") == "giao thông"),
                       ("province:25,platform:news", pl.col("platform") == "news")):
        got = _by_code(compute_kpis(engine, scope, "24h", NOW))
        assert got["social.posts"].value == posts.filter(flt).height > 0, scope
        # topic/platform scopes are social only (no dossier table has them)
        assert any(k.startswith("dossier.") for k in got) == scope.startswith("commune"), scope
    topics = top_topics(engine, "province:25", period)
    assert dict(topics.select("topic", "posts").iter_rows()) == \
        {t: n for t, n in posts.group_by("topic").len().iter_rows()}
    places = posts_per_place(engine, "province:25", period)
    assert "07900" in places["ward_code"].to_list() and "" not in places["ward_code"].to_list()
    assert posts_by_platform(engine, "province:25", period)["posts"].sum() == posts.height
    assert social_kpis(engine, "agency:SYT-25", period) == []


def test_rising_keywords_rank_the_new_term_first(engine: Engine) -> None:
    _seed(engine)
    period = resolve("24h", NOW)
    df = rising_keywords(engine, "province:25", period, limit=5)
    top = df.row(0, named=True)
    assert top["term"] == "ngập úng" and top["posts"] == 9 and top["previous_posts"] == 0
    assert math.isclose(top["score"], math.log2(10))
    # A term as frequent as before (relative to the volume) scores about 0, below new terms.
    rows = {r["term"]: r for r in rising_keywords(engine, "province:25", period, 200)
            .iter_rows(named=True)}
    assert all(r["posts"] >= 3 for r in rows.values())
    assert rows["ngập úng"]["score"] > max(r["score"] for t, r in rows.items()
                                           if r["previous_posts"] > 0)
