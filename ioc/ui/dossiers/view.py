"""Streamlit side of the Dossiers page: its CSS, the cached loaders (with the small reads behind
them) and the render_* helpers that put the pure builders' output on screen. Kept apart so the
builders import and test without a running app."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import polars as pl
import streamlit as st

from ioc.dossiers.queries import (
    breakdown,
    code_names,
    daily_trend,
    deadline_list,
    dossier_list,
    rankings,
    scope_options,
)
from ioc.exports import header_for, local_times, to_csv_bytes, to_xlsx_bytes
from ioc.i18n import DASH, fmt_int, fmt_number
from ioc.kpis.targets import load_targets
from ioc.kpis.values import KpiValue, dossier_kpis
from ioc.kpis.windows import Period
from ioc.reference import admin_units
from ioc.settings import load_settings
from ioc.ui import components as ui
from ioc.ui.dossiers.charts import breakdown_chart, on_time_chart, volume_chart
from ioc.ui.dossiers.filters import FILE_WORDS
from ioc.ui.dossiers.labels import LABELS, both, vi
from ioc.ui.dossiers.tables import DAILY_COUNTS, breakdown_frame, breakdown_headers, daily_grid
from ioc.ui.dossiers.tiles import board_html, formula_frame, formula_html
from ioc.ui.theme import BAD, GOOD, NEUTRAL

CSS = f"""
<style>
.ioc-dboard {{ gap: .55rem; }}
.ioc-dtile .val .unit {{ font-size: 1.05rem; font-weight: 600; color: #5f6b7a;
  margin-left: .3rem; }}
