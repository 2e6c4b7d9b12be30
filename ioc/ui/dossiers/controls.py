"""The Dossiers page's controls: the window picker and the drill-down bar (commune → agency →
procedure). Their choices live in session state, seeded from the URL on the page's first run in
a session (afterwards the widgets decide) and mirrored back to it (?window=30d&commune=08494…)
so a view can be bookmarked or shared. The Feedback page uses the same controls with its own
keys, levels, option loader and labels (the keyword arguments)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import streamlit as st

from ioc.kpis.windows import Period
from ioc.ui.dossiers.filters import (
    CUSTOM_DEFAULT_DAYS,
    DEFAULT_WINDOW,
    DRILL_LEVELS,
    PAGE_WINDOWS,
    PageState,
    all_label,
    drill_options,
    params_of,
    scope_of,
    state_from_params,
    window_label,
)
from ioc.ui.dossiers.labels import both
from ioc.ui.dossiers.loaders import load_options
from ioc.ui.scoping import picker_options

KEY = {name: f"dossiers_{name}" for name in ("window", "from", "to", *DRILL_LEVELS)}
CHILDREN = {"commune": ("agency", "procedure"), "agency": ("procedure",), "procedure": ()}
# Each drill level and the column of its codes.
LEVEL_DIMS = (("commune", "ward_code"), ("agency", "agency_code"),
              ("procedure", "procedure_code"))


def seed_state(today: date, keys: Mapping[str, str] = KEY,
               parse: Callable[[Mapping[str, str], date], Any] = state_from_params) -> None:
    # First run on this page in the session: the URL decides; afterwards the widgets do.
    if keys["window"] not in st.session_state:
        start = parse(st.query_params.to_dict(), today)
        st.session_state[keys["window"]] = start.window
        st.session_state.update({keys[level]: code for level, code in start.drill().items()})
        if start.first and start.last:
            st.session_state[keys["from"]], st.session_state[keys["to"]] = start.first, start.last
    st.session_state.setdefault(keys["from"], today - timedelta(days=CUSTOM_DEFAULT_DAYS - 1))
    st.session_state.setdefault(keys["to"], today)
    for name, key in keys.items():
        if name not in ("window", "from", "to"):  # the drill levels
            st.session_state.setdefault(key, "")


def reset_children(level: str, keys: Mapping[str, str] = KEY,
                   children: Mapping[str, Sequence[str]] = CHILDREN) -> None:
    # A new commune has other agencies and procedures: start their choice again.
    for child in children[level]:
        st.session_state[keys[child]] = ""


def window_picker(keys: Mapping[str, str] = KEY) -> tuple[str, date | None, date | None]:
    """(window, first day, last day); the days only for a custom window."""
    window = st.segmented_control(
        both("window"), options=list(PAGE_WINDOWS), format_func=window_label,
        required=True, key=keys["window"], width="stretch") or DEFAULT_WINDOW
    first: date | None = None
    last: date | None = None
    if window == "custom":
        a, b, _ = st.columns([1, 1, 2])
        first = a.date_input(both("from"), key=keys["from"], format="DD/MM/YYYY")
        last = b.date_input(both("to"), key=keys["to"], format="DD/MM/YYYY")
    return window, first, last


def drill_bar(url: str, province: str, period: Period,
              names: Mapping[str, Mapping[str, str]], *,
              levels: Sequence[tuple[str, str]] = LEVEL_DIMS, keys: Mapping[str, str] = KEY,
              children: Mapping[str, Sequence[str]] = CHILDREN,
              load: Callable[..., list[str]] = load_options,
              scope: Callable[..., str] = scope_of, label: Callable[[str], str] = both,
              empty: Callable[[str], str] = all_label) -> dict[str, str]:
    """{level: code or ''}: each level offers only codes with data under the levels before it
    (`load(url, parent scope, start, end, column)`)."""
    chosen: dict[str, str] = {}
    columns = dict(zip([lv for lv, _ in levels], st.columns(len(levels)), strict=True))
    for level, dim in levels:
        codes = load(url, scope(province, **chosen), period.start, period.end, dim)
        level_names = names.get(dim, {})
        # A scoped user's own communes/agency only (ioc.ui.scoping), never "all".
        options = picker_options(level, drill_options(codes, st.session_state[keys[level]],
                                                      level_names), keys[level])
        chosen[level] = columns[level].selectbox(
            label(level), options,
            key=keys[level], on_change=reset_children, args=(level, keys, children),
            format_func=lambda c, n=level_names, lv=level: n.get(c, c) if c else empty(lv))
    return chosen


def mirror_to_url(state: PageState) -> None:
    params = params_of(state)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
