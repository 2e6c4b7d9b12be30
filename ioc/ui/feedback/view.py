"""Phản ánh kiến nghị · Citizen feedback, drawn: window and drill-down (commune → agency →
category), every feedback KPI against the previous period, received by channel over time, the
tables by category and by agency, the agency ranking with movement, the backlog by age, the
hotspot map with its category filter and a cell's reports, and the report list; every table
with CSV and XLSX downloads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import polars as pl
import streamlit as st

from ioc.feedback.hotspots import HotspotParams, hotspots
from ioc.i18n import fmt_int
from ioc.kpis.windows import Period
from ioc.reference.admin_units import communes
from ioc.reference.calendar import TZ
from ioc.reference.catalogue import FEEDBACK_CATEGORIES
from ioc.settings import Settings
from ioc.ui.components import (
    db_guard,
    get_engine,
    load_freshness,
    province_label,
    render_freshness,
)
from ioc.ui.dossiers.charts import breakdown_chart
from ioc.ui.dossiers.filters import file_tag, period_of
from ioc.ui.dossiers.loaders import LIVE_SECONDS, args
from ioc.ui.dossiers.sections import apply_css
from ioc.ui.dossiers.table_view import render_table, table_height
from ioc.ui.feedback.charts import backlog_chart, channel_chart, trend_every
from ioc.ui.feedback.controls import drill_bar, mirror_to_url, seed_state, window_picker
from ioc.ui.feedback.filters import FeedbackState, scope_html, state_scope
from ioc.ui.feedback.hotmap import hotspot_deck
from ioc.ui.feedback.labels import HEADERS, LABELS, both, vi
from ioc.ui.feedback.loaders import (
    load_backlog,
    load_breakdown,
    load_cell_reports,
    load_deadlines,
    load_kpis,
    load_names,
    load_received,
    load_reports,
    load_trend,
)
from ioc.ui.feedback.tables import (
    BREAKDOWN_SHOWN,
    breakdown_frame,
    cell_label,
    code_names,
    overdue_by_agency,
    ranking_frame,
    report_frame,
    trend_frame,
)
from ioc.ui.feedback.tiles import board_html, is_empty
from ioc.ui.scoping import enforce, scope_guard

LIST_LIMIT = 5000
HOTSPOT_WINDOWS = {"6h": timedelta(hours=6), "24h": timedelta(hours=24)}
REPORT_COLUMNS = ["feedback_id", "state", "category", "channel_name", "ward_name",
                  "agency_name", "received_at", "due_at", "age_days", "text"]


def section(key: str) -> None:
    vi_text, en_text = LABELS[key]
    st.markdown(f'<div class="ioc-section-title" data-section="{key}">{vi_text} '
                f'<span class="en">· {en_text}</span></div>', unsafe_allow_html=True)


def render_title(province_name: str) -> None:
    st.markdown(
        f'<div class="ioc-title">{vi("title")} · {province_name}</div>'
        f'<div class="ioc-subtitle">{vi("subtitle")} · {LABELS["subtitle"][1]}</div>',
        unsafe_allow_html=True)


def render_live_board(settings: Settings, state: FeedbackState, scope: str,
                      names: Mapping[str, Mapping[str, str]]) -> None:
    url = settings.database_url

    @st.fragment(run_every=LIVE_SECONDS)
    def live_board(state: FeedbackState, scope: str) -> None:
        """Freshness, tiles and who holds the overdue reports: what a wall screen must keep
        current; the rest of the page reruns on interaction."""
        now = datetime.now(UTC)
        period = period_of(state, now)  # type: ignore[arg-type]
        with db_guard():
            render_freshness(load_freshness(get_engine(url), settings.freshness_seconds))
            st.markdown(board_html(load_kpis(*args(url, scope, period)), period, now),
                        unsafe_allow_html=True)
            section("overdue_by_agency")
            held = overdue_by_agency(load_deadlines(url, scope), names.get("agency_code", {}))
            if held.is_empty():
                st.success(both("no_overdue"), icon=":material/task_alt:")
                return
            top = held.row(0, named=True)
            if top["overdue"]:
                vi_text, en_text = (t.format(name=top["name"], n=fmt_int(top["overdue"]))
                                    for t in LABELS["most_overdue"])
                st.markdown(f"**{vi_text}** · {en_text}")
            render_table(held, "fb_overdue", f"qua-han-theo-co-quan_{file_tag(state)}",
                         columns=["name", "overdue", "near_due"], headers=HEADERS,
                         narrow=True, height=table_height(held.height, 6),
                         highlight=("agency_code", state.agency))

    live_board(state, scope)


def render_trend(url: str, scope: str, period: Period, tag: str) -> None:
    section("trend")
    every = trend_every(period.length.total_seconds() / 3600)
    frame = trend_frame(load_trend(*args(url, scope, period), every))
    if frame.is_empty():
        st.caption(both("no_rows"))
        return
    st.altair_chart(channel_chart(frame, every), width="stretch")
    with st.expander(both("trend")):
        render_table(frame, "fb_trend", f"tiep-nhan-theo-kenh_{tag}", headers=HEADERS,
                     height=table_height(frame.height, 8))


def render_breakdowns(url: str, province: str, period: Period, state: FeedbackState,
                      names: Mapping[str, Mapping[str, str]]) -> None:
    scope = state_scope(province, state)
    tag = file_tag(state)  # type: ignore[arg-type]
    tabs = st.tabs([both("by_category"), both("by_agency"), both("ranking")])
    for tab, by, word in ((tabs[0], "category", "linh-vuc"), (tabs[1], "agency_code", "co-quan")):
        with tab:
            frame = breakdown_frame(load_breakdown(*args(url, scope, period), by), by,
                                    code_names(by, names))
            if frame.is_empty():
                st.caption(both("no_rows"))
                continue
            chart, table = st.columns([1, 1], gap="medium")
            chart.altair_chart(breakdown_chart(frame), width="stretch")
            with table:
                render_table(frame, f"fb_{by}", f"phan-anh-theo-{word}_{tag}",
                             columns=list(BREAKDOWN_SHOWN), headers=HEADERS, narrow=True,
                             height=table_height(frame.height, 10))
    with tabs[2]:
        # Agencies compared within the chosen commune and category, whatever agency is chosen.
        card = load_breakdown(*args(url, state_scope(province, state, "agency"), period),
                              "agency_code")
        ranked = ranking_frame(card, names.get("agency_code", {}))
        if ranked.is_empty():
            st.caption(both("no_rows"))
            return
        render_table(ranked, "fb_rank", f"xep-hang-co-quan-phan-anh_{tag}",
                     columns=["rank", "name", "on_time_rate_pct", "closed", "overdue",
                              "satisfaction_rate_pct", "movement"],
                     headers=HEADERS, narrow=True, height=table_height(ranked.height, 10),
                     highlight=("agency_code", state.agency))


def render_backlog(url: str, scope: str, end: datetime, tag: str) -> None:
    section("backlog_age")
    frame = load_backlog(url, scope, end)  # at the tiles' instant (the loader's draw)
    chart, table = st.columns([3, 2], gap="medium")
    chart.altair_chart(backlog_chart(frame), width="stretch")
    with table:
        render_table(frame, "fb_backlog", f"ton-dong-theo-tuoi_{tag}", headers=HEADERS,
                     height=table_height(frame.height, 4))


def render_hotspots(url: str, province: str, state: FeedbackState, end: datetime,
                    wards: Mapping[str, str], tag: str) -> None:
    section("hotspots")
    left, right = st.columns(2)
    window = left.segmented_control(both("hotspot_window"), list(HOTSPOT_WINDOWS),
                                    default="24h", required=True, key="feedback_hot_window",
                                    format_func=lambda w: w.replace("h", " giờ")) or "24h"
    names = ["", *(c.name for c in FEEDBACK_CATEGORIES)]
    if state.category and state.category not in names:
        names.append(state.category)
    category = right.selectbox(both("hotspot_category"), names,
                               index=names.index(state.category), key="feedback_hot_category",
                               format_func=lambda c: c or vi("all_categories"))
    params = HotspotParams(window=HOTSPOT_WINDOWS[window])
    scope = state_scope(province, state, without="category")
    reports = load_received(url, scope, params.first_start(end), end, category or None)
    cells = hotspots(reports, end, params)
    in_window = reports.filter(pl.col("received_at") >= end - params.window)
    unlocated = in_window.filter(pl.col("lat").is_null() | pl.col("lon").is_null()).height
    # A click on a hexagon picks that cell (the picker below stays for keyboards and tests).
    event = st.pydeck_chart(hotspot_deck(cells, communes(province), wards), height=420,
                            key="feedback_hot_map", on_select="rerun",
                            selection_mode="single-object")
    picked = clicked_cell(event)
    if picked and picked != st.session_state.get("feedback_hot_clicked"):
        st.session_state["feedback_hot_clicked"] = picked
        st.session_state["feedback_hot_cell"] = picked
    notes = []
    hot = cells.filter("is_hotspot").height
    if not hot:
        notes.append(both("no_hotspot"))
    if unlocated:
        notes.append(" · ".join(t.format(n=fmt_int(unlocated)) for t in LABELS["unlocated"]))
    if notes:
        st.caption(" — ".join(notes))
    if cells.is_empty():
        return
    rows = {r["cell"]: r for r in cells.iter_rows(named=True)}
    if st.session_state.get("feedback_hot_cell") not in rows:
        st.session_state.pop("feedback_hot_cell", None)  # another window or category
    cell = st.selectbox(both("hotspot_pick"), list(rows), key="feedback_hot_cell",
                        format_func=lambda c: cell_label(rows[c], wards))
    with st.expander(both("cell_reports"), expanded=bool(hot)):
        listed = report_frame(load_cell_reports(url, scope, cell, end - params.window, end,
                                                category or None), load_names(province))
        render_table(listed, "fb_cell", f"phan-anh-o-{cell}_{tag}", columns=REPORT_COLUMNS,
                     headers=HEADERS, height=table_height(listed.height, 8))
        render_table(cells, "fb_cells", f"diem-nong_{window}_{tag}", headers=HEADERS,
                     columns=["cell", "count", "baseline_mean", "limit", "is_hotspot"],
                     height=table_height(cells.height, 6))


def clicked_cell(event: object) -> str | None:
    """The H3 cell of the hexagon (or halo) clicked on the map, if any."""
    objects = getattr(getattr(event, "selection", None), "objects", None) or {}
    for layer in ("cells", "hot-halo"):
        for obj in objects.get(layer) or []:
            if isinstance(obj, dict) and obj.get("cell"):
                return str(obj["cell"])
    return None


def render_report_list(url: str, scope: str, period: Period, tag: str,
                       names: Mapping[str, Mapping[str, str]]) -> None:
    section("report_list")
    listed = load_reports(*args(url, scope, period), LIST_LIMIT)
    if listed.height >= LIST_LIMIT:
        st.caption(" · ".join(t.format(n=fmt_int(LIST_LIMIT)) for t in LABELS["list_capped"]))
    frame = report_frame(listed, names)
    render_table(frame, "fb_reports", f"danh-sach-phan-anh_{tag}", columns=REPORT_COLUMNS,
                 headers=HEADERS, height=table_height(frame.height, 12))


def render_feedback(settings: Settings) -> None:
    url = settings.database_url
    province = settings.province_code
    province_name = province_label(province)
    apply_css()
    now = datetime.now(UTC)
    seed_state(now.astimezone(TZ).date())
    render_title(province_name)
    window, first, last = window_picker()
    try:
        period = period_of(FeedbackState(window, first, last), now)  # type: ignore[arg-type]
    except ValueError:
        st.warning(both("no_data_hint"), icon=":material/event_busy:")
        st.stop()

    with db_guard(), scope_guard():  # another commune than the user's: message, no data
        names = load_names(province)
        state = FeedbackState(window, first, last, **drill_bar(url, province, period, names))
        mirror_to_url(state)
        scope = enforce(state_scope(province, state))
        tag = file_tag(state)  # type: ignore[arg-type]
        st.markdown(scope_html(province_name, state, names, period), unsafe_allow_html=True)
        if is_empty(load_kpis(*args(url, scope, period))):
            render_freshness(load_freshness(get_engine(url), settings.freshness_seconds))
            st.info(f"**{both('no_data')}**\n\n{vi('no_data_hint')}\n\n"
                    f"*{LABELS['no_data_hint'][1]}*", icon=":material/hourglass_empty:")
            st.stop()
        render_live_board(settings, state, scope, names)
        at = min(period.end, now.astimezone(UTC).replace(tzinfo=None))
        render_trend(url, scope, period, tag)
        render_breakdowns(url, province, period, state, names)
        render_backlog(url, scope, period.end, tag)
        render_hotspots(url, province, state, at, names["ward_code"], tag)
        render_report_list(url, scope, period, tag, names)
