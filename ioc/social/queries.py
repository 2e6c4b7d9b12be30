"""Post queries of the Social page: the most engaged posts of a scope and period, with their
redacted text, source, link, labels (effective, the model's, the operator's) and what they
mention. KPI values, topics, places and rising keywords are in ioc.kpis.social_values."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from sqlalchemy import Engine, and_, exists, false, func, select

from ioc.db import schema as s
from ioc.kpis.values import scope_filter, utc_naive
from ioc.kpis.windows import Period

POST_COLUMNS: dict[str, pl.DataType] = {
    "post_id": pl.String(), "published_at": pl.Datetime("us"), "platform": pl.String(),
    "source": pl.String(), "url": pl.String(), "title": pl.String(), "text": pl.String(),
    "author_ref": pl.String(), "likes": pl.Int64(), "shares": pl.Int64(),
    "comments": pl.Int64(), "engagement": pl.Int64(), "sentiment": pl.Float64(),
    "label": pl.String(), "model_label": pl.String(), "corrected_label": pl.String(),
    "model_version": pl.String(), "topic": pl.String(), "topics": pl.String(),
    "ward_code": pl.String(), "places": pl.String(),
}


def _columns() -> list:
    """POST_COLUMNS in order: `label` is the effective label, `model_label` the model's."""
    p = s.social_posts
    return [func.coalesce(p.c.corrected_label, p.c.label).label("label") if n == "label"
            else p.c.label.label("model_label") if n == "model_label" else p.c[n]
            for n in POST_COLUMNS]


def _tagged(kind: str, value: str):  # noqa: ANN202
    t, p = s.social_post_tags, s.social_posts
    return exists().where(t.c.post_id == p.c.post_id, t.c.kind == kind, t.c.value == value)


def top_posts(engine: Engine, scope: str, period: Period, limit: int = 20,
              platform: str | None = None, topic: str | None = None, ward: str | None = None,
              label: str | None = None, now: datetime | None = None) -> pl.DataFrame:
    """Posts of `scope` published in `period`, most engaged first (then newest). `topic`
    matches any topic a post mentions (not only its primary one), `ward` any commune it is
    counted under or names; `label` filters on the effective label. `label` in the frame is
    the effective one (the operator's correction, else `model_label`)."""
    p = s.social_posts
    end = min(period.end, max(period.start, utc_naive(now))) if now else period.end
    where = scope_filter(p, scope)
    effective = func.coalesce(p.c.corrected_label, p.c.label)
    conds = [p.c.published_at >= period.start, p.c.published_at < end,
             where if where is not None else false()]
    if platform:
        conds.append(p.c.platform == platform)
    if topic:
        conds.append((p.c.topic == topic) | _tagged("topic", topic))
    if ward:
        conds.append((p.c.ward_code == ward) | _tagged("place", ward))
    if label:
        conds.append(effective == label)
    order = (p.c.engagement.desc(), p.c.published_at.desc(), p.c.post_id)
    # The window's `limit` first, sorted on their keys alone, then their rows: sorting every
    # post of a long window with its text cost twice as much (30 days at three years).
    top = select(p.c.post_id).where(and_(*conds)).order_by(*order).limit(limit).subquery()
    q = (select(*_columns()).select_from(p.join(top, p.c.post_id == top.c.post_id))
         .order_by(*order))
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(q)]
    return pl.DataFrame(rows, schema=POST_COLUMNS, orient="row")


def post(engine: Engine, post_id: str) -> dict | None:
    """One stored post as a dict (the columns of top_posts), or None."""
    p = s.social_posts
    q = select(*_columns()).where(p.c.post_id == post_id)
    with engine.connect() as conn:
        row = conn.execute(q).mappings().first()
    return dict(row) if row else None
