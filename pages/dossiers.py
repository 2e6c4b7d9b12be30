"""Hồ sơ TTHC · Dossiers: the 766 scorecard of the province or of one commune, agency or
procedure against the previous equal period; who holds the overdue dossiers; rankings, daily
trends, breakdowns, the commune map and the dossier list, every table as CSV and XLSX.

Layout and widgets only (figures and rendering live in the ioc.ui.dossier_* modules). The window
and the drill-down are mirrored in the URL (?window=30d&commune=08494…) so a view can be
bookmarked or shared; the tiles and the overdue list rerun on their own, the rest on interaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import streamlit as st

from ioc.dossiers.queries import BREAKDOWN_DIMS
from ioc.i18n import bilingual, fmt_int
from ioc.kpis.freshness import freshness
from ioc.reference.admin_units import communes
from ioc.reference.calendar import TZ
from ioc.settings import load_settings
from ioc.ui import components as ui
from ioc.ui.dossiers import view as dv
from ioc.ui.dossiers.filters import (
    CUSTOM_DEFAULT_DAYS,
    DEFAULT_WINDOW,
    DRILL_LEVELS,
    FILE_WORDS,
    PAGE_WINDOWS,
    PageState,
    all_label,
    drill_options,
    file_tag,
    params_of,
    period_of,
    scope_html,
    scope_of,
    state_from_params,
    state_scope,
    window_label,
)
from ioc.ui.dossiers.labels import LABELS, both
from ioc.ui.dossiers.tables import (
    deadline_frame,
    deadline_summary,
    dossier_frame,
    map_values,
    ranking_frame,
)
from ioc.ui.dossiers.tiles import is_empty

settings = load_settings()
url = settings.database_url
engine = ui.get_engine(url)
province = settings.province_code
province_name = ui.province_label(province)
LIST_LIMIT = 5000
KEY = {name: f"dossiers_{name}" for name in ("window", "from", "to", *DRILL_LEVELS)}
CHILDREN = {"commune": ("agency", "procedure"), "agency": ("procedure",), "procedure": ()}

dv.apply_css()
today = datetime.now(UTC).astimezone(TZ).date()

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
    # A new commune has other agencies and procedures: start their choice again.
    for child in CHILDREN[level]:
        st.session_state[KEY[child]] = ""


dv.render_title(province_name)
window = st.segmented_control(
    both("window"), options=list(PAGE_WINDOWS), format_func=window_label,
    required=True, key=KEY["window"], width="stretch") or DEFAULT_WINDOW
first: date | None = None
last: date | None = None
if window == "custom":
    a, b, _ = st.columns([1, 1, 2])
    first = a.date_input(both("from"), key=KEY["from"], format="DD/MM/YYYY")
    last = b.date_input(both("to"), key=KEY["to"], format="DD/MM/YYYY")

try:
    period = period_of(PageState(window, first, last), datetime.now(UTC))
except ValueError:
    st.warning(both("bad_range"), icon=":material/event_busy:")
    st.stop()


@st.fragment(run_every=dv.LIVE_SECONDS)
def live_board(state: PageState, scope: str) -> None:
    """Freshness, tiles and the overdue list: what a wall screen must keep current."""
    period = period_of(state, datetime.now(UTC))
    with ui.db_guard():
        ui.render_freshness(freshness(engine, settings.freshness_seconds))
        dv.render_board(dv.load_kpis(*dv.args(url, scope, period)), period)
        dv.render_formulas(dv.load_targets_cached(url))

        dv.section("deadlines")
        deadlines = dv.load_deadlines(url, scope)
        if deadlines.is_empty():
            st.success(both("no_deadlines"), icon=":material/task_alt:")
            return
        wards = dv.load_names(url, province)["ward_code"]
        by_agency, by_procedure = st.columns(2, gap="medium")
        for col, by, label in ((by_agency, "agency", "by_agency"),
                               (by_procedure, "procedure", "by_procedure")):
            with col:
                st.markdown(f"**{both(label)}**")
                summary = deadline_summary(deadlines, by)
                dv.render_table(summary, f"deadlines_{by}",
                                f"qua-han-theo-{FILE_WORDS[by]}_{file_tag(state)}",
                                columns=[f"{by}_name", "overdue", "near_due", "max_late_days"],
                                height=dv.table_height(summary.height, 6), narrow=True,
                                highlight=(f"{by}_code", state.drill()[by]))
        st.markdown(f"**{both('deadline_list')}**")
        frame = deadline_frame(deadlines, wards)
        dv.render_table(frame, "deadlines", f"ho-so-qua-han_{file_tag(state)}",
                        columns=["state", "dossier_id", "procedure_name", "agency_name",
                                 "ward_name", "due_at", "late_days", "age_days"],
                        height=dv.table_height(frame.height, 10), narrow=True)


with ui.db_guard():
    names = dv.load_names(url, province)

    # Drill-down bar: each level offers only codes with data under the levels before it.
    chosen: dict[str, str] = {}
    columns = dict(zip(DRILL_LEVELS, st.columns(3), strict=True))
    for level, dim in (("commune", "ward_code"), ("agency", "agency_code"),
                       ("procedure", "procedure_code")):
        parent = scope_of(province, **chosen)
        codes = dv.load_options(url, parent, period.start, period.end, dim)
        level_names = names.get(dim, {})
        chosen[level] = columns[level].selectbox(
            both(level), drill_options(codes, st.session_state[KEY[level]], level_names),
            key=KEY[level], on_change=reset_children, args=(level,),
            format_func=lambda c, n=level_names, lv=level: n.get(c, c) if c else all_label(lv))

    state = PageState(window, first, last, **chosen)
    params = params_of(state)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    scope = state_scope(province, state)
    st.markdown(scope_html(province_name, state, names, period), unsafe_allow_html=True)

    if is_empty(dv.load_kpis(*dv.args(url, scope, period))):
        ui.render_freshness(freshness(engine, settings.freshness_seconds))
        dv.render_empty()
        st.stop()

    live_board(state, scope)

    # Rankings compare like with like: communes under the same agency/procedure filter,
    # agencies within the chosen commune; the drilled-into one is highlighted.
    dv.section("rankings")
    ranked = {level: dv.load_rankings(*dv.args(url, state_scope(province, state, level),
                                               period), dim)
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
            dv.render_table(frame, f"rank_{level}",
                            f"xep-hang-{FILE_WORDS[level]}_{file_tag(state)}",
                            columns=["rank", name, "score_total", "on_time_rate_pct",
                                     "received", "movement"],
                            height=dv.table_height(frame.height, 10), narrow=True,
                            highlight=(dim, state.drill()[level]))

    dv.section("map")
    ui.render_map(communes(province), map_values(ranked["commune"]),
                  "dossier.on_time_rate", height=420)

    dv.section("trend")
    targets = dv.load_targets_cached(url)
    dv.render_trend(dv.load_trend(*dv.args(url, scope, period)), period,
                    targets.get("dossier.on_time_rate"), file_tag(state))

    dv.section("breakdowns")
    dims = ("sector", "procedure_code", "channel", "level")
    for tab, dim in zip(st.tabs([bilingual(*BREAKDOWN_DIMS[d]) for d in dims]), dims,
                        strict=True):
        with tab:
            dv.render_breakdown(dv.load_breakdown(*dv.args(url, scope, period), dim), dim,
                                names.get(dim, {}), file_tag(state))

    dv.section("dossier_list")
    listed = dv.load_dossiers(*dv.args(url, scope, period), LIST_LIMIT)
    if listed.height >= LIST_LIMIT:
        st.caption(" · ".join(t.format(n=fmt_int(LIST_LIMIT)) for t in LABELS["list_capped"]))
    frame = dossier_frame(listed, names["ward_code"])
    dv.render_table(frame, "dossiers", f"danh-sach-ho-so_{file_tag(state)}",
                    columns=["dossier_id", "status", "procedure_name", "agency_name",
                             "ward_name", "channel", "received_at", "due_at", "completed_at",
                             "rating"],
                    height=dv.table_height(frame.height, 12))
