"""Social KPI values from the SQL state: sums over the social hourly buckets (posts, labels,
engagement per hour × commune × platform × primary topic) and, for rising keywords, the
posts' terms (social_post_tags). The read API of the Social page:

- `social_kpis(engine, scope, period, now=None)` → list[KpiValue], each with its previous
  equal period (posts also per platform, topics, places and rising keywords as `by` rows);
- `top_topics`, `posts_per_place`, `posts_by_platform` → Polars frames with the previous
  period beside the window;
- `rising_keywords(engine, scope, period, limit=20)` → terms of the window against the
  previous period (scoring below).

Scopes: `province:25`, `commune:07900`, `platform:facebook`, `topic:giao thông`, or several
joined by ',' (`province:25,topic:giao thông`). A scope the social tables cannot be cut by
(agency, procedure) has no social values ([] / empty frames).

Rising score of a term: c = posts of the window that mention it, c_prev = the same over the
previous equal period, n and n_prev the posts of each period. The expected count from the
previous period's rate is e = c_prev × n / n_prev (0 when n_prev is 0), and

    score = log2((c + 1) / (e + 1))

(+1 smoothing keeps a term seen 2 times instead of 0 from outranking one seen 40 instead of
10). Only terms with c ≥ MIN_RISING_COUNT qualify; ties go to the larger c, then the term.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from sqlalchemy import BigInteger, Engine, Select, and_, cast, func, select, union_all

from ioc.db import schema as s
from ioc.db.columns import SOCIAL_COUNTERS
from ioc.kpis.buckets import spans
from ioc.kpis.catalogue import BY_CODE, parse_scope
from ioc.kpis.values import (
    KpiValue,
    _or_none,
    bucket_frame,
    scope_filter,
    summed_parts,
    utc_naive,
)
from ioc.kpis.windows import Period

MIN_RISING_COUNT = 3
TOP_TOPICS = 5
TOP_KEYWORDS = 10


_DIMS = ("ward_code", "platform", "topic")  # what the sums are grouped by (no hour)

# The Social page draws windows up to two days by hour, longer ones by local day.
HOURLY_UP_TO = timedelta(days=2)


def page_buckets(engine: Engine, scope: str, start: datetime, end: datetime) -> pl.DataFrame:
    """The social bucket rows of [start, end) the page's charts and breakdowns sum: hourly
    up to HOURLY_UP_TO; beyond, whole local days as one row each (`hour` = the day's first
    hour) from social_buckets_day and hours at the edges — the same sums per local day."""
    coarsest = "hour" if end - start <= HOURLY_UP_TO else "day"
    return bucket_frame(engine, s.social_buckets, scope, start, end, coarsest)


def _raw_frame(engine: Engine, q: Select, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Rows of `q` (no datetime columns) as a frame: compiled through SQLAlchemy's cache (a
    window's union of parts costs ~7 ms to compile anew), fetched from the DB-API cursor
    without SQLAlchemy's row processing (thousands of groups on a long window)."""
    with engine.connect() as conn:
        result = conn.execute(q)
        try:
            rows = result.cursor.fetchall()  # type: ignore[union-attr]
        finally:
            result.close()
    return pl.DataFrame(rows, schema=schema, orient="row")


def _frame(engine: Engine, scope: str, period: Period, now: datetime | None,
           by: tuple[str, ...] = _DIMS) -> pl.DataFrame:
    """The window's counters per group of `by` (default: ward_code, platform, topic; () the
    totals alone, one row or none), summed in SQL: whole local months and days from the
    rollups, hours at the edges."""
    # Up to `now` when given (a window ending in the future has no posts after now anyway).
    end = min(period.end, max(period.start, utc_naive(now))) if now else period.end
    # HAVING count(*) > 0 (summed_parts) drops no group; with no `by`, an empty window's
    # row of NULL sums. Whole days and months from the narrowest rollup holding the scope's
    # and the groups' columns (migration 0021).
    need = {*parse_scope(scope), *by}
    q = summed_parts(s.social_buckets, lambda t: _or_none(scope_filter(t, scope)),
                     period.start, end, list(by), SOCIAL_COUNTERS, need=need)
    return _raw_frame(engine, q, {**{c: pl.String() for c in by},
                                   **{c: pl.Int64() for c in SOCIAL_COUNTERS}})


def _totals(df: pl.DataFrame) -> dict[str, int]:
    return {c: int(df[c].sum()) if df.height else 0 for c in SOCIAL_COUNTERS}


def _values(t: dict[str, int]) -> dict[str, float | int | None]:
    posts = t["posts"]
    return {
        "social.posts": posts,
        "social.negative_posts": t["negative"],
        "social.positive_posts": t["positive"],
        "social.negative_share": t["negative"] / posts if posts else None,
        "social.positive_share": t["positive"] / posts if posts else None,
        "social.sentiment_index": (t["positive"] - t["negative"]) / posts if posts else None,
        "social.engagement": t["engagement"],
    }


