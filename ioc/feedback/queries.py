"""What the reminders ask of the feedback state: open reports past their deadline or within one
working day of it (the same horizon as dossiers). Texts are left out: only codes and times."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from sqlalchemy import Engine, and_, select

from ioc.db import schema as s
from ioc.kpis.values import near_due_limit, scope_filter, utc_naive

COLUMNS = ("feedback_id", "agency_code", "ward_code", "channel", "category", "received_at",
           "due_at")


def deadline_list(engine: Engine, scope: str, now: datetime | None = None) -> pl.DataFrame:
    """Open feedback with due_at ≤ one working day from now; `state` = overdue | near_due."""
    at = utc_naive(now)
    f = s.feedback
    where = and_(scope_filter(f, scope), f.c.is_open.is_(True),
                 f.c.due_at <= near_due_limit(at))
    q = select(*[f.c[c] for c in COLUMNS]).where(where).order_by(f.c.due_at, f.c.feedback_id)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(q)]
    schema = {c: pl.Datetime("us") if c.endswith("_at") else pl.String for c in COLUMNS}
    df = pl.DataFrame(rows, schema=schema, orient="row")
    return df.with_columns(
        pl.when(pl.col("due_at") < at).then(pl.lit("overdue")).otherwise(pl.lit("near_due"))
        .alias("state"))
