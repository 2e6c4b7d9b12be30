"""Operators' label corrections and re-scoring of stored posts: both move posts between the
social buckets exactly, in the same transaction as the post rows.

- `relabel(engine, post_id, label, actor)`: an operator's correction (callers check the
  `sentiment.relabel` permission, operator role). The post counts with the corrected label from
  then on, whatever later model says (rescore keeps corrections); the row in
  `social_label_corrections` (actor, at, old and new label, the model's label and version) is
  the audit. The bucket of the post's hour/commune/platform/topic loses one from the old
  label and gains one in the new.
- `rescore(engine, since=None)`: the current model (and topic rules) on the stored title and
  text of every post published since `since`, in chunks, one transaction per chunk: the post
  rows get the new score, label, model_version, topics; the buckets get
  contributions(new) − contributions(old). Posts stored before migration 0009 kept no text:
  they are left as they are (counted in `skipped`).
- `corrected_texts(engine)`: (text, label) of the latest correction per post, for
  `ioc sentiment train --with-corrections`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, select, update

from ioc.db import schema as s
from ioc.db.columns import SOCIAL_COUNTERS, SOCIAL_DIMS
from ioc.db.upsert import upsert_frame
from ioc.kpis.buckets import bucket_delta, regroup, roll_up
from ioc.kpis.values import utc_naive
from ioc.social import transitions
from ioc.social.sentiment import LABELS, model_version, score_many
from ioc.social.sentiment import label as sentiment_label
from ioc.social.topics import OTHER, topics

RESCORE_CHUNK = 2000
_POST_COLS = ("post_id", "published_at", "province_code", "ward_code", "platform", "topic",
              "sentiment", "label", "corrected_label", "model_version", "engagement", "title",
              "text")
_TYPES: dict[str, pl.DataType] = {"published_at": pl.Datetime("us"), "sentiment": pl.Float64(),
                                 "engagement": pl.Int64()}


@dataclass
class RescoreStats:
    posts: int = 0  # re-scored
    changed: int = 0  # of which the effective label or the topic changed
    skipped: int = 0  # stored without text (before migration 0009): left as they were
    chunks: int = 0
    model_version: str = ""


def read_posts(conn: Connection, where=None, limit: int | None = None,  # noqa: ANN001
               lock: bool = False) -> pl.DataFrame:
    """Stored posts (the columns their buckets and rescore need) by post_id; `lock` takes
    their row locks for the rest of the transaction (PostgreSQL)."""
    p = s.social_posts
    q = select(*[p.c[c] for c in _POST_COLS]).order_by(p.c.post_id)
    if where is not None:
        q = q.where(where)
    if limit is not None:
        q = q.limit(limit)
    if lock:
        q = q.with_for_update()
    rows = [tuple(r) for r in conn.execute(q)]
    schema = {c: _TYPES.get(c, pl.String()) for c in _POST_COLS}
    return pl.DataFrame(rows, schema=schema, orient="row")


def move_buckets(conn: Connection, old: pl.DataFrame, new: pl.DataFrame) -> None:
    """Add contributions(new) − contributions(old) to the social buckets (same post_ids)."""
    delta = bucket_delta(transitions.contributions(new), transitions.contributions(old),
                         SOCIAL_DIMS, SOCIAL_COUNTERS)
    if not delta.is_empty():
        # One global order of row locks, as the aggregator writes them (no deadlock).
        upsert_frame(conn, s.social_buckets, delta.sort(list(SOCIAL_DIMS)), keys=SOCIAL_DIMS,
                     add=SOCIAL_COUNTERS)
        # The day and month rollups move with the hours (migration 0018), and their narrow
        # sums (0021), in this transaction.
        for grain, rollup in s.ROLLUPS["social_buckets"].items():
            rolled = roll_up(delta, grain, SOCIAL_DIMS, SOCIAL_COUNTERS)
            upsert_frame(conn, rollup, rolled.sort(list(SOCIAL_DIMS)), keys=SOCIAL_DIMS,
                         add=SOCIAL_COUNTERS)
            for narrow in s.NARROW_ROLLUPS["social_buckets"][grain]:
                keys = tuple(c.name for c in narrow.primary_key.columns)
                upsert_frame(conn, narrow, regroup(rolled, keys, SOCIAL_COUNTERS)
                             .sort(list(keys)), keys=keys, add=SOCIAL_COUNTERS)


def relabel(engine: Engine, post_id: str, label: str, actor: str,
            now: datetime | None = None) -> dict[str, str | None]:
    """Correct a post's label (see the module docstring); returns the audit row written."""
    if label not in LABELS:
        raise ValueError(f"label must be one of {list(LABELS)}, got {label!r}")
    if not actor or not actor.strip():
        raise ValueError("actor: who corrects the label is required")
    p = s.social_posts
    with engine.begin() as conn:
        old = read_posts(conn, p.c.post_id == post_id, lock=True)
        if old.is_empty():
            raise ValueError(f"no stored post {post_id!r}")
        row = old.row(0, named=True)
        if row["model_version"] is None:
            # Stored before migration 0009: its topic was not kept, so the bucket it is
            # counted in is unknown and cannot be moved exactly.
            raise ValueError(f"post {post_id!r} was stored before topics were kept; "
                             "it cannot be relabelled")
        before = row["corrected_label"] or row["label"] or sentiment_label(row["sentiment"])
        new = old.with_columns(pl.lit(label).alias("corrected_label"))
        move_buckets(conn, old, new)
        conn.execute(update(p).where(p.c.post_id == post_id).values(corrected_label=label))
        audit = {"post_id": post_id, "actor": actor.strip()[:100], "at": utc_naive(now),
                 "old_label": before, "new_label": label, "model_label": row["label"],
                 "model_version": row["model_version"]}
        conn.execute(s.social_label_corrections.insert().values(**audit))
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in audit.items()}