def _kv(code: str, scope: str, window: str, value: float | int | None,
        previous: float | int | None, num: int | None = None, den: int | None = None,
        by: dict[str, str] | None = None) -> KpiValue:
    k = BY_CODE[code]
    change = None if value is None or previous is None else value - previous
    return KpiValue(code, scope, window, value, num, den, k.label_vi, k.label_en, k.unit,
                    by or {}, previous=previous, change=change, target=k.target)


def _grouped(cur: pl.DataFrame, prev: pl.DataFrame, dim: str) -> pl.DataFrame:
    """Counters per value of `dim` in the window, with the previous period's posts."""
    schema = {dim: pl.String, **{c: pl.Int64 for c in SOCIAL_COUNTERS}}

    def agg(df: pl.DataFrame) -> pl.DataFrame:
        if df.is_empty():
            return pl.DataFrame(schema=schema)
        return df.group_by(dim).agg([pl.col(c).sum() for c in SOCIAL_COUNTERS])

    before = agg(prev).select(dim, pl.col("posts").alias("previous_posts"))
    out = agg(cur).join(before, on=dim, how="full", coalesce=True).with_columns(
        [pl.col(c).fill_null(0) for c in (*SOCIAL_COUNTERS, "previous_posts")])
    return out.filter((pl.col("posts") != 0) | (pl.col("previous_posts") != 0)).with_columns(
        (pl.col("posts") - pl.col("previous_posts")).alias("change"),
        pl.when(pl.col("posts") > 0).then(pl.col("negative") / pl.col("posts"))
        .alias("negative_share"),
        pl.when(pl.col("posts") > 0).then((pl.col("positive") - pl.col("negative"))
                                          / pl.col("posts")).alias("sentiment_index"),
    ).sort(["posts", dim], descending=[True, False])


