"""Cached reads of the Dossiers page: each loader takes the database URL, the scope and the
period as plain values (the cache key) and returns what ioc.dossiers.queries and ioc.kpis
compute. Scorecards are cached as long as the live tiles rerun, row queries one refresh
interval, names and targets ten minutes; scorecards and trends are keyed on the last committed
aggregator batch too (ioc.ui.batch_cache.batched): every screen shares one computation per
batch and a commit shows at once. The scorecard loaders of one batch evaluate the state at one
instant for DRAW_SECONDS (ioc.ui.batch_cache) and share its reads (ioc.kpis.values.
shared_states): a page draw's tiles, both rankings and the sector breakdown read two states,
not seven."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import polars as pl
import streamlit as st

from ioc.dossiers.queries import (
    breakdown,
    code_names,
    daily_trend,
    deadline_list,
    dossier_list,
    rankings,
    scope_options,
)
from ioc.kpis.targets import load_targets
from ioc.kpis.values import KpiValue, dossier_kpis, shared_states
from ioc.kpis.windows import Period
from ioc.reference import admin_units
from ioc.settings import load_settings
from ioc.ui.batch_cache import Batch, batched, draw_now, draw_store
from ioc.ui.components import get_engine
from ioc.ui.scoping import scoped, scoped_ranking

_SETTINGS = load_settings()
# Scorecards take a second or two on a province's month: cache them as long as the live tiles
# rerun (≥ 30 s); the cheap row queries (options, deadlines, list) one refresh interval.
LIVE_SECONDS = max(30, _SETTINGS.refresh_seconds * 6)
FAST_TTL = max(5, _SETTINGS.refresh_seconds)
SLOW_TTL = 600  # names and targets barely change


# The reads behind load_options and load_names.
def commune_names(province_code: str) -> dict[str, str]:
    try:
        return admin_units.commune_names(province_code)
    except ValueError:  # unknown province code: codes are shown as they are
        return {}


def _period(start: datetime, end: datetime, window: str) -> Period:
    return Period(start, end, window)


@contextmanager
def _draw(url: str, batch: Batch) -> Iterator[datetime]:
    """The shared instant of this batch's draw, with its state reads shared meanwhile."""
    now = draw_now(url, batch)
    with shared_states(draw_store(url, batch, now, "dossiers")):
        yield now


# Cached loaders take the period as (start, end, window): plain values hash cheaply and a
# new hour is a new key, so the current hour is never served from an older window.
# Every loader queries the signed-in user's scope, whatever the page asked (ioc.ui.scoping).
@scoped
@batched
@st.cache_data(ttl=LIVE_SECONDS, max_entries=512, show_spinner=False)
def load_kpis(url: str, batch: Batch, scope: str, start: datetime, end: datetime,
              window: str) -> list[KpiValue]:
    engine = get_engine(url)
    with _draw(url, batch) as now:
        return dossier_kpis(engine, scope, _period(start, end, window), now,
                            targets=load_targets(engine))


@scoped_ranking
@batched
@st.cache_data(ttl=LIVE_SECONDS, max_entries=512, show_spinner=False)
def load_rankings(url: str, batch: Batch, scope: str, start: datetime, end: datetime,
                  window: str, dim: str) -> pl.DataFrame:
    with _draw(url, batch) as now:
        return rankings(get_engine(url), scope, _period(start, end, window), dim, now)


@scoped
@batched
@st.cache_data(ttl=LIVE_SECONDS, max_entries=512, show_spinner=False)
def load_breakdown(url: str, batch: Batch, scope: str, start: datetime, end: datetime,
                   window: str, dim: str) -> pl.DataFrame:
    with _draw(url, batch) as now:
        return breakdown(get_engine(url), scope, _period(start, end, window), dim, now)


@scoped
@batched
@st.cache_data(ttl=LIVE_SECONDS, max_entries=512, show_spinner=False)
def load_trend(url: str, batch: Batch, scope: str, start: datetime, end: datetime,
               window: str) -> pl.DataFrame:
    return daily_trend(get_engine(url), scope, _period(start, end, window))


@scoped
@st.cache_data(ttl=FAST_TTL, show_spinner=False)
def load_deadlines(url: str, scope: str) -> pl.DataFrame:
    return deadline_list(get_engine(url), scope)


@scoped
@st.cache_data(ttl=FAST_TTL, show_spinner=False)
def load_dossiers(url: str, scope: str, start: datetime, end: datetime, window: str,
                  limit: int) -> pl.DataFrame:
    return dossier_list(get_engine(url), scope, _period(start, end, window), limit=limit)


@scoped
@st.cache_data(ttl=FAST_TTL, show_spinner=False)
def load_options(url: str, scope: str, start: datetime, end: datetime, column: str
                 ) -> list[str]:
    return scope_options(get_engine(url), scope, _period(start, end, "custom"), column)


@st.cache_data(ttl=SLOW_TTL, show_spinner=False)
def load_names(url: str, province_code: str) -> dict[str, dict[str, str]]:
    names = code_names(get_engine(url), province_code)
    names["ward_code"] = commune_names(province_code)
    return names


@st.cache_data(ttl=SLOW_TTL, show_spinner=False)
def load_targets_cached(url: str) -> dict[str, float | None]:
    return load_targets(get_engine(url))


def args(url: str, scope: str, period: Period) -> tuple[str, str, datetime, datetime, str]:
    """The cache key arguments of a loader for a scope and period."""
    return url, scope, period.start, period.end, period.window
