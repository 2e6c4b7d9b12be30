"""Social post transitions of the aggregator (pure Polars; no Kafka, no SQL): enrichment and the
bucket counters a set of posts contributes. Posts are counted once per post_id.

A post counts under its effective label: the operator's `corrected_label` when set, else the
model's `label`. Its bucket dimensions are its commune (`ward_code`: the event's, else the
first commune the text names) and its primary topic, so the counts of every topic (and of
every commune) add up to the province's posts. Relabel and rescore move a post between
buckets with contributions(new) − contributions(old), as the entity streams do.
"""

from __future__ import annotations

import polars as pl

from ioc.db.columns import SOCIAL_COUNTERS, SOCIAL_DIMS
from ioc.kpis.buckets import blank, bucket_schema, grain_start, hour_of
from ioc.social.enrichment import Enrichment, compute
from ioc.social.sentiment import CUT, label, model_version

# The engagement counts a post carries (the `engagement` object of the contract).
ENGAGEMENT_FIELDS = ("likes", "shares", "comments")


def body_expr() -> pl.Expr:
    """Title and text joined: what the model scores and the rules read."""
    return pl.concat_str([pl.col("title").fill_null(""), pl.col("text").fill_null("")],
                         separator=" ")


def _engagement(events: pl.DataFrame) -> list[pl.Expr]:
    eng = events.schema.get("engagement")
    fields = {f.name for f in eng.fields} if isinstance(eng, pl.Struct) else set()
    cols = [(pl.col("engagement").struct.field(f) if f in fields else pl.lit(None))
            .cast(pl.Int64, strict=False).fill_null(0).clip(0).alias(f)
            for f in ENGAGEMENT_FIELDS]
    return [*cols, pl.sum_horizontal(cols).alias("engagement")]


# What the aggregator reads back of a stored post to move its engagement between buckets.
STORED_COLS = ("post_id", "published_at", "province_code", "ward_code", "platform", "topic",
               "sentiment", "label", "corrected_label", "model_version", *ENGAGEMENT_FIELDS,
               "engagement")


def engagement_counts(events: pl.DataFrame) -> pl.DataFrame:
    """post_id, likes, shares, comments, engagement: each count the largest any delivery of
    the post in `events` carries (a crawler sees counts grow; max is order-free, so replays
    and out-of-order deliveries give the same result)."""
    counts = events.select("post_id", *_engagement(events)[:-1])
    return counts.group_by("post_id").agg(pl.col(f).max() for f in ENGAGEMENT_FIELDS) \
        .with_columns(pl.sum_horizontal(ENGAGEMENT_FIELDS).alias("engagement"))


