"""Reads of the Social page, cached for a few seconds per database URL and period (the page
reruns on every click; the figures change at most once per aggregator batch)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
import streamlit as st

from ioc.alerts import store as alert_store
from ioc.db import schema as s
from ioc.kpis.values import bucket_frame
from ioc.ui.alerts.view import rule_names
from ioc.ui.components import get_engine

TTL_SECONDS = 10


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def load_buckets(url: str, province: str, start: datetime, end: datetime) -> pl.DataFrame:
    """The province's social buckets with hour in [start, end): the filters by platform,
    topic and commune are applied in Polars, so changing them needs no new query."""
    return bucket_frame(get_engine(url), s.social_buckets, f"province:{province}", start, end)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def load_firing(url: str) -> list[dict[str, Any]]:
    return alert_store.firing_now(get_engine(url))


@st.cache_data(ttl=60, show_spinner=False)
def load_rule_names(url: str) -> dict[str, str]:
    return rule_names(get_engine(url))