def corrections(engine: Engine, post_id: str | None = None, limit: int = 200) -> pl.DataFrame:
    """The audit: corrections newest first (of one post, or all)."""
    c = s.social_label_corrections
    q = select(c.c.id, c.c.post_id, c.c.actor, c.c.at, c.c.old_label, c.c.new_label,
               c.c.model_label, c.c.model_version).order_by(c.c.id.desc()).limit(limit)
    if post_id is not None:
        q = q.where(c.c.post_id == post_id)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(q)]
    return pl.DataFrame(rows, orient="row", schema={
        "id": pl.Int64, "post_id": pl.String, "actor": pl.String, "at": pl.Datetime("us"),
        "old_label": pl.String, "new_label": pl.String, "model_label": pl.String,
        "model_version": pl.String})


def corrected_texts(engine: Engine) -> list[tuple[str, str]]:
    """(title + text, label) of the latest correction of each post that kept its text."""
    c, p = s.social_label_corrections, s.social_posts
    latest = select(func.max(c.c.id)).group_by(c.c.post_id).scalar_subquery()
    q = (select(p.c.title, p.c.text, c.c.new_label)
         .select_from(c.join(p, c.c.post_id == p.c.post_id))
         .where(c.c.id.in_(latest)).order_by(c.c.post_id))
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    out = []
    for title, text, label in rows:
        body = " ".join(x for x in (title, text) if x)
        if body.strip():
            out.append((body, label))
    return out


def _rescored(old: pl.DataFrame) -> pl.DataFrame:
    texts = old.select(transitions.body_expr()).to_series().to_list()
    found = [topics(t) for t in texts]
    return old.with_columns(
        pl.Series("sentiment", score_many(texts), dtype=pl.Float64),
        pl.Series("topic", [f[0] if f else OTHER for f in found], dtype=pl.String),
        pl.Series("topics", ["|".join(f) for f in found], dtype=pl.String),
    ).with_columns(transitions.label_expr(pl.col("sentiment")).alias("label"))


def rescore(engine: Engine, since: datetime | None = None, chunk: int = RESCORE_CHUNK
            ) -> RescoreStats:
    """Re-score stored posts with the current model (see the module docstring)."""
    p, tags = s.social_posts, s.social_post_tags
    stats = RescoreStats(model_version=model_version())
    has_text = (p.c.title.is_not(None)) | (p.c.text.is_not(None))
    window = p.c.published_at >= utc_naive(since) if since else None
    with engine.connect() as conn:
        skipped = select(func.count()).select_from(p).where(~has_text)
        stats.skipped = int(conn.execute(skipped.where(window) if window is not None
                                         else skipped).scalar() or 0)
    after = ""
    while True:
        with engine.begin() as conn:
            cond = and_(has_text, p.c.post_id > after)
            if window is not None:
                cond = and_(cond, window)
            old = read_posts(conn, cond, limit=chunk, lock=True)
            if old.is_empty():
                break
            new = _rescored(old)
            move_buckets(conn, old, new)
            conn.execute(update(p).where(p.c.post_id == bindparam("pid")).values(
                sentiment=bindparam("v_sentiment"), label=bindparam("v_label"),
                model_version=bindparam("v_version"), topic=bindparam("v_topic"),
                topics=bindparam("v_topics")),
                [{"pid": r["post_id"], "v_sentiment": r["sentiment"], "v_label": r["label"],
                  "v_version": stats.model_version, "v_topic": r["topic"],
                  "v_topics": r["topics"]}
                 for r in new.select("post_id", "sentiment", "label", "topic", "topics")
                 .iter_rows(named=True)])
            ids = old["post_id"].to_list()
            conn.execute(delete(tags).where(tags.c.kind == "topic", tags.c.post_id.in_(ids)))
            topic_tags = transitions.tags(new.with_columns(
                pl.lit([], pl.List(pl.String)).alias("terms"), pl.lit("").alias("places")))
            upsert_frame(conn, tags, topic_tags, keys=("post_id", "kind", "value"))
        eff_old = old.select(transitions.effective_label(), "topic")
        eff_new = new.select(transitions.effective_label(), "topic")
        stats.changed += int((eff_old != eff_new).select(pl.any_horizontal(pl.all()))
                             .to_series().sum())
        stats.posts += old.height
        stats.chunks += 1
        after = ids[-1]
    return stats