def grown(stored: pl.DataFrame, counts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(old rows, new rows) of the stored posts whose engagement counts grew. Rows stored
    before migration 0009 (no model_version) kept no counts, though their buckets hold them:
    they are left alone rather than counted twice."""
    j = stored.filter(pl.col("model_version").is_not_null()).join(
        counts, on="post_id", suffix="_in")
    up = pl.any_horizontal([pl.col(f"{f}_in") > pl.col(f) for f in ENGAGEMENT_FIELDS])
    j = j.filter(up)
    old = j.select(stored.columns)
    new = j.with_columns([pl.max_horizontal(f, f"{f}_in").alias(f) for f in ENGAGEMENT_FIELDS]
                         ).with_columns(pl.sum_horizontal(ENGAGEMENT_FIELDS).alias("engagement")
                                        ).select(stored.columns)
    return old, new


def _carried(events: pl.DataFrame) -> list[Enrichment | None]:
    """The `enrichment` each event carries, when it is of the current model version and its
    label is its score's (the decoder checked its shape); None where the post must be scored
    here (no enrichment: an external producer or an event from before ingest enrichment)."""
    if "enrichment" not in events.columns or not isinstance(events.schema["enrichment"],
                                                            pl.Struct):
        return [None] * events.height
    version = model_version()
    out: list[Enrichment | None] = []
    for e in events["enrichment"].to_list():
        if (e is None or e.get("model_version") != version or e.get("sentiment") is None
                or e.get("label") != label(e["sentiment"])):
            out.append(None)
        else:
            out.append(Enrichment(
                sentiment=float(e["sentiment"]), label=e["label"], model_version=version,
                topic=e["topic"], topics=list(e["topics"] or []),
                places=list(e["places"] or []), terms=list(e["terms"] or [])))
    return out


def enrich(events: pl.DataFrame) -> pl.DataFrame:
    """Score, label, model version, topics, places and terms of new posts: the enrichment the
    event carries (computed at ingest) when current, else computed here for the batch."""
    found: list[Enrichment | None] = _carried(events)
    todo = [i for i, e in enumerate(found) if e is None]
    if todo:
        texts = events.select(body_expr()).to_series().gather(todo).to_list()
        provinces = events["province_code"].gather(todo).to_list()
        for i, e in zip(todo, compute(texts, provinces), strict=True):
            found[i] = e
    done = [e for e in found if e is not None]
    given_ward = events["ward_code"] if "ward_code" in events.columns else \
        pl.Series([None] * events.height, dtype=pl.String)
    return events.with_columns(
        pl.Series("sentiment", [e["sentiment"] for e in done], dtype=pl.Float64),
        *_engagement(events),
    ).with_columns(
        label_expr(pl.col("sentiment")).alias("label"),
        pl.Series("model_version", [e["model_version"] for e in done], dtype=pl.String),
        pl.lit(None, pl.String).alias("corrected_label"),
        pl.Series("topic", [e["topic"] for e in done], dtype=pl.String),
        pl.Series("topics", ["|".join(e["topics"]) for e in done], dtype=pl.String),
        pl.Series("places", [",".join(e["places"]) for e in done], dtype=pl.String),
        # The event's commune wins; else the first commune the text names.
        pl.Series("ward_code", [g or (e["places"][0] if e["places"] else "") for g, e in
                                zip(given_ward.to_list(), done, strict=True)],
                  dtype=pl.String),
        pl.Series("terms", [e["terms"] for e in done], dtype=pl.List(pl.String)),
        # Bounded like their columns: a long value must not make a good post poison.
        pl.col("source").str.slice(0, 100),
        pl.col("author_ref").str.slice(0, 128),
    )


def tags(posts: pl.DataFrame) -> pl.DataFrame:
    """(post_id, kind, value) rows of social_post_tags: terms, topics and places."""
    parts = [
        posts.select("post_id", pl.col("terms").alias("value"), pl.lit("term").alias("kind")),
        posts.select("post_id", pl.col("topics").str.split("|").alias("value"),
                     pl.lit("topic").alias("kind")),
        posts.select("post_id", pl.col("places").str.split(",").alias("value"),
                     pl.lit("place").alias("kind")),
    ]
    return (pl.concat(parts).explode("value").filter(pl.col("value").is_not_null()
                                                      & (pl.col("value") != ""))
            .select("post_id", "kind", "value").unique(maintain_order=True))


def label_expr(score: pl.Expr) -> pl.Expr:
    """sentiment.label() as a column expression (same cuts at ±CUT)."""
    return (pl.when(score <= -CUT).then(pl.lit("negative"))
            .when(score >= CUT).then(pl.lit("positive"))
            .otherwise(pl.lit("neutral")))


def effective_label() -> pl.Expr:
    """The label a post counts with: the operator's correction, else the model's label (rows
    stored without a label fall back to their score)."""
    return pl.coalesce(pl.col("corrected_label"), pl.col("label"),
                       label_expr(pl.col("sentiment")))


def contributions(posts: pl.DataFrame) -> pl.DataFrame:
    if posts.is_empty():
        return pl.DataFrame(schema=bucket_schema(SOCIAL_DIMS, SOCIAL_COUNTERS))
    for col, dtype in (("label", pl.String), ("corrected_label", pl.String),
                       ("topic", pl.String)):
        if col not in posts.columns:
            posts = posts.with_columns(pl.lit(None, dtype).alias(col))
    if posts.schema.get("engagement") != pl.Int64:
        posts = posts.with_columns(*_engagement(posts))
    return posts.with_columns(effective_label().alias("_label")).select(
        hour_of("published_at").alias("hour"),
        *[blank(d) for d in SOCIAL_DIMS if d != "hour"],
        posts=pl.lit(1, pl.Int64),
        negative=(pl.col("_label") == "negative").cast(pl.Int64),
        positive=(pl.col("_label") == "positive").cast(pl.Int64),
        neutral=(pl.col("_label") == "neutral").cast(pl.Int64),
        engagement=pl.col("engagement").fill_null(0).cast(pl.Int64),
    )


def term_days(posts: pl.DataFrame, post_tags: pl.DataFrame) -> pl.DataFrame:
    """province_code, hour (the naive-UTC first hour of the local day of publication), term,
    posts: how many of `posts` (new posts, each once) mention each term, per province and
    day — the rows social_terms_day gains from them (`post_tags`: their tags())."""
    schema = pl.Schema({"province_code": pl.String(), "hour": pl.Datetime("us"),
                        "term": pl.String(), "posts": pl.Int64()})
    terms = post_tags.filter(pl.col("kind") == "term")
    if posts.is_empty() or terms.is_empty():
        return pl.DataFrame(schema=schema)
    return (terms.join(posts.select("post_id", "province_code",
                                    grain_start("published_at", "day").alias("hour")),
                       on="post_id")
            .group_by("province_code", "hour", pl.col("value").alias("term"))
            .agg(pl.len().cast(pl.Int64).alias("posts"))
            .cast(schema).select(list(schema)))
