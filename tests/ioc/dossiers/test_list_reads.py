"""The drill-down list and the overdue list read through the DB-API (datetimes parsed
column-wise) give exactly the frame a plain SQLAlchemy Core read of the same rows gives, for
random lifecycles (supplement pauses, returns, ratings) and windows. Runs on SQLite, and on
PostgreSQL when IOC_TEST_DATABASE_URL is set."""

from __future__ import annotations

import random

import polars as pl
from sqlalchemy import Engine, select

from ioc.db import schema as s
from ioc.dossiers.queries import LIST_COLUMNS, deadline_list, dossier_list
from ioc.kpis.values import utc_naive
from ioc.kpis.windows import resolve
from tests.helpers import apply_events
from tests.ioc.dossiers.test_dossier_windows_property import NOW, random_lifecycle


def _core(engine: Engine, ids: list[str]) -> pl.DataFrame:
    d = s.dossiers
    with engine.connect() as conn:
        rows = {r[0]: tuple(r) for r in conn.execute(
            select(*[d.c[c] for c in LIST_COLUMNS]).where(d.c.dossier_id.in_(ids)))}
    schema = {c: pl.Datetime("us") if c.endswith("_at") else pl.String for c in LIST_COLUMNS}
    return pl.DataFrame([rows[i] for i in ids], schema=schema, orient="row")


def test_list_reads_equal_a_core_read(engine: Engine) -> None:
    rng = random.Random(21)
    events = [e for i in range(200) for e in random_lifecycle(rng, i)]
    apply_events(engine, events)
    now = utc_naive(NOW)
    seen = 0
    for window in ("7d", "30d", "quarter"):
        got = dossier_list(engine, "province:25", resolve(window, now), now)
        assert got.select(LIST_COLUMNS).equals(_core(engine, got["dossier_id"].to_list()))
        seen += got.height
    late = deadline_list(engine, "province:25", now)
    assert late.height > 0 and seen > 0
    assert late.select(LIST_COLUMNS).equals(_core(engine, late["dossier_id"].to_list()))
    assert late["supplement_requested_at"].is_not_null().any() or \
        dossier_list(engine, "province:25", resolve("quarter", now), now)[
            "supplement_requested_at"].is_not_null().any()
