"""Reads of the Social page, cached for a few seconds per database URL and period (the page
reruns on every click; the figures change at most once per aggregator batch, so buckets, KPIs
and keywords are also keyed on the last committed batch: ioc.ui.batch_cache.batched)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
import streamlit as st

from ioc.alerts import store as alert_store
from ioc.kpis.social_values import page_buckets, rising_keywords, social_kpis
from ioc.kpis.values import KpiValue
from ioc.kpis.windows import Period
from ioc.social.queries import top_posts
from ioc.ui.alerts.view import rule_names
from ioc.ui.batch_cache import Batch, batched
from ioc.ui.components import get_engine
from ioc.ui.scoping import scoped

TTL_SECONDS = 10


@batched
@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def load_buckets(url: str, batch: Batch, province: str, start: datetime, end: datetime
                 ) -> pl.DataFrame:
    """The province's social buckets with hour in [start, end), whole local days as one row
    each beyond two days (page_buckets): the filters by platform, topic and commune are
    applied in Polars, so changing them needs no new query."""
    return page_buckets(get_engine(url), f"province:{province}", start, end)


@scoped  # cut to the signed-in user's scope (ioc.ui.scoping)
@batched
@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def load_kpis(url: str, batch: Batch, scope: str, start: datetime, end: datetime) -> list[KpiValue]:
    """The catalogue's social KPIs of the filters' scope, each with its previous period:
    the totals the tiles show (the per-group and keyword rows are other loaders' reads)."""
    return social_kpis(get_engine(url), scope, Period(start, end, "custom"), rows=False)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def load_firing(url: str) -> list[dict[str, Any]]:
    return alert_store.firing_now(get_engine(url))


@st.cache_data(ttl=60, show_spinner=False)
def load_rule_names(url: str) -> dict[str, str]:
    return rule_names(get_engine(url))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def load_posts(url: str, province: str, start: datetime, end: datetime, limit: int,
               platform: str, topic: str, ward: str) -> pl.DataFrame:
    """Most engaged first. A topic or commune filter also keeps posts that only mention it
    (ioc.social.queries.top_posts), where the figures count a post under its primary one."""
    return top_posts(get_engine(url), f"province:{province}", Period(start, end, "custom"),
                     limit, platform or None, topic or None, ward or None)


@scoped  # cut to the signed-in user's scope (ioc.ui.scoping)
@batched
@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def load_keywords(url: str, batch: Batch, scope: str, start: datetime, end: datetime,
                  limit: int) -> pl.DataFrame:
    return rising_keywords(get_engine(url), scope, Period(start, end, "custom"), limit)


def clear_cached_reads() -> None:
    """After a relabel: the next run reads buckets and posts afresh."""
    load_buckets.clear()
    load_kpis.clear()
    load_posts.clear()
    load_keywords.clear()
