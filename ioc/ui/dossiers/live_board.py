"""What a wall screen must keep current on the Dossiers page: freshness, the scorecard tiles
and who holds the overdue dossiers, in a fragment that reruns on its own."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from ioc.settings import Settings
from ioc.ui.components import db_guard, get_engine, load_freshness, render_freshness
from ioc.ui.dossiers.filters import FILE_WORDS, PageState, file_tag, period_of
from ioc.ui.dossiers.labels import both
from ioc.ui.dossiers.loaders import (
    LIVE_SECONDS,
    args,
    load_deadlines,
    load_kpis,
    load_names,
    load_targets_cached,
)
from ioc.ui.dossiers.sections import render_board, render_formulas, section
from ioc.ui.dossiers.table_view import render_table, table_height
from ioc.ui.dossiers.tables import deadline_frame, deadline_summary


def render_live_board(settings: Settings, state: PageState, scope: str) -> None:
    url = settings.database_url
    engine = get_engine(url)
    province = settings.province_code

    @st.fragment(run_every=LIVE_SECONDS)
    def live_board(state: PageState, scope: str) -> None:
        """Freshness, tiles and the overdue list: what a wall screen must keep current."""
        period = period_of(state, datetime.now(UTC))
        with db_guard():
            render_freshness(load_freshness(engine, settings.freshness_seconds))
            render_board(load_kpis(*args(url, scope, period)), period)
            render_formulas(load_targets_cached(url))

            section("deadlines")
            deadlines = load_deadlines(url, scope)
            if deadlines.is_empty():
                st.success(both("no_deadlines"), icon=":material/task_alt:")
                return
            wards = load_names(url, province)["ward_code"]
            by_agency, by_procedure = st.columns(2, gap="medium")
            for col, by, label in ((by_agency, "agency", "by_agency"),
                                   (by_procedure, "procedure", "by_procedure")):
                with col:
                    st.markdown(f"**{both(label)}**")
                    summary = deadline_summary(deadlines, by)
                    render_table(summary, f"deadlines_{by}",
                                 f"qua-han-theo-{FILE_WORDS[by]}_{file_tag(state)}",
                                 columns=[f"{by}_name", "overdue", "near_due", "max_late_days"],
                                 height=table_height(summary.height, 6), narrow=True,
                                 highlight=(f"{by}_code", state.drill()[by]))
            st.markdown(f"**{both('deadline_list')}**")
            frame = deadline_frame(deadlines, wards)
            render_table(frame, "deadlines", f"ho-so-qua-han_{file_tag(state)}",
                         columns=["state", "dossier_id", "procedure_name", "agency_name",
                                  "ward_name", "due_at", "late_days", "age_days"],
                         height=table_height(frame.height, 10), narrow=True)

    live_board(state, scope)
