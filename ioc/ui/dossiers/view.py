"""Hồ sơ TTHC · Dossiers, drawn: the window and drill-down, the live board (ioc.ui.dossiers
.live_board), rankings, the commune map, daily trends, breakdowns and the dossier list, every
table with CSV and XLSX downloads. The live board reruns on its own, the rest on interaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import polars as pl
import streamlit as st

from ioc.dossiers.queries import BREAKDOWN_DIMS
from ioc.i18n import bilingual, fmt_int
from ioc.kpis.windows import Period
from ioc.reference.admin_units import communes
from ioc.reference.calendar import TZ
from ioc.settings import Settings
from ioc.ui.components import (
    db_guard,
    get_engine,
    load_freshness,
    province_label,
    render_freshness,
    render_map,
)
from ioc.ui.dossiers.controls import drill_bar, mirror_to_url, seed_state, window_picker
from ioc.ui.dossiers.filters import (
    FILE_WORDS,
    PageState,
    file_tag,
    period_of,
    scope_html,
    state_scope,
)
from ioc.ui.dossiers.labels import LABELS, both
from ioc.ui.dossiers.live_board import render_live_board
from ioc.ui.dossiers.loaders import (
    args,
    load_breakdown,
    load_dossiers,
    load_kpis,
    load_names,
    load_rankings,
    load_targets_cached,
    load_trend,
)
from ioc.ui.dossiers.sections import (
    apply_css,
    render_breakdown,
    render_empty,
    render_title,
    render_trend,
    section,
)
from ioc.ui.dossiers.table_view import render_table, table_height
from ioc.ui.dossiers.tables import dossier_frame, map_values, ranking_frame
from ioc.ui.dossiers.tiles import is_empty
from ioc.ui.scoping import enforce, scope_guard

LIST_LIMIT = 5000


def render_rankings(url: str, province: str, state: PageState, period: Period,
                    names: Mapping[str, Mapping[str, str]]) -> dict[str, pl.DataFrame]:
    """Communes and agencies ranked; the rankings by level (the map colours the communes')."""
    # Rankings compare like with like: communes under the same agency/procedure filter,
    # agencies within the chosen commune; the drilled-into one is highlighted.
    section("rankings")
    ranked = {level: load_rankings(*args(url, state_scope(province, state, level), period), dim)
              for level, dim in (("commune", "ward_code"), ("agency", "agency_code"))}
    # Tabs, not columns: six figures per row need the full width of a 1024 px tablet.
    tabs = st.tabs([both("rank_communes"), both("rank_agencies")])
    for tab, dim, level in ((tabs[0], "ward_code", "commune"),
                            (tabs[1], "agency_code", "agency")):
        with tab:
            frame = ranking_frame(ranked[level], dim, names[dim])
            if frame.is_empty():
                st.caption(both("no_ranking"))
                continue
            name = "ward_name" if dim == "ward_code" else "agency_name"
            render_table(frame, f"rank_{level}",
                         f"xep-hang-{FILE_WORDS[level]}_{file_tag(state)}",
                         columns=["rank", name, "score_total", "on_time_rate_pct",
                                  "received", "movement"],
                         height=table_height(frame.height, 10), narrow=True,
                         highlight=(dim, state.drill()[level]))
    return ranked


def render_dossier_list(url: str, scope: str, period: Period, state: PageState,
                        wards: Mapping[str, str]) -> None:
    section("dossier_list")
    listed = load_dossiers(*args(url, scope, period), LIST_LIMIT)
    if listed.height >= LIST_LIMIT:
        st.caption(" · ".join(t.format(n=fmt_int(LIST_LIMIT)) for t in LABELS["list_capped"]))
    frame = dossier_frame(listed, wards)
    render_table(frame, "dossiers", f"danh-sach-ho-so_{file_tag(state)}",
                 columns=["dossier_id", "status", "procedure_name", "agency_name",
                          "ward_name", "channel", "received_at", "due_at", "completed_at",
                          "rating"],
                 height=table_height(frame.height, 12))


def render_dossiers(settings: Settings) -> None:
    url = settings.database_url
    province = settings.province_code
    province_name = province_label(province)
    apply_css()
    seed_state(datetime.now(UTC).astimezone(TZ).date())
    render_title(province_name)
    window, first, last = window_picker()
    try:
        period = period_of(PageState(window, first, last), datetime.now(UTC))
    except ValueError:
        st.warning(both("bad_range"), icon=":material/event_busy:")
        st.stop()

    # scope_guard: a drill-down (widget or URL) outside the user's scope shows "out of your
    # scope" and nothing of it; the loaders refuse it too (ioc.ui.scoping).
    with db_guard(), scope_guard():
        names = load_names(url, province)
        state = PageState(window, first, last, **drill_bar(url, province, period, names))
        mirror_to_url(state)
        scope = enforce(state_scope(province, state))
        st.markdown(scope_html(province_name, state, names, period), unsafe_allow_html=True)

        if is_empty(load_kpis(*args(url, scope, period))):
            render_freshness(load_freshness(get_engine(url), settings.freshness_seconds))
            render_empty()
            st.stop()

        render_live_board(settings, state, scope)
        ranked = render_rankings(url, province, state, period, names)

        section("map")
        render_map(communes(province), map_values(ranked["commune"]),
                   "dossier.on_time_rate", height=420)

        section("trend")
        targets = load_targets_cached(url)
        render_trend(load_trend(*args(url, scope, period)), period,
                     targets.get("dossier.on_time_rate"), file_tag(state))

        section("breakdowns")
        dims = ("sector", "procedure_code", "channel", "level")
        for tab, dim in zip(st.tabs([bilingual(*BREAKDOWN_DIMS[d]) for d in dims]), dims,
                            strict=True):
            with tab:
                render_breakdown(load_breakdown(*args(url, scope, period), dim), dim,
                                 names.get(dim, {}), file_tag(state))

        render_dossier_list(url, scope, period, state, names["ward_code"])
