"""Cached reads of the Feedback page: each loader takes the database URL, the scope and the
period as plain values (the cache key) and returns what ioc.kpis.feedback_values and
ioc.feedback.queries compute; cache lifetimes are the Dossiers page's, and the KPI, breakdown,
backlog and trend loaders are keyed on the last committed batch like its scorecards. Those
evaluate the state at one instant per batch for DRAW_SECONDS (ioc.ui.batch_cache) and share
its read (ioc.kpis.feedback_values.shared_reports): a page draw reads the reports open at
its window's end once, not four times."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import polars as pl
import streamlit as st

from ioc.feedback.queries import (
    cell_reports,
    channel_trend,
    deadline_list,
    feedback_options,
    received_reports,
    report_list,
)
from ioc.kpis.feedback_values import (
    backlog_age,
    feedback_breakdown,
    feedback_kpis,
    shared_reports,
)
from ioc.kpis.targets import load_targets
from ioc.kpis.values import KpiValue
from ioc.kpis.windows import Period
from ioc.reference.catalogue import agencies
from ioc.ui.batch_cache import Batch, batched, draw_now, draw_store
from ioc.ui.components import get_engine
from ioc.ui.dossiers.loaders import (
    FAST_TTL,
    LIVE_SECONDS,
    SLOW_TTL,
    commune_names,
)
from ioc.ui.scoping import scoped  # every read cut to the signed-in user's scope


@contextmanager
def _draw(url: str, batch: Batch) -> Iterator[datetime]:
    """The shared instant of this batch's draw, its open reports read once meanwhile."""
    now = draw_now(url, batch)
    with shared_reports(draw_store(url, batch, now, "feedback")):
        yield now


@scoped
@batched
@st.cache_data(ttl=LIVE_SECONDS, max_entries=512, show_spinner=False)
def load_kpis(url: str, batch: Batch, scope: str, start: datetime, end: datetime, window: str
              ) -> list[KpiValue]:
    engine = get_engine(url)
    with _draw(url, batch) as now:
        return feedback_kpis(engine, scope, Period(start, end, window), now,
                             targets=load_targets(engine))


@scoped
@batched
@st.cache_data(ttl=LIVE_SECONDS, max_entries=512, show_spinner=False)
def load_breakdown(url: str, batch: Batch, scope: str, start: datetime, end: datetime, window: str,
                   by: str) -> pl.DataFrame:
    with _draw(url, batch) as now:
        return feedback_breakdown(get_engine(url), scope, Period(start, end, window), by, now)


@scoped
@batched
@st.cache_data(ttl=LIVE_SECONDS, max_entries=512, show_spinner=False)
def load_backlog(url: str, batch: Batch, scope: str, end: datetime) -> pl.DataFrame:
    """The backlog at the window's `end`, or at the draw's instant when that is earlier (a
    window that ends with the current hour): the instant the tiles evaluate at."""
    with _draw(url, batch) as now:
        at = min(end, now.astimezone(UTC).replace(tzinfo=None))  # naive UTC, as `end`
        return backlog_age(get_engine(url), scope, at.replace(tzinfo=UTC))


@scoped
@batched
@st.cache_data(ttl=LIVE_SECONDS, max_entries=512, show_spinner=False)
def load_trend(url: str, batch: Batch, scope: str, start: datetime, end: datetime, window: str,
               every: str) -> pl.DataFrame:
    return channel_trend(get_engine(url), scope, Period(start, end, window), every=every)


@scoped
@st.cache_data(ttl=FAST_TTL, show_spinner=False)
def load_received(url: str, scope: str, start: datetime, end: datetime,
                  category: str | None) -> pl.DataFrame:
    return received_reports(get_engine(url), scope, start, end, category)


@scoped
@st.cache_data(ttl=FAST_TTL, show_spinner=False)
def load_reports(url: str, scope: str, start: datetime, end: datetime, window: str,
                 limit: int) -> pl.DataFrame:
    return report_list(get_engine(url), scope, Period(start, end, window), limit=limit)


@scoped
@st.cache_data(ttl=FAST_TTL, show_spinner=False)
def load_options(url: str, scope: str, start: datetime, end: datetime, column: str
                 ) -> list[str]:
    return feedback_options(get_engine(url), scope, Period(start, end, "custom"), column)


@st.cache_data(ttl=SLOW_TTL, show_spinner=False)
def load_names(province_code: str) -> dict[str, dict[str, str]]:
    """Communes and agencies by name (the feedback table keeps codes only)."""
    try:
        agency_names = {a.code: a.name for a in agencies(province_code)}
    except ValueError:  # unknown province code: codes are shown as they are
        agency_names = {}
    return {"ward_code": commune_names(province_code), "agency_code": agency_names}


@scoped
@st.cache_data(ttl=FAST_TTL, show_spinner=False)
def load_cell_reports(url: str, scope: str, cell: str, start: datetime, end: datetime,
                      category: str | None) -> pl.DataFrame:
    return cell_reports(get_engine(url), scope, cell, start, end, category)


@scoped
@st.cache_data(ttl=FAST_TTL, show_spinner=False)
def load_deadlines(url: str, scope: str) -> pl.DataFrame:
    return deadline_list(get_engine(url), scope)
