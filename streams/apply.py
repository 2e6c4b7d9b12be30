"""Apply one decoded batch to the database (entity state + bucket deltas), inside the caller's
transaction. Reads the stored state of the batch's entities, keeps only newer events, writes."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl
from sqlalchemy import Connection, Table, select

from ioc import state
from ioc.db import schema as s
from ioc.db.upsert import upsert

IN_CHUNK = 5000


def _fetch(conn: Connection, table: Table, key: str, ids: list[str],
           cols: Iterable[str]) -> pl.DataFrame:
    cols = list(cols)
    rows: list[tuple] = []
    for i in range(0, len(ids), IN_CHUNK):
        chunk = ids[i : i + IN_CHUNK]
        q = select(*[table.c[c] for c in cols]).where(table.c[key].in_(chunk))
        rows.extend(tuple(r) for r in conn.execute(q))
    schema = {c: _pl_type(table.c[c].type) for c in cols}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _pl_type(sqltype) -> pl.DataType:  # noqa: ANN001
    name = type(sqltype).__name__
    return {
        "DateTime": pl.Datetime("us"), "Integer": pl.Int64, "BigInteger": pl.Int64,
        "Boolean": pl.Boolean, "Float": pl.Float64,
    }.get(name, pl.String)


def _write_buckets(conn: Connection, table: Table, delta: pl.DataFrame,
                   dims: tuple[str, ...], counters: tuple[str, ...]) -> None:
    if delta.is_empty():
        return
    # One global order of row locks, so concurrent instances on PostgreSQL cannot deadlock.
    upsert(conn, table, delta.sort(list(dims)).to_dicts(), keys=dims, add=counters)


def _newer(latest: pl.DataFrame, old: pl.DataFrame, key: str) -> pl.DataFrame:
    seen = old.select(key, pl.col("seq").alias("_old_seq"))
    return (latest.join(seen, on=key, how="left")
            .filter(pl.col("_old_seq").is_null() | (pl.col("seq") > pl.col("_old_seq")))
            .drop("_old_seq"))


def apply_dossiers(conn: Connection, events: pl.DataFrame) -> int:
    """Returns how many dossier states changed."""
    if events.is_empty():
        return 0
    latest = state.latest_per_entity(events, "dossier_id")
    old = _fetch(conn, s.dossiers, "dossier_id", latest["dossier_id"].to_list(),
                 state.DOSSIER_ENTITY_COLS)
    newer = _newer(latest, old, "dossier_id")
    if newer.is_empty():
        return 0
    new_states = state.dossier_entities(newer, old)
    replaced = old.join(newer.select("dossier_id"), on="dossier_id", how="semi")
    delta = state.bucket_delta(state.dossier_contributions(new_states),
                               state.dossier_contributions(replaced),
                               s.DOSSIER_DIMS, s.DOSSIER_COUNTERS)
    cols = [c for c in state.DOSSIER_ENTITY_COLS if c != "dossier_id"]
    upsert(conn, s.dossiers, new_states.to_dicts(), keys=("dossier_id",), replace=cols,
           newer_than="seq")
    _write_buckets(conn, s.dossier_buckets, delta, s.DOSSIER_DIMS, s.DOSSIER_COUNTERS)
    return new_states.height


def apply_feedback(conn: Connection, events: pl.DataFrame) -> int:
    if events.is_empty():
        return 0
    latest = state.latest_per_entity(events, "feedback_id")
    old = _fetch(conn, s.feedback, "feedback_id", latest["feedback_id"].to_list(),
                 state.FEEDBACK_ENTITY_COLS)
    newer = _newer(latest, old, "feedback_id")
    if newer.is_empty():
        return 0
    new_states = state.feedback_entities(newer)
    replaced = old.join(newer.select("feedback_id"), on="feedback_id", how="semi")
    delta = state.bucket_delta(state.feedback_contributions(new_states),
                               state.feedback_contributions(replaced),
                               s.FEEDBACK_DIMS, s.FEEDBACK_COUNTERS)
    cols = [c for c in state.FEEDBACK_ENTITY_COLS if c != "feedback_id"]
    upsert(conn, s.feedback, new_states.to_dicts(), keys=("feedback_id",), replace=cols,
           newer_than="seq")
    _write_buckets(conn, s.feedback_buckets, delta, s.FEEDBACK_DIMS, s.FEEDBACK_COUNTERS)
    return new_states.height


def apply_social(conn: Connection, events: pl.DataFrame) -> int:
    """Posts are counted once per post_id, whatever the number of re-publications."""
    if events.is_empty():
        return 0
    latest = state.latest_per_entity(events, "post_id")
    seen = _fetch(conn, s.social_posts, "post_id", latest["post_id"].to_list(), ["post_id"])
    fresh = latest.join(seen, on="post_id", how="anti")
    if fresh.is_empty():
        return 0
    posts = state.enrich_posts(fresh).with_columns(
        pl.col("ward_code").fill_null(""), pl.col("topic").fill_null(""))
    rows = posts.select("post_id", "published_at", "province_code", "ward_code", "platform",
                        "sentiment").to_dicts()
    upsert(conn, s.social_posts, rows, keys=("post_id",))
    delta = state.bucket_delta(state.social_contributions(posts), pl.DataFrame(),
                               s.SOCIAL_DIMS, s.SOCIAL_COUNTERS)
    _write_buckets(conn, s.social_buckets, delta, s.SOCIAL_DIMS, s.SOCIAL_COUNTERS)
    return posts.height


APPLY = {"dossier": apply_dossiers, "feedback": apply_feedback, "social": apply_social}