.ioc-dtile .chg {{ font-size: .98rem; font-weight: 700; line-height: 1.3; }}
.ioc-dtile .chg.good {{ color: {GOOD}; }}
.ioc-dtile .chg.bad {{ color: {BAD}; }}
.ioc-dtile .chg.flat, .ioc-dtile .chg.none {{ color: {NEUTRAL}; }}
.ioc-dtile .chg .prev {{ font-weight: 400; color: #5f6b7a; }}
.ioc-dtile .bar {{ height: .4rem; background: #e3e8ee; border-radius: 3px;
  margin: .1rem 0 .25rem 0; overflow: hidden; }}
.ioc-dtile .bar span {{ display: block; height: 100%; background: var(--accent); }}
.ioc-formulas {{ width: 100%; border-collapse: collapse; font-size: .95rem; }}
.ioc-formulas th {{ text-align: left; color: #5f6b7a; font-weight: 600;
  border-bottom: 2px solid #d5dde6; padding: .3rem .5rem; }}
.ioc-formulas td {{ vertical-align: top; border-bottom: 1px solid #e3e8ee; padding: .35rem .5rem; }}
.ioc-formulas td:first-child {{ width: 32%; }}
.ioc-formulas td:last-child {{ width: 11%; white-space: nowrap; }}
.ioc-formulas code {{ font-size: .8rem; color: #5f6b7a; background: none; padding: 0; }}
.ioc-scope {{ display: flex; flex-wrap: wrap; gap: .2rem .5rem; align-items: baseline;
  font-size: 1.02rem; color: #37474f; margin: .1rem 0 .4rem 0; }}
.ioc-scope b {{ color: #12263a; }}
.ioc-scope .period {{ color: #5f6b7a; }}
/* Eight intake tiles squeeze below 1600 px: four a row until the two-column tablet rule. */
@media (max-width: 1600px) {{ .ioc-dgrid {{ grid-template-columns: repeat(4, minmax(0, 1fr)); }}
  .ioc-dgrid[style*="--cols:6"] {{ grid-template-columns: repeat(3, minmax(0, 1fr)); }} }}
@media (max-width: 1280px) {{ .ioc-dgrid, .ioc-dgrid[style*="--cols:6"] {{
  grid-template-columns: repeat(2, minmax(0, 1fr)); }} }}
@media (max-width: 640px) {{ .ioc-dgrid, .ioc-dgrid[style*="--cols:6"] {{
  grid-template-columns: minmax(0, 1fr); }} }}
</style>
"""


_SETTINGS = load_settings()
# Scorecards take a second or two on a province's month: cache them as long as the live tiles
# rerun (≥ 30 s); the cheap row queries (options, deadlines, list) one refresh interval.
LIVE_SECONDS = max(30, _SETTINGS.refresh_seconds * 6)
FAST_TTL = max(5, _SETTINGS.refresh_seconds)
SLOW_TTL = 600  # names and targets barely change


# The reads behind load_options and load_names.
def commune_names(province_code: str) -> dict[str, str]:
    try:
        return admin_units.commune_names(province_code)
    except ValueError:  # unknown province code: codes are shown as they are
        return {}


def apply_css() -> None:
    st.html(CSS)


def _period(start: datetime, end: datetime, window: str) -> Period:
    return Period(start, end, window)


# Cached loaders take the period as (start, end, window): plain values hash cheaply and a
# new hour is a new key, so the current hour is never served from an older window.
@st.cache_data(ttl=LIVE_SECONDS, show_spinner=False)
def load_kpis(url: str, scope: str, start: datetime, end: datetime, window: str
              ) -> list[KpiValue]:
    engine = ui.get_engine(url)
    return dossier_kpis(engine, scope, _period(start, end, window),
                        targets=load_targets(engine))


@st.cache_data(ttl=LIVE_SECONDS, show_spinner=False)
def load_rankings(url: str, scope: str, start: datetime, end: datetime, window: str,
                  dim: str) -> pl.DataFrame:
    return rankings(ui.get_engine(url), scope, _period(start, end, window), dim)


@st.cache_data(ttl=LIVE_SECONDS, show_spinner=False)
def load_breakdown(url: str, scope: str, start: datetime, end: datetime, window: str,
                   dim: str) -> pl.DataFrame:
    return breakdown(ui.get_engine(url), scope, _period(start, end, window), dim)


@st.cache_data(ttl=LIVE_SECONDS, show_spinner=False)
def load_trend(url: str, scope: str, start: datetime, end: datetime, window: str
               ) -> pl.DataFrame:
    return daily_trend(ui.get_engine(url), scope, _period(start, end, window))


@st.cache_data(ttl=FAST_TTL, show_spinner=False)
def load_deadlines(url: str, scope: str) -> pl.DataFrame:
    return deadline_list(ui.get_engine(url), scope)


@st.cache_data(ttl=FAST_TTL, show_spinner=False)
def load_dossiers(url: str, scope: str, start: datetime, end: datetime, window: str,
                  limit: int) -> pl.DataFrame:
    return dossier_list(ui.get_engine(url), scope, _period(start, end, window), limit=limit)


@st.cache_data(ttl=FAST_TTL, show_spinner=False)
def load_options(url: str, scope: str, start: datetime, end: datetime, column: str
                 ) -> list[str]:
    return scope_options(ui.get_engine(url), scope, _period(start, end, "custom"), column)


@st.cache_data(ttl=SLOW_TTL, show_spinner=False)
def load_names(url: str, province_code: str) -> dict[str, dict[str, str]]:
    names = code_names(ui.get_engine(url), province_code)
    names["ward_code"] = commune_names(province_code)
    return names


@st.cache_data(ttl=SLOW_TTL, show_spinner=False)
def load_targets_cached(url: str) -> dict[str, float | None]:
    return load_targets(ui.get_engine(url))


def args(url: str, scope: str, period: Period) -> tuple[str, str, datetime, datetime, str]:
    """The cache key arguments of a loader for a scope and period."""
    return url, scope, period.start, period.end, period.window


def render_title(province_name: str) -> None:
    st.markdown(
        f'<div class="ioc-title">{html.escape(vi("title"))} · {html.escape(province_name)}</div>'
        f'<div class="ioc-subtitle">{html.escape(vi("subtitle"))} · '
        f'{html.escape(LABELS["subtitle"][1])}</div>', unsafe_allow_html=True)


def section(key: str) -> None:
    vi_text, en_text = LABELS[key]
    st.markdown(f'<div class="ioc-section-title" data-section="{key}">{html.escape(vi_text)} '
                f'<span class="en">· {html.escape(en_text)}</span></div>',
                unsafe_allow_html=True)


def render_board(kpis: Sequence[KpiValue], period: Period) -> None:
    st.markdown(board_html(kpis, period), unsafe_allow_html=True)


def render_formulas(targets: Mapping[str, float | None]) -> None:
    frame = formula_frame(targets)
    with st.expander(f"ƒ {both('formulas')}"):
        # HTML, not a data grid: a formula is a sentence and must wrap to be read.
        st.markdown(formula_html(frame), unsafe_allow_html=True)
        download_buttons(frame, "formulas", "cong-thuc-chi-tieu")


def render_empty() -> None:
    st.info(f"**{both('no_data')}**\n\n{vi('no_data_hint')}\n\n*{LABELS['no_data_hint'][1]}*",
            icon=":material/hourglass_empty:")


def _fmt_cell(dtype: pl.DataType, col: str) -> Callable[[Any], str] | None:
    """Vietnamese display of a numeric column (12.345; 87,5 %), keeping the value numeric
    so the table still sorts by number."""
    def safe(f: Callable[[Any], str]) -> Callable[[Any], str]:
        return lambda v: DASH if v is None or v != v else f(v)  # v != v: NaN
    if col.endswith("_pct"):
        return safe(lambda v: f"{fmt_number(v, 1)} %")
    if dtype.is_integer():
        return safe(fmt_int)
    if dtype.is_float():
        # Two decimals on scores: neighbours in a ranking often differ by less than 0,1.
        return safe(lambda v: fmt_number(v, 2 if col.startswith("score") else 1))
    return None


# Long names and headers would push the figures of a half-width table off a tablet's
# screen: names get a capped width and the figures short headers (files keep the long ones).
NAME_COLUMNS = ("procedure_name", "agency_name", "ward_name", "name")
SHORT_HEADERS = {
    "score_total": "Tổng điểm", "on_time_rate_pct": "Đúng hạn (%)", "received": "Tiếp nhận",
    "completed": "Giải quyết", "overdue": "Quá hạn", "near_due": "Sắp đến hạn",
    "online_eligible_rate_pct": "Trực tuyến (%)", "processing_days_mean": "Xử lý TB (ngày)",
    "max_late_days": "Trễ nhất (ngày)", "movement": "Thay đổi", "previous_rank": "Hạng trước",
    "age_days": "Đã nhận (ngày)", "late_days": "Quá hạn (ngày)",
}


def _column_config(frame: pl.DataFrame, headers: Mapping[str, str] | None,
                   narrow: bool) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for col, dtype in frame.schema.items():
        label = header_for(col, headers)
        if narrow and col in NAME_COLUMNS:
            config[col] = st.column_config.TextColumn(label, width="medium")
            continue
        if isinstance(dtype, pl.Datetime):
            config[col] = st.column_config.DatetimeColumn(label, format="DD/MM/YYYY HH:mm")
        elif dtype == pl.Date:
            config[col] = st.column_config.DateColumn(label, format="DD/MM/YYYY")
        else:
            config[col] = st.column_config.Column(label)
    return config


def styled(frame: pl.DataFrame, highlight: tuple[str, str] | None = None) -> Any:
    """pandas Styler with Vietnamese number formats (and one row highlighted, e.g. the
    commune drilled into, in its ranking); times shown as Vietnam wall-clock time."""
    shown = local_times(frame).to_pandas()
    formats = {c: f for c, t in frame.schema.items() if (f := _fmt_cell(t, c))}
    sty = shown.style.format(formats, na_rep=DASH)
    if highlight and highlight[0] in shown.columns:
        col, code = highlight
        sty = sty.apply(lambda row: ["background-color: #fff3c4; font-weight: 700"
                                     if row[col] == code else "" for _ in row], axis=1)
    return sty


def download_buttons(frame: pl.DataFrame, key: str, file_stem: str,
                     headers: Mapping[str, str] | None = None, sheet: str | None = None
                     ) -> None:
    """CSV and XLSX of the table; the bytes are built only when the button is pressed."""
    # One sheet named after the table, without the view tag the file name carries.
    sheet = sheet or file_stem.split("_", 1)[0]
    with st.container(horizontal=True, gap="small"):
        st.download_button(f"⬇ {vi('csv')}", data=lambda: to_csv_bytes(frame, headers),
                           file_name=f"{file_stem}.csv", mime="text/csv", key=f"{key}_csv",
                           on_click="ignore")
        st.download_button(
            f"⬇ {vi('xlsx')}", data=lambda: to_xlsx_bytes(frame, sheet, headers),
            file_name=f"{file_stem}.xlsx", key=f"{key}_xlsx", on_click="ignore",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def render_table(frame: pl.DataFrame, key: str, file_stem: str, *,
                 columns: Sequence[str] | None = None,
                 headers: Mapping[str, str] | None = None, height: int | str = "auto",
                 highlight: tuple[str, str] | None = None, narrow: bool = False,
                 sheet: str | None = None) -> None:
    """A table (Vietnamese headers and numbers) with its CSV/XLSX download buttons; `columns`
    picks what the screen shows, the files carry every column."""
    # Styler formats every cell in Python: fine for summaries, slow for the 5,000-row list.
    data = styled(frame, highlight) if frame.height <= 2000 else local_times(frame)
    screen = {**SHORT_HEADERS, **(headers or {})} if narrow else headers
    st.dataframe(data, hide_index=True, width="stretch", height=height, key=f"{key}_table",
                 column_order=list(columns) if columns else None, placeholder=DASH,
                 column_config=_column_config(frame, screen, narrow))
    download_buttons(frame, key, file_stem, headers, sheet)


def table_height(rows: int, max_rows: int = 12) -> int:
    # Header + rows at Streamlit's 35 px row height, capped so a long list scrolls inside.
    return 38 + 35 * max(1, min(rows, max_rows))


def render_trend(daily: pl.DataFrame, period: Period, target: float | None,
                 tag: str = "") -> None:
    grid = daily_grid(daily, period)
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown(f"**{both('received_completed')}**")
        st.altair_chart(volume_chart(grid), width="stretch")
    with right:
        st.markdown(f"**{both('on_time_share')}**")
        st.altair_chart(on_time_chart(grid, target), width="stretch")
    render_table(grid.select("day", *DAILY_COUNTS, "on_time_share_pct"), "trend",
                 f"dien-bien-theo-ngay_{tag}", height=table_height(grid.height, 6))


def render_breakdown(card: pl.DataFrame, dim: str, names: Mapping[str, str],
                     tag: str = "") -> None:
    frame = breakdown_frame(card, dim, names)
    if frame.is_empty():
        st.caption(both("no_data"))
        return
    chart, table = st.columns([1, 1], gap="medium")
    chart.altair_chart(breakdown_chart(frame), width="stretch")
    with table:
        shown = [c for c in frame.columns if c != dim]  # the name says it; files keep codes
        render_table(frame, f"bd_{dim}", f"phan-tich-theo-{FILE_WORDS[dim]}_{tag}",
                     columns=shown, headers=breakdown_headers(dim), narrow=True,
                     height=table_height(frame.height, 10))
