"""Apply one decoded batch to the database (entity state + bucket deltas), inside the caller's
transaction. Reads the stored state of the batch's entities, keeps only newer events, writes.

Dossiers and feedback are entity streams that differ only in their tables and transitions, so
one function applies both from a table of `EntityStream`s; social posts are insert-once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Connection, Table

from ioc.db import columns
from ioc.db import schema as s
from ioc.db.upsert import fetch_frame, upsert_frame, upsert_states
from ioc.dossiers import transitions as dossier_tr
from ioc.dossiers.name_store import write_names
from ioc.feedback import transitions as feedback_tr
from ioc.kpis.buckets import bucket_delta, latest_per_entity, regroup, roll_up
from ioc.kpis.feedback_times import write_feedback_times
from ioc.kpis.open_bound import write_long_open, write_open_bound
from ioc.kpis.p90_store import write_p90
from ioc.social import transitions as social_tr

IN_CHUNK = 5000


@dataclass(frozen=True)
class EntityStream:
    key: str
    table: Table
    buckets: Table
    entity_cols: tuple[str, ...]
    dims: tuple[str, ...]
    counters: tuple[str, ...]
    entities: Callable[[pl.DataFrame, pl.DataFrame], pl.DataFrame]  # (newer events, old rows)
    contributions: Callable[[pl.DataFrame], pl.DataFrame]
    # More tables kept from (new states, replaced states) in the same transaction.
    also: Callable[[Connection, pl.DataFrame, pl.DataFrame], None] | None = None


def _dossier_tables(conn: Connection, new_states: pl.DataFrame, replaced: pl.DataFrame
                    ) -> None:
    """The names table and the processing-time histogram (moved by new − replaced states),
    the bound on how long a dossier stays open (a running maximum), the dossiers open
    longer than 30 days."""
    write_names(conn, new_states, replaced)
    write_p90(conn, new_states, replaced)
    write_open_bound(conn, s.dossier_open_bound, new_states)
    write_long_open(conn, s.dossier_long_open, new_states, replaced)


def _feedback_tables(conn: Connection, new_states: pl.DataFrame, replaced: pl.DataFrame
                     ) -> None:
    """The office-time histograms (moved by new − replaced states), the bound on how long a
    report stays open (a running maximum)."""
    write_feedback_times(conn, new_states, replaced)
    write_open_bound(conn, s.feedback_open_bound, new_states)


DOSSIERS = EntityStream(
    "dossier_id", s.dossiers, s.dossier_buckets, dossier_tr.ENTITY_COLS,
    columns.DOSSIER_DIMS, columns.DOSSIER_COUNTERS, dossier_tr.entities,
    dossier_tr.contributions, also=_dossier_tables)
FEEDBACK = EntityStream(
    "feedback_id", s.feedback, s.feedback_buckets, feedback_tr.ENTITY_COLS,
    columns.FEEDBACK_DIMS, columns.FEEDBACK_COUNTERS, feedback_tr.entities,
    feedback_tr.contributions, also=_feedback_tables)


def _fetch(conn: Connection, table: Table, key: str, ids: list[str],
           cols: Iterable[str]) -> pl.DataFrame:
    cols = list(cols)
    schema = {c: _pl_type(table.c[c].type) for c in cols}
    return fetch_frame(conn, table, key, ids, cols, schema, chunk=IN_CHUNK)


def _pl_type(sqltype: object) -> pl.DataType:
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
    upsert_frame(conn, table, delta.sort(list(dims)), keys=dims, add=counters)
    # Day and month rollups in the same transaction: they never disagree with the hours.
    for grain, rollup in s.ROLLUPS.get(table.name, {}).items():
        rolled = roll_up(delta, grain, dims, counters)
        upsert_frame(conn, rollup, rolled.sort(list(dims)), keys=dims, add=counters)
        # Narrow rollups (fewer dimensions): the full rollup's delta summed again.
        for narrow in s.NARROW_ROLLUPS.get(table.name, {}).get(grain, ()):
            keys = tuple(c.name for c in narrow.primary_key.columns)
            upsert_frame(conn, narrow, regroup(rolled, keys, counters).sort(list(keys)),
                         keys=keys, add=counters)


def _newer(latest: pl.DataFrame, old: pl.DataFrame, key: str) -> pl.DataFrame:
    seen = old.select(key, pl.col("seq").alias("_old_seq"))
    return (latest.join(seen, on=key, how="left")
            .filter(pl.col("_old_seq").is_null() | (pl.col("seq") > pl.col("_old_seq")))
            .drop("_old_seq"))


def apply_entities(conn: Connection, stream: EntityStream, events: pl.DataFrame) -> int:
    """Returns how many entity states changed."""
    if events.is_empty():
        return 0
    key = stream.key
    latest = latest_per_entity(events, key)
    old = _fetch(conn, stream.table, key, latest[key].to_list(), stream.entity_cols)
    newer = _newer(latest, old, key)
    if newer.is_empty():
        return 0
    new_states = stream.entities(newer, old)
    replaced = old.join(newer.select(key), on=key, how="semi")
    delta = bucket_delta(stream.contributions(new_states), stream.contributions(replaced),
                         stream.dims, stream.counters)
    upsert_states(conn, stream.table, new_states, replaced, key, newer_than="seq")
    _write_buckets(conn, stream.buckets, delta, stream.dims, stream.counters)
    if stream.also:
        stream.also(conn, new_states, replaced)
    return new_states.height


def apply_social(conn: Connection, events: pl.DataFrame) -> int:
    """Posts are counted once per post_id, whatever the number of re-publications (the first
    delivery's text wins); their engagement counts are the largest any delivery carried.
    Returns how many posts were stored or grew."""
    if events.is_empty():
        return 0
    latest = latest_per_entity(events, "post_id")
    counts = social_tr.engagement_counts(events)
    seen = _fetch(conn, s.social_posts, "post_id", latest["post_id"].to_list(),
                  social_tr.STORED_COLS)
    fresh = latest.join(seen, on="post_id", how="anti")
    plus, minus = [], []
    if not fresh.is_empty():
        posts = social_tr.enrich(fresh).drop(*counts.columns[1:]).join(counts, on="post_id")
        rows = posts.select(*[c.name for c in s.social_posts.columns])
        upsert_frame(conn, s.social_posts, rows, keys=("post_id",))
        tags = social_tr.tags(posts)
        upsert_frame(conn, s.social_post_tags, tags, keys=("post_id", "kind", "value"))
        # Posts per term and local day (rising keywords, migration 0021): only new posts
        # add to it, their terms never change afterwards.
        terms = social_tr.term_days(posts, tags)
        upsert_frame(conn, s.social_terms_day, terms.sort("province_code", "hour", "term"),
                     keys=("province_code", "hour", "term"), add=("posts",))
        plus.append(social_tr.contributions(posts))
    old, new = social_tr.grown(seen, counts)
    if not new.is_empty():
        upsert_frame(conn, s.social_posts, new, keys=("post_id",), replace=counts.columns[1:])
        plus.append(social_tr.contributions(new))
        minus.append(social_tr.contributions(old))
    if not plus:
        return 0
    delta = bucket_delta(pl.concat(plus), pl.concat(minus) if minus else pl.DataFrame(),
                         columns.SOCIAL_DIMS, columns.SOCIAL_COUNTERS)
    _write_buckets(conn, s.social_buckets, delta, columns.SOCIAL_DIMS, columns.SOCIAL_COUNTERS)
    return fresh.height + new.height


def apply_dossiers(conn: Connection, events: pl.DataFrame) -> int:
    return apply_entities(conn, DOSSIERS, events)


def apply_feedback(conn: Connection, events: pl.DataFrame) -> int:
    return apply_entities(conn, FEEDBACK, events)


APPLY: dict[str, Callable[[Connection, pl.DataFrame], int]] = {
    "dossier": apply_dossiers, "feedback": apply_feedback, "social": apply_social}