def _pair(engine: Engine, scope: str, period: Period, now: datetime | None,
          dim: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    return (_frame(engine, scope, period, now, (dim,)),
            _frame(engine, scope, period.previous(), None, (dim,)))


def top_topics(engine: Engine, scope: str, period: Period, limit: int | None = None,
               now: datetime | None = None) -> pl.DataFrame:
    """topic, posts, negative, positive, neutral, engagement, previous_posts, change,
    negative_share, sentiment_index — per primary topic, most posts first."""
    df = _grouped(*_pair(engine, scope, period, now, "topic"), "topic")
    return df.head(limit) if limit else df


def posts_per_place(engine: Engine, scope: str, period: Period,
                    now: datetime | None = None) -> pl.DataFrame:
    """The same columns per 2025 commune (`ward_code`); posts with no commune are left out."""
    return _grouped(*_pair(engine, scope, period, now, "ward_code"), "ward_code").filter(
        pl.col("ward_code") != "")


def posts_by_platform(engine: Engine, scope: str, period: Period,
                      now: datetime | None = None) -> pl.DataFrame:
    return _grouped(*_pair(engine, scope, period, now, "platform"), "platform")


def _term_counts(engine: Engine, scope: str, start: datetime, end: datetime) -> pl.DataFrame:
    """term, posts: posts published in [start, end) that mention each term. A province's
    whole local days come from social_terms_day (migration 0021), the hours at the edges
    from the posts (covering index ix_social_posts_window) and their tags; any other scope,
    or a window without a whole local day, reads only the posts and their tags. One read
    per period: counting both periods in one pass (a CASE per row) measured slower."""
    p, t, d = s.social_posts, s.social_post_tags, s.social_terms_day
    where = scope_filter(p, scope)
    schema: dict[str, pl.DataType] = {"term": pl.String(), "posts": pl.Int64()}
    if where is None:
        return pl.DataFrame(schema=schema)

    def from_posts(a: datetime, b: datetime) -> Select:
        return (select(t.c.value.label("term"), func.count().label("posts"))
                .select_from(t.join(p, t.c.post_id == p.c.post_id))
                .where(and_(t.c.kind == "term", p.c.published_at >= a, p.c.published_at < b,
                            where))
                .group_by(t.c.value))

    filters = parse_scope(scope)
    pieces = spans(start, end, "day") if list(filters) == ["province_code"] else []
    if not any(grain == "day" for grain, _, _ in pieces):
        q: Select = from_posts(start, end)
    else:
        parts = [select(d.c.term, func.sum(d.c.posts).label("posts"))
                 .where(d.c.province_code == filters["province_code"], d.c.hour >= a,
                        d.c.hour < b).group_by(d.c.term)
                 if grain == "day" else from_posts(a, b) for grain, a, b in pieces]
        u = union_all(*parts).subquery()
        # PostgreSQL sums bigints as numeric: back to bigint (exact, counts of posts).
        q = select(u.c.term, cast(func.sum(u.c.posts), BigInteger)).group_by(u.c.term)
    return _raw_frame(engine, q, schema)


def rising_keywords(engine: Engine, scope: str, period: Period, limit: int = 20,
                    now: datetime | None = None,
                    min_count: int = MIN_RISING_COUNT) -> pl.DataFrame:
    """term, posts, previous_posts, expected, score — the terms rising most in the window."""
    # The posts of each period are all the score needs of the sums (one row, not groups).
    return _rising(engine, scope, period, limit, now, min_count,
                   _frame(engine, scope, period, now, ()),
                   _frame(engine, scope, period.previous(), None, ()))


def _rising(engine: Engine, scope: str, period: Period, limit: int, now: datetime | None,
            min_count: int, cur: pl.DataFrame, before: pl.DataFrame) -> pl.DataFrame:
    """rising_keywords with the window's and the previous period's sums already read."""
    cur_end = min(period.end, max(period.start, utc_naive(now))) if now else period.end
    prev = period.previous()
    now_terms = _term_counts(engine, scope, period.start, cur_end)
    before_terms = _term_counts(engine, scope, prev.start, prev.end).rename(
        {"posts": "previous_posts"})
    n, n_prev = _totals(cur)["posts"], _totals(before)["posts"]
    rate = n / n_prev if n_prev else 0.0
    df = (now_terms.filter(pl.col("posts") >= min_count)
          .join(before_terms, on="term", how="left")
          .with_columns(pl.col("previous_posts").fill_null(0))
          .with_columns((pl.col("previous_posts") * rate).alias("expected")))
    return (df.with_columns(((pl.col("posts") + 1) / (pl.col("expected") + 1)).log(2)
                            .alias("score"))
            .sort(["score", "posts", "term"], descending=[True, True, False])
            .head(limit))


def social_kpis(engine: Engine, scope: str, period: Period, now: datetime | None = None,
                with_previous: bool = True, rows: bool = True) -> list[KpiValue]:
    """Every social KPI of `scope` over `period` with the previous equal period; [] when the
    social tables cannot be cut by `scope`. Without `rows`, only the totals (no per-platform,
    topic, commune or keyword rows: the page's tiles show the totals alone)."""
    if scope_filter(s.social_buckets, scope) is None:
        return []
    w = period.window
    # Per platform, per topic and per commune (each from its narrow rollup): every post has
    # exactly one of each, so any of them sums to the totals.
    dims = ("platform", "topic", "ward_code") if rows else ()
    cur = {d: _frame(engine, scope, period, now, (d,)) for d in dims}
    prev = {d: _frame(engine, scope, period.previous(), None, (d,)) if with_previous
            else cur[d].clear() for d in dims}
    if rows:
        cur_t, prev_t = cur["platform"], prev["platform"]
    else:
        cur_t = _frame(engine, scope, period, now, ())
        prev_t = (_frame(engine, scope, period.previous(), None, ()) if with_previous
                  else cur_t.clear())
    now_v, before_v = _values(_totals(cur_t)), _values(_totals(prev_t))
    t = _totals(cur_t)
    out = []
    for code, value in now_v.items():
        previous = before_v[code] if with_previous else None
        k = BY_CODE[code]
        num = t[k.num] if k.num else None
        den = t[k.den] if k.den else None
        out.append(_kv(code, scope, w, value, previous, num, den))
    if not rows:
        return out
    for r in _grouped(cur["platform"], prev["platform"], "platform").iter_rows(named=True):
        if r["posts"]:
            out.append(_kv("social.posts", scope, w, r["posts"],
                           r["previous_posts"] if with_previous else None,
                           by={"platform": r["platform"]}))
    for code, dim, limit in (("social.topic_posts", "topic", TOP_TOPICS),
                             ("social.place_posts", "ward_code", None)):
        g = _grouped(cur[dim], prev[dim], dim).filter((pl.col(dim) != "")
                                                      & (pl.col("posts") > 0))
        for r in (g.head(limit) if limit else g).iter_rows(named=True):
            out.append(_kv(code, scope, w, r["posts"],
                           r["previous_posts"] if with_previous else None, by={dim: r[dim]}))
    if with_previous:
        for r in _rising(engine, scope, period, TOP_KEYWORDS, now, MIN_RISING_COUNT,
                         cur["platform"], prev["platform"]).iter_rows(named=True):
            out.append(_kv("social.rising_keywords", scope, w, r["posts"], r["previous_posts"],
                           by={"term": r["term"], "score": f"{r['score']:.2f}"}))
    return out
