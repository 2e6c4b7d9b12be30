"""Sections of the Dossiers page drawn from the pure builders: CSS, title, section headings,
the scorecard board, the formulas, the empty state, the daily trend and the breakdowns."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import polars as pl
import streamlit as st

from ioc.kpis.values import KpiValue
from ioc.kpis.windows import Period
from ioc.ui.dossiers.charts import breakdown_chart, on_time_chart, volume_chart
from ioc.ui.dossiers.filters import FILE_WORDS
from ioc.ui.dossiers.labels import LABELS, both, vi
from ioc.ui.dossiers.table_view import download_buttons, render_table, table_height
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


def apply_css() -> None:
    st.html(CSS)


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
