"""The Feedback page's controls: the window picker and the drill-down bar (commune → agency →
category), seeded from the URL on the page's first run in a session and mirrored back to it
(?window=7d&commune=04792&category=môi trường), as on the Dossiers page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import streamlit as st

from ioc.kpis.windows import Period
from ioc.ui.dossiers.filters import (
    CUSTOM_DEFAULT_DAYS,
    DEFAULT_WINDOW,
    PAGE_WINDOWS,
    drill_options,
    params_of,
    window_label,
)
from ioc.ui.dossiers.labels import both as dossier_both
from ioc.ui.feedback.filters import (
    DRILL_LEVELS,
    LEVEL_COLUMNS,
    FeedbackState,
    all_label,
    scope_of,
    state_from_params,
)
from ioc.ui.feedback.labels import both
from ioc.ui.feedback.loaders import load_options

KEY = {name: f"feedback_{name}" for name in ("window", "from", "to", *DRILL_LEVELS)}
CHILDREN = {"commune": ("agency", "category"), "agency": ("category",), "category": ()}


def seed_state(today: date) -> None:
    # First run on this page in the session: the URL decides; afterwards the widgets do.
    if KEY["window"] not in st.session_state:
        start = state_from_params(st.query_params.to_dict(), today)
        st.session_state[KEY["window"]] = start.window
        st.session_state.update({KEY[level]: code for level, code in start.drill().items()})
        if start.first and start.last:
            st.session_state[KEY["from"]], st.session_state[KEY["to"]] = start.first, start.last
    st.session_state.setdefault(KEY["from"], today - timedelta(days=CUSTOM_DEFAULT_DAYS - 1))
    st.session_state.setdefault(KEY["to"], today)
    for level in DRILL_LEVELS:
        st.session_state.setdefault(KEY[level], "")


def reset_children(level: str) -> None:
    # Another commune has other agencies and categories: start their choice again.
    for child in CHILDREN[level]:
        st.session_state[KEY[child]] = ""


def window_picker() -> tuple[str, date | None, date | None]:
    window = st.segmented_control(
        dossier_both("window"), options=list(PAGE_WINDOWS), format_func=window_label,
        required=True, key=KEY["window"], width="stretch") or DEFAULT_WINDOW
    first: date | None = None
    last: date | None = None
    if window == "custom":
        a, b, _ = st.columns([1, 1, 2])
        first = a.date_input(dossier_both("from"), key=KEY["from"], format="DD/MM/YYYY")
        last = b.date_input(dossier_both("to"), key=KEY["to"], format="DD/MM/YYYY")
    return window, first, last


def drill_bar(url: str, province: str, period: Period,
              names: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """{level: code or ''}: each level offers only codes with reports under the levels before
    it."""
    chosen: dict[str, str] = {}
    columns = dict(zip(DRILL_LEVELS, st.columns(3), strict=True))
    for level in DRILL_LEVELS:
        dim = LEVEL_COLUMNS[level]
        codes = load_options(url, scope_of(province, **chosen), period.start, period.end, dim)
        level_names = names.get(dim, {})
        chosen[level] = columns[level].selectbox(
            both(level), drill_options(codes, st.session_state[KEY[level]], level_names),
            key=KEY[level], on_change=reset_children, args=(level,),
            format_func=lambda c, n=level_names, lv=level: n.get(c, c) if c else all_label(lv))
    return chosen


def mirror_to_url(state: FeedbackState) -> None:
    params = params_of(state)  # type: ignore[arg-type]  # reads window, first, last, drill()
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
