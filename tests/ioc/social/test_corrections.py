"""Operator relabels and `rescore` (SQLite and PostgreSQL): buckets stay equal to a
recomputation from the stored posts, corrections are audited and survive a rescore."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from sqlalchemy import Engine, select, update

from ioc.db import schema as s
from ioc.db.columns import SOCIAL_COUNTERS, SOCIAL_DIMS
from ioc.kpis.social_values import social_kpis
from ioc.kpis.windows import resolve
from ioc.social.corrections import (
    corrected_texts,
    corrections,
    move_buckets,
    read_posts,
    relabel,
    rescore,
)
from ioc.social.sentiment import MODEL_VERSION
from streams.chaos.workload import social_event
from tests.helpers import apply_events, social_posts_frame

NOW = datetime(2026, 12, 3, 12, 30, tzinfo=UTC)
TEXTS = [
    "Đường ở phường Việt Trì ngập sâu sau mưa lớn, dân rất bức xúc",
    "Cảm ơn cán bộ một cửa xã Lâm Thao làm hồ sơ nhanh, rất hài lòng",
    "Rác thải bốc mùi ở xã Lâm Thao mấy ngày nay không ai thu gom, quá tệ",
    "UBND tỉnh họp bàn kế hoạch đầu tư khu công nghiệp năm 2027",
    "cam on cac anh cong an phuong viet tri ho tro nhiet tinh",
]


def _seed(engine: Engine, n: int = 40) -> None:
    apply_events(engine, [social_event(
        f"P{i:03d}", NOW - timedelta(hours=1 + i), text=TEXTS[i % len(TEXTS)], ward=None,
        platform=("facebook", "news")[i % 2], engagement={"likes": i}) for i in range(n)])


def _recomputed(engine: Engine) -> list[tuple]:
    """The buckets from scratch out of the stored posts (effective label)."""
    p = social_posts_frame(engine).with_columns(
        pl.coalesce("corrected_label", "label").alias("lab"),
        pl.col("published_at").dt.truncate("1h").alias("hour"))
    g = p.group_by([d for d in SOCIAL_DIMS]).agg(
        pl.len().cast(pl.Int64).alias("posts"),
        (pl.col("lab") == "negative").sum().cast(pl.Int64).alias("negative"),
        (pl.col("lab") == "positive").sum().cast(pl.Int64).alias("positive"),
        (pl.col("lab") == "neutral").sum().cast(pl.Int64).alias("neutral"),
        pl.col("engagement").sum().cast(pl.Int64).alias("engagement"))
    return sorted(tuple(r) for r in g.select(*SOCIAL_DIMS, *SOCIAL_COUNTERS).iter_rows())


def _stored(engine: Engine) -> list[tuple]:
    t = s.social_buckets
    with engine.connect() as conn:
        rows = conn.execute(select(*[t.c[c] for c in (*SOCIAL_DIMS, *SOCIAL_COUNTERS)])).all()
    n = len(SOCIAL_DIMS)
    return sorted(tuple(r) for r in rows if any(v != 0 for v in tuple(r)[n:]))


def _as_old_model(engine: Engine) -> None:
    """Stored as an older model would have: every post neutral, topic 'khác', buckets moved
    accordingly (a consistent state to rescore from)."""
    with engine.begin() as conn:
        old = read_posts(conn)
        new = old.with_columns(pl.lit(0.0).alias("sentiment"), pl.lit("neutral").alias("label"),
                               pl.lit("khác").alias("topic"))
        move_buckets(conn, old, new)
        conn.execute(update(s.social_posts).values(sentiment=0.0, label="neutral", topic="khác",
                                                   model_version="old"))


def test_relabel_moves_one_post_and_is_audited(engine: Engine) -> None:
    _seed(engine)
    posts = social_posts_frame(engine)
    neg = posts.filter(pl.col("label") == "negative").row(0, named=True)
    period = resolve("7d", NOW)
    before = {k.kpi: k.value for k in social_kpis(engine, "province:25", period, NOW)
              if not k.by}
    audit = relabel(engine, neg["post_id"], "positive", "operator1", now=NOW)
    after = {k.kpi: k.value for k in social_kpis(engine, "province:25", period, NOW)
             if not k.by}
    assert after["social.negative_posts"] == before["social.negative_posts"] - 1
    assert after["social.positive_posts"] == before["social.positive_posts"] + 1
    assert after["social.posts"] == before["social.posts"]
    assert _stored(engine) == _recomputed(engine)
    assert audit["old_label"] == "negative" and audit["new_label"] == "positive"
    rows = corrections(engine, neg["post_id"])
    assert rows.height == 1
    r = rows.row(0, named=True)
    assert (r["actor"], r["old_label"], r["new_label"], r["model_label"], r["model_version"]) \
        == ("operator1", "negative", "positive", "negative", MODEL_VERSION)
    # A second correction is audited too; training reads the latest one.
    relabel(engine, neg["post_id"], "neutral", "operator2", now=NOW)
    assert corrections(engine, neg["post_id"])["new_label"].to_list() == ["neutral", "positive"]
    assert _stored(engine) == _recomputed(engine)
    assert [lab for _, lab in corrected_texts(engine)] == ["neutral"]


def test_relabel_rejects_bad_input(engine: Engine) -> None:
    _seed(engine, 2)
    with pytest.raises(ValueError, match="label must be one of"):
        relabel(engine, "P000", "angry", "op")
    with pytest.raises(ValueError, match="no stored post"):
        relabel(engine, "nope", "positive", "op")
    with pytest.raises(ValueError, match="actor"):
        relabel(engine, "P000", "positive", " ")
    with engine.begin() as conn:  # as migration 0009 left an older row
        conn.execute(update(s.social_posts).where(s.social_posts.c.post_id == "P001")
                     .values(model_version=None, topic=""))
    with pytest.raises(ValueError, match="stored before topics were kept"):
        relabel(engine, "P001", "positive", "op")
    assert corrections(engine).is_empty()


def test_rescore_leaves_kpis_equal_to_a_recomputation(engine: Engine) -> None:
    _seed(engine)
    fresh = _stored(engine)
    fresh_posts = social_posts_frame(engine).sort("post_id")
    _as_old_model(engine)
    assert _stored(engine) == _recomputed(engine) != fresh
    keep = fresh_posts.row(3, named=True)["post_id"]
    relabel(engine, keep, "negative", "op", now=NOW)
    stats = rescore(engine, chunk=7)  # several chunks, one transaction each
    assert stats.posts == 40 and stats.chunks == 6 and stats.model_version == MODEL_VERSION
    assert _stored(engine) == _recomputed(engine)
    now_posts = social_posts_frame(engine).sort("post_id")
    assert now_posts["label"].to_list() == fresh_posts["label"].to_list()
    assert now_posts["topic"].to_list() == fresh_posts["topic"].to_list()
    assert set(now_posts["model_version"].to_list()) == {MODEL_VERSION}
    corrected = now_posts.filter(pl.col("post_id") == keep).row(0, named=True)
    assert corrected["corrected_label"] == "negative"  # the correction survives
    # Rescoring again changes nothing.
    again = rescore(engine)
    assert again.changed == 0 and _stored(engine) == _recomputed(engine)


def test_rescore_since_and_posts_without_text(engine: Engine) -> None:
    _seed(engine, 10)
    _as_old_model(engine)
    with engine.begin() as conn:  # a post stored before migration 0009 kept no text
        conn.execute(update(s.social_posts).where(s.social_posts.c.post_id == "P000")
                     .values(title=None, text=None))
    since = NOW - timedelta(hours=5, minutes=30)  # P000..P004 are newer
    stats = rescore(engine, since=since)
    assert stats.posts == 4 and stats.skipped == 1
    versions = dict(social_posts_frame(engine).select("post_id", "model_version").iter_rows())
    assert versions["P000"] == "old" and versions["P009"] == "old"
    assert versions["P001"] == MODEL_VERSION
    assert _stored(engine) == _recomputed(engine)


def test_top_posts_filters_and_effective_label(engine: Engine) -> None:
    from ioc.social.queries import post, top_posts

    _seed(engine)
    period = resolve("7d", NOW)
    df = top_posts(engine, "province:25", period, limit=5)
    assert df.height == 5 and df["engagement"].to_list() == sorted(df["engagement"], reverse=True)
    assert df["engagement"][0] == 39  # likes=i, the newest-first seed's P039
    fb = top_posts(engine, "province:25", period, 100, platform="facebook")
    assert fb.height == 20 and set(fb["platform"]) == {"facebook"}
    # "topic" also matches secondary topics; "ward" also communes the text names.
    flood = top_posts(engine, "province:25", period, 100, topic="thiên tai - thời tiết")
    assert flood.height == 8 and all("thiên tai" in t for t in flood["topics"])
    lam_thao = top_posts(engine, "province:25", period, 100, ward="08494")
    assert lam_thao.height == 16
    assert top_posts(engine, "agency:X", period).is_empty()
    pid = lam_thao["post_id"][0]
    relabel(engine, pid, "neutral", "op", now=NOW)
    one = post(engine, pid)
    assert one is not None and one["label"] == "neutral" and one["corrected_label"] == "neutral"
    assert one["model_label"] == lam_thao.filter(pl.col("post_id") == pid)["model_label"][0]
    assert pid in top_posts(engine, "province:25", period, 100, label="neutral")["post_id"]
    assert post(engine, "nope") is None
