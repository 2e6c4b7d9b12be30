"""Property: social_terms_day (migration 0021) holds, per province and local day, the posts
that mention each term, and the narrow social rollups (0021) the day/month sums per province
and one more dimension, as the aggregator and relabels write them and as the migration
backfills them; the term counts and rising keywords of random windows and scopes (read
through social_terms_day for a province's whole local days) equal a recount from the posts
and their tags, and the KPI tiles and rows (read through the narrow rollups) equal the same
figures from the hourly buckets. Posts over three months with varied texts, re-published
(other text, grown engagement, later batches and re-read batches), shuffled, then relabelled
by an operator. Runs on SQLite, and on PostgreSQL when IOC_TEST_DATABASE_URL is set."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl
from alembic import command
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from ioc.db import schema as s
from ioc.db.columns import SOCIAL_COUNTERS, SOCIAL_DIMS
from ioc.db.migrate import alembic_config
from ioc.kpis import social_values as sv
from ioc.kpis.buckets import regroup, roll_up
from ioc.kpis.values import bucket_frame
from ioc.kpis.windows import Period
from ioc.reference.calendar import TZ
from ioc.social.corrections import relabel
from ioc.social.queries import top_posts
from streams.chaos.workload import social_event
from tests.helpers import apply_events, social_posts_frame

T0 = datetime(2026, 8, 25, 17)  # naive UTC; posts from here to 100 days later
WORDS = ("ngập úng", "giao thông", "xe máy", "trường học", "bệnh viện", "nước sạch",
         "rác thải", "ùn tắc", "tai nạn", "lễ hội", "du lịch", "mưa lớn", "cầu", "đường")
WARDS = ("04792", "04795", "04828", None)
PLATFORMS = ("news", "facebook", "tiktok", "forum")
SCOPES = ("province:25", "commune:04792", "platform:facebook", "province:25,platform:news",
          "province:26")
EVERYTHING = (datetime(2000, 1, 1), datetime(2100, 1, 1))


def _text(rng: random.Random) -> str:
    return "Người dân phản ánh " + ", ".join(rng.sample(WORDS, rng.randint(1, 5))) + "."


def _events() -> list[dict]:
    rng = random.Random(21)
    events = []
    for i in range(260):
        # Bunched in a few busy days and spread thinly elsewhere (rising and falling terms).
        day = rng.choice((3, 3, 8, 20, 21, 37, 52, 66, 81, 96)) if i % 3 else rng.uniform(0, 100)
        at = T0 + timedelta(days=day, hours=rng.uniform(0, 24))
        ev = social_event(f"T{i}", at, text=_text(rng), ward=rng.choice(WARDS),
                          platform=rng.choice(PLATFORMS),
                          engagement={"likes": rng.randint(0, 9), "shares": 0, "comments": 1})
        events.append(ev)
        if i % 4 == 0:  # re-published: another text, grown counts, a later seq
            again = dict(ev, seq=2, event_id=f"T{i}-again", text=_text(rng),
                         engagement={"likes": 50 + i, "shares": 3, "comments": 2})
            events.append(again)
    rng.shuffle(events)
    return events


def _apply(engine: Engine) -> None:
    """Shuffled in 6 random batches, then the first third again (a re-read batch)."""
    events = _events()
    rng = random.Random(5)
    cut = sorted(rng.sample(range(1, len(events)), 5))
    for a, b in zip([0, *cut], [*cut, len(events)], strict=True):
        apply_events(engine, events[a:b])
    apply_events(engine, events[: len(events) // 3])


def _tagged(engine: Engine) -> pl.DataFrame:
    """province_code, published_at, scope columns and term of every (post, term) stored."""
    p, t = s.social_posts, s.social_post_tags
    q = (select(p.c.province_code, p.c.ward_code, p.c.platform, p.c.published_at, t.c.value)
         .select_from(t.join(p, t.c.post_id == p.c.post_id)).where(t.c.kind == "term"))
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(q)]
    return pl.DataFrame(rows, orient="row", schema={
        "province_code": pl.String, "ward_code": pl.String, "platform": pl.String,
        "published_at": pl.Datetime("us"), "term": pl.String})


def _local_day_start(at: datetime) -> datetime:
    local = at.replace(tzinfo=UTC).astimezone(TZ)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC).replace(tzinfo=None)


def _stored_days(engine: Engine) -> pl.DataFrame:
    d = s.social_terms_day
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(d.c.province_code, d.c.hour, d.c.term,
                                                      d.c.posts))]
    return pl.DataFrame(rows, orient="row", schema={
        "province_code": pl.String, "hour": pl.Datetime("us"), "term": pl.String,
        "posts": pl.Int64}).sort("province_code", "hour", "term")


def _recount_days(tagged: pl.DataFrame) -> pl.DataFrame:
    days = [_local_day_start(a) for a in tagged["published_at"].to_list()]
    return (tagged.with_columns(pl.Series("hour", days, pl.Datetime("us")))
            .group_by("province_code", "hour", "term").agg(pl.len().cast(pl.Int64)
                                                           .alias("posts"))
            .sort("province_code", "hour", "term"))


def _in_scope(tagged: pl.DataFrame, scope: str) -> pl.DataFrame:
    cols = {"province": "province_code", "commune": "ward_code", "platform": "platform"}
    out = tagged
    for part in scope.split(","):
        kind, code = part.split(":")
        out = out.filter(pl.col(cols[kind]) == code)
    return out


def _counts(tagged: pl.DataFrame, a: datetime, b: datetime) -> dict[str, int]:
    part = tagged.filter((pl.col("published_at") >= a) & (pl.col("published_at") < b))
    return dict(part.group_by("term").agg(pl.len()).iter_rows())


def _assert_narrow_rollups(engine: Engine, hourly: pl.DataFrame) -> None:
    """Every narrow social rollup holds the hourly buckets summed per local day/month and
    its dimensions (relabels moved them with the hours)."""
    for grain, tables in s.NARROW_ROLLUPS["social_buckets"].items():
        rolled = roll_up(hourly, grain, SOCIAL_DIMS, SOCIAL_COUNTERS)
        for table in tables:
            keys = [c.name for c in table.primary_key.columns]
            got = bucket_frame(engine, table, "province:25", *EVERYTHING)
            got = got.filter(pl.any_horizontal([pl.col(c) != 0 for c in SOCIAL_COUNTERS]))
            want = regroup(rolled, tuple(keys), SOCIAL_COUNTERS)
            assert got.height == want.height > 0, table.name
            assert _rows(got, *keys) == _rows(want.cast(got.schema), *keys), table.name


def _rows(df: pl.DataFrame, *keys: str) -> list[tuple]:
    return sorted(df.select(sorted(df.columns)).iter_rows()) if not keys else \
        df.sort(list(keys)).select(sorted(df.columns)).rows()


def test_terms_day_and_page_reads_equal_recounts(engine: Engine) -> None:
    _apply(engine)
    posts = social_posts_frame(engine).sort("post_id")
    assert posts.height == 260
    for i, (post_id, label) in enumerate(zip(posts["post_id"], posts["label"], strict=True)):
        if i % 5 == 0:  # an operator's relabel moves the buckets, never the terms
            relabel(engine, post_id, "negative" if label != "negative" else "positive",
                    "tester")

    tagged = _tagged(engine)
    assert tagged["term"].n_unique() >= 10 and tagged.height > 500
    stored = _stored_days(engine)
    assert stored.height > 100 and stored.equals(_recount_days(tagged))
    hourly = bucket_frame(engine, s.social_buckets, "province:25", *EVERYTHING)
    _assert_narrow_rollups(engine, hourly)

    # Migration 0021's backfills (from the posts and their tags; from the full rollups)
    # give the same tables.
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "-1")
        command.upgrade(alembic_config(conn), "head")
    assert _stored_days(engine).equals(stored)
    _assert_narrow_rollups(engine, hourly)

    span = (T0 - timedelta(days=3), T0 + timedelta(days=104))
    n_hours = int((span[1] - span[0]).total_seconds() // 3600)

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(a=st.integers(0, n_hours), length=st.integers(0, 24 * 45),
           scope=st.sampled_from(SCOPES), limit=st.integers(1, 40),
           platform=st.sampled_from((None, *PLATFORMS)), ward=st.sampled_from((None, *WARDS)),
           label=st.sampled_from((None, "negative", "neutral", "positive")))
    # span[0] is a local midnight: a whole month, and two days of a busy stretch.
    @example(a=24 * 9, length=24 * 30, scope="province:25", limit=30, platform=None,
             ward=None, label=None)
    @example(a=24 * 23, length=48, scope="province:25", limit=5, platform=None, ward="04792",
             label="negative")
    # Wide unfiltered windows: the "a few posts listed" check below never rests on the draw.
    @example(a=0, length=24 * 45, scope="province:25", limit=10, platform=None, ward=None,
             label=None)
    @example(a=24 * 5, length=24 * 20, scope="province:25", limit=3, platform=None, ward=None,
             label=None)
    @example(a=24 * 15, length=24 * 30, scope="province:25", limit=40, platform=None,
             ward=None, label=None)
    def window_reads(a: int, length: int, scope: str, limit: int, platform: str | None,
                     ward: str | None, label: str | None) -> None:
        start = span[0] + timedelta(hours=a)
        end = start + timedelta(hours=length)
        period = Period(start, end, "custom")
        prev = period.previous()
        mine = _in_scope(tagged, scope)

        # Term counts of the window and of its previous period.
        for x, y in ((start, end), (prev.start, prev.end)):
            got = sv._term_counts(engine, scope, x, y)
            assert dict(got.iter_rows()) == _counts(mine, x, y), (scope, x, y)

        # Rising keywords: the documented score on the recounted terms and bucket totals.
        def posts(x: datetime, y: datetime) -> int:
            frame = sv._frame(engine, scope, Period(x, y, "custom"), None)
            return int(frame["posts"].sum()) if frame.height else 0

        n, n_prev = posts(start, end), posts(prev.start, prev.end)
        rate = n / n_prev if n_prev else 0.0
        now_c, before_c = _counts(mine, start, end), _counts(mine, prev.start, prev.end)
        want = pl.DataFrame(
            [(t, c, before_c.get(t, 0)) for t, c in now_c.items() if c >= sv.MIN_RISING_COUNT],
            orient="row", schema={"term": pl.String, "posts": pl.Int64,
                                  "previous_posts": pl.Int64})
        want = (want.with_columns((pl.col("previous_posts") * rate).alias("expected"))
                .with_columns(((pl.col("posts") + 1) / (pl.col("expected") + 1)).log(2)
                              .alias("score"))
                .sort(["score", "posts", "term"], descending=[True, True, False]).head(20))
        got_r = sv.rising_keywords(engine, scope, period, 20)
        assert got_r.rows() == want.rows(), (scope, start, end)
        seen["rising"] += got_r.height > 0 and length >= 72
        kpis = sv.social_kpis(engine, scope, period)
        kpi_terms = [(k.by["term"], k.value, k.previous) for k in kpis
                     if k.kpi == "social.rising_keywords"]
        assert kpi_terms == [(r[0], r[1], r[2]) for r in want.head(sv.TOP_KEYWORDS).rows()]

        # The other tiles and rows (read from the narrow rollups) from the hourly buckets.
        def hours(x: datetime, y: datetime) -> pl.DataFrame:
            part = _in_scope(hourly_all, scope)
            return part.filter((pl.col("hour") >= x) & (pl.col("hour") < y))

        cur, before = hours(start, end), hours(prev.start, prev.end)
        now_v, before_v = sv._values(sv._totals(cur)), sv._values(sv._totals(before))
        expect = [(code, {}, v, before_v[code]) for code, v in now_v.items()]
        expect += [("social.posts", {"platform": r["platform"]}, r["posts"],
                    r["previous_posts"])
                   for r in sv._grouped(cur, before, "platform").iter_rows(named=True)
                   if r["posts"]]
        for code, dim, top in (("social.topic_posts", "topic", sv.TOP_TOPICS),
                               ("social.place_posts", "ward_code", None)):
            g = sv._grouped(cur, before, dim).filter((pl.col(dim) != "")
                                                     & (pl.col("posts") > 0))
            expect += [(code, {dim: r[dim]}, r["posts"], r["previous_posts"])
                       for r in (g.head(top) if top else g).iter_rows(named=True)]
        got_k = [(k.kpi, k.by, k.value, k.previous) for k in kpis
                 if k.kpi != "social.rising_keywords"]
        assert got_k == expect, (scope, start, end)
        # The most engaged posts (their keys sorted first, then their rows).
        cond = ((pl.col("published_at") >= start) & (pl.col("published_at") < end)
                & (pl.col("province_code") == "25") & pl.lit(scope != "province:26"))
        for part in scope.split(","):
            kind, code = part.split(":")
            if kind in ("commune", "platform"):
                cond &= pl.col("ward_code" if kind == "commune" else "platform") == code
        if platform:
            cond &= pl.col("platform") == platform
        if ward:
            cond &= (pl.col("ward_code") == ward) | pl.col("places").str.split(",").list \
                .contains(ward)
        if label:
            cond &= pl.coalesce("corrected_label", "label") == label
        want_ids = (posts_all.filter(cond)
                    .sort(["engagement", "published_at", "post_id"],
                          descending=[True, True, False])["post_id"].head(limit).to_list())
        got_posts = top_posts(engine, scope, period, limit, platform, None, ward, label)
        assert got_posts["post_id"].to_list() == want_ids
        assert got_posts["engagement"].to_list() == posts_all.filter(
            pl.col("post_id").is_in(want_ids)).sort(
            ["engagement", "published_at", "post_id"],
            descending=[True, True, False])["engagement"].to_list()
        seen["posts"] += len(want_ids) >= 3

        # The page's tiles: the totals alone, the same values.
        assert sv.social_kpis(engine, scope, period, rows=False) == [k for k in kpis
                                                                    if not k.by]
        seen["tiles"] += bool(cur.height and before.height)

    with engine.connect() as conn:  # corrected labels are null in most rows: infer from all
        posts_all = pl.DataFrame([dict(r) for r in conn.execute(select(s.social_posts))
                                  .mappings()], infer_schema_length=None)
    hourly_all = bucket_frame(engine, s.social_buckets, "province:25", *EVERYTHING)
    seen = {"rising": 0, "tiles": 0, "posts": 0}
    window_reads()
    assert seen["rising"] >= 3  # long windows with rising terms were compared
    assert seen["tiles"] >= 10  # windows with posts in both periods
    assert seen["posts"] >= 3  # windows with a few posts listed

