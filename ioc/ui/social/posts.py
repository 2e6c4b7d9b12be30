"""Rising keywords and the most engaged posts (with the operators' relabel action). They read
the enriched post storage (ioc.social.queries), which lands separately."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from ioc.auth import Identity
from ioc.kpis.windows import Period
from ioc.ui.social.frames import Filters
from ioc.ui.social.labels import both


def render_keywords(engine: Engine, province: str, f: Filters, period: Period, tag: str) -> None:
    st.caption(both("waiting"))


def render_posts(engine: Engine, province: str, f: Filters, period: Period, tag: str,
                 identity: Identity | None) -> None:
    st.caption(both("waiting"))
