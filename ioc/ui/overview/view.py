"""Tổng quan · Overview, drawn: the province's live scorecard for wall screens and tablets.

Tiles and the freshness badge sit in a fragment that reruns every IOC_REFRESH_SECONDS, so they
update without reloading the page; the trend chart and the map change by the hour and redraw
WebGL, so their fragments rerun six times less often (at least every 30 s).
"""

from __future__ import annotations

import streamlit as st

from ioc.i18n import both, window_label
from ioc.kpis.catalogue import BY_CODE, WINDOWS
from ioc.reference.admin_units import communes
from ioc.settings import Settings
from ioc.ui import components as ui
from ioc.ui.batch_cache import last_batch, overview_kpis, overview_map, overview_trend
from ioc.ui.scoping import OutOfScope, enforce, render_out_of_scope, visible_communes


def render_overview(settings: Settings) -> None:
    url = settings.database_url
    engine = ui.get_engine(url)
    province_code = settings.province_code
    try:  # a scoped account sees its own commune/agency (ioc.ui.scoping)
        scope = enforce(f"province:{province_code}")
    except OutOfScope:
        render_out_of_scope()
        return
    slow_refresh = max(30, settings.refresh_seconds * 6)

    head, control = st.columns([3, 2], vertical_alignment="bottom")
    with head:
        ui.render_title(province_code)
    window = control.segmented_control(
        both("window"), options=list(WINDOWS), format_func=window_label, default="24h",
        required=True, key="overview_window", width="stretch",
    ) or "24h"

    @st.fragment(run_every=settings.refresh_seconds)
    def live_board(window: str) -> None:
        with ui.db_guard():
            fresh = ui.load_freshness(engine, settings.freshness_seconds)
            # Tiles show no change; cached per committed batch for every screen (batch_cache).
            kpis = overview_kpis(url, last_batch(url), scope, window)
            ui.render_freshness(fresh)
            if ui.is_empty(kpis, fresh):
                ui.render_empty()
            else:
                ui.render_board(kpis, window)

    @st.fragment(run_every=slow_refresh)
    def trend() -> None:
        with ui.db_guard():
            ui.render_trend(overview_trend(url, last_batch(url), scope))

    @st.fragment(run_every=slow_refresh)
    def commune_map(window: str) -> None:
        title, pick = st.columns([3, 2], vertical_alignment="center")
        title.markdown(ui.section_title_html("map"), unsafe_allow_html=True)
        kpi = pick.selectbox(both("map_kpi"), ui.MAP_KPIS, key="overview_map_kpi",
                             format_func=lambda c: BY_CODE[c].label_vi,
                             label_visibility="collapsed")
        with ui.db_guard():
            values = overview_map(url, last_batch(url), province_code, kpi, window)
            ui.render_map(communes(province_code),
                          visible_communes(values, province_code), kpi)

    live_board(window)
    left, right = st.columns(2, gap="medium")
    with left:
        trend()
    with right:
        commune_map(window)
