"""Page data cached per committed aggregator batch, shared by every session of the server:
ten wall screens showing the Overview cost the database what one does.

The data only changes when the aggregator commits a batch (aggregator_batches.committed_at /
events_total) or when the hour turns (windows end with the current hour), so that pair is the
cache key. Reading the key is one tiny query, itself shared for a second, so screens that
refresh together ask it once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

import polars as pl
import streamlit as st
from sqlalchemy import Engine, select

from ioc.db.schema import aggregator_batches
from ioc.kpis.values import KpiValue, commune_values, compute_kpis, hourly_series
from ioc.kpis.windows import hour_ceil
from ioc.ui.components import get_engine

R = TypeVar("R")
Batch = tuple[str, int, str]  # see batch_key

KEY_SECONDS = 1  # how long one read of the batch key is shared
DATA_SECONDS = 60  # an upper bound: state figures like "overdue now" move with the clock
# How long the state loaders of one batch share one instant and its reads: long enough for
# one page draw, short against the pages' LIVE_SECONDS ("overdue now" moves with the clock).
DRAW_SECONDS = 10


def batch_key(rows: Iterable[tuple[datetime | None, int | None]], now: datetime
              ) -> tuple[str, int, str]:
    """(newest commit, events committed by all instances, end of the current hour): equal
    keys mean equal page data. Pure, so it is tested without a database."""
    commits = [(c, int(n or 0)) for c, n in rows]
    newest = max((c for c, _ in commits if c is not None), default=None)
    return (newest.isoformat() if newest else "", sum(n for _, n in commits),
            hour_ceil(now).isoformat())


def read_batch_key(engine: Engine, now: datetime | None = None) -> tuple[str, int, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(aggregator_batches.c.committed_at,
                                   aggregator_batches.c.events_total)).all()
    return batch_key([(r[0], r[1]) for r in rows], now or datetime.now(UTC))


@st.cache_data(ttl=KEY_SECONDS, show_spinner=False)
def last_batch(url: str) -> tuple[str, int, str]:
    return read_batch_key(get_engine(url))


def batched(load: Callable[..., R]) -> Callable[..., R]:
    """A cached loader `load(url, batch, …)` called as `(url, …)`: the last committed batch
    is added to its key, so every session shares one computation per batch and a commit is
    seen at once (other pages' loaders; the Overview's below take the key themselves)."""
    @functools.wraps(load)
    def run(url: str, *args: Any, **kwargs: Any) -> R:
        return load(url, last_batch(url), *args, **kwargs)
    if hasattr(load, "clear"):  # pages clear their reads after a change
        run.clear = load.clear  # type: ignore[attr-defined]
    return run


@st.cache_data(ttl=DATA_SECONDS, max_entries=256, show_spinner=False)
def overview_kpis(url: str, batch: tuple[str, int, str], scope: str, window: str
                  ) -> list[KpiValue]:
    return compute_kpis(get_engine(url), scope, window, with_previous=False)


@st.cache_data(ttl=DATA_SECONDS, max_entries=256, show_spinner=False)
def overview_trend(url: str, batch: tuple[str, int, str], scope: str) -> pl.DataFrame:
    return hourly_series(get_engine(url), scope, hours=48)


@st.cache_data(ttl=DATA_SECONDS, max_entries=256, show_spinner=False)
def overview_map(url: str, batch: tuple[str, int, str], province_code: str, kpi: str,
                 window: str) -> pl.DataFrame:
    return commune_values(get_engine(url), province_code, kpi, window)


def overview_data(url: str, province_code: str, window: str = "24h",
                  kpi: str = "dossier.received") -> None:
    """What one Overview screen reads per refresh (tiles, trend, map), through the caches;
    `ioc bench --history-days` times ten concurrent screens against one."""
    batch = last_batch(url)
    scope = f"province:{province_code}"
    overview_kpis(url, batch, scope, window)
    overview_trend(url, batch, scope)
    overview_map(url, batch, province_code, kpi, window)


def clear() -> None:
    for fn in (last_batch, overview_kpis, overview_trend, overview_map):
        fn.clear()


@st.cache_data(ttl=DRAW_SECONDS, show_spinner=False)
def draw_now(url: str, batch: Batch) -> datetime:
    """The instant the state loaders of `batch` evaluate at (cleared with every
    st.cache_data, so a cleared cache never meets an older draw's store)."""
    return datetime.now(UTC)


@st.cache_resource(ttl=DRAW_SECONDS, max_entries=32, show_spinner=False)
def draw_store(url: str, batch: Batch, now: datetime, page: str) -> dict[Any, pl.DataFrame]:
    """An empty store for `page`'s shared reads of this draw (one per page: their keys may
    have the same shape); the rows in it are `batch`'s."""
    return {}
