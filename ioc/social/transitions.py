"""Social post transitions of the aggregator (pure Polars; no Kafka, no SQL): enrichment and the
bucket counters a set of new posts contributes. Posts are counted once per post_id."""

from __future__ import annotations

import polars as pl

from ioc.db.columns import SOCIAL_COUNTERS, SOCIAL_DIMS
from ioc.kpis.buckets import blank, bucket_schema, hour_of
from ioc.social.sentiment import CUT, score_many
from ioc.social.sentiment import topic as sentiment_topic


def enrich(events: pl.DataFrame) -> pl.DataFrame:
    """Sentiment and topic from title + text (pure functions in ioc.social.sentiment); the
    classifier scores the batch's texts in one call, not one Polars→Python hop per row."""
    body = pl.concat_str([pl.col("title").fill_null(""), pl.col("text").fill_null("")],
                         separator=" ")
    texts = events.select(body.alias("_body")).to_series().to_list()
    return events.with_columns(
        pl.Series("sentiment", score_many(texts), dtype=pl.Float64),
        body.map_elements(sentiment_topic, return_dtype=pl.String).alias("topic"),
    )


def label_expr(score: pl.Expr) -> pl.Expr:
    """sentiment.label() as a column expression (same cuts at ±CUT)."""
    return (pl.when(score <= -CUT).then(pl.lit("negative"))
            .when(score >= CUT).then(pl.lit("positive"))
            .otherwise(pl.lit("neutral")))


def contributions(posts: pl.DataFrame) -> pl.DataFrame:
    if posts.is_empty():
        return pl.DataFrame(schema=bucket_schema(SOCIAL_DIMS, SOCIAL_COUNTERS))
    lab = label_expr(pl.col("sentiment"))
    eng = pl.col("engagement")
    return posts.with_columns(lab.alias("_label")).select(
        hour_of("published_at").alias("hour"),
        *[blank(d) for d in SOCIAL_DIMS if d != "hour"],
        posts=pl.lit(1, pl.Int64),
        negative=(pl.col("_label") == "negative").cast(pl.Int64),
        positive=(pl.col("_label") == "positive").cast(pl.Int64),
        neutral=(pl.col("_label") == "neutral").cast(pl.Int64),
        engagement=(eng.struct.field("likes").fill_null(0) + eng.struct.field("shares")
                    .fill_null(0) + eng.struct.field("comments").fill_null(0)).fill_null(0),
    )
