"""The 30-day backtest of a candidate rule on the Thresholds page: how often it would have
fired, when (Vietnam time) and a chart of the value against the threshold. The chart builder
is pure; `show_backtest` runs the backtest and draws it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import altair as alt
import polars as pl
import streamlit as st
from sqlalchemy import Engine

from ioc.alerts.rules import Rule
from ioc.alerts.text import kpi_label, kpi_unit, local_time
from ioc.i18n import DASH, bilingual
from ioc.reference.calendar import TZ
from ioc.ui.theme import SEVERITY_COLORS
from ioc.ui.thresholds.keys import BACKTEST


def firing_times_text(firings: Sequence[datetime]) -> str:
    """'03/11 08:00, 05/11 14:00' in Vietnam time; '—' when it never fired."""
    return ", ".join(local_time(f) for f in firings) if firings else DASH


def _to_local(col: str) -> pl.Expr:
    return (pl.col(col).dt.replace_time_zone("UTC").dt.convert_time_zone(str(TZ))
            .dt.replace_time_zone(None))


def backtest_chart(series: pl.DataFrame, firings: Sequence[datetime], threshold: float,
                   kpi: str, height: int = 220) -> alt.Chart:
    """Value over time (Vietnam time), the threshold as a rule line and a red point at each
    instant the rule would have fired. Ratios are drawn in % like the form takes them."""
    scale = 100.0 if kpi_unit(kpi) == "ratio" else 1.0
    unit = " (%)" if scale == 100.0 else ""
    frame = (series.select("hour", "value").with_columns(
        _to_local("hour").alias("t"), (pl.col("value").cast(pl.Float64) * scale).alias("v"))
        .select("t", "v"))
    fires = pl.DataFrame({"hour": list(firings)}, schema={"hour": pl.Datetime("us")})
    if not fires.is_empty() and not frame.is_empty():
        fires = (fires.with_columns(_to_local("hour").alias("t")).select("t").sort("t")
                 .join_asof(frame.drop_nulls().sort("t"), on="t", strategy="backward")
                 .with_columns(pl.col("v").fill_null(threshold * scale)))
    else:
        fires = pl.DataFrame({"t": [], "v": []},
                             schema={"t": pl.Datetime("us"), "v": pl.Float64})
    x = alt.X("t:T", title="Giờ (giờ Việt Nam) · Hour", axis=alt.Axis(format="%d/%m"))
    y_title = f"{kpi_label(kpi)}{unit}"
    line = alt.Chart(frame.to_pandas()).mark_line(color="#0b5cad").encode(
        x=x, y=alt.Y("v:Q", title=y_title),
        tooltip=[alt.Tooltip("t:T", format="%d/%m %H:%M", title="Giờ"),
                 alt.Tooltip("v:Q", format=",.2f", title="Giá trị")])
    rule = alt.Chart(pl.DataFrame({"y": [threshold * scale]}).to_pandas()).mark_rule(
        color=SEVERITY_COLORS["critical"], strokeDash=[6, 4]).encode(y="y:Q")
    points = alt.Chart(fires.to_pandas()).mark_point(
        color=SEVERITY_COLORS["critical"], filled=True, size=90).encode(
        x="t:T", y="v:Q", tooltip=[alt.Tooltip("t:T", format="%d/%m %H:%M",
                                               title="Cảnh báo lúc · Fired at")])
    return (line + rule + points).properties(height=height)


def show_backtest(engine: Engine, rule: Rule) -> None:
    # Looked up at each call, not at import: the page tests put a fake in sys.modules.
    from ioc.alerts.backtest import backtest

    cached = st.session_state.get(BACKTEST)
    if cached is not None and cached[0] == rule:
        result = cached[1]  # seconds of SQL on 30 days: a Save click must not wait for it again
    else:
        try:
            with st.spinner(bilingual("Đang chạy thử 30 ngày…", "Backtesting 30 days…")):
                result = backtest(engine, rule, now=None, days=30)
        except Exception as exc:  # noqa: BLE001 - a failing backtest must not block the save
            st.warning(bilingual("Không chạy thử được", "Backtest failed") + f": {exc}")
            return
        st.session_state[BACKTEST] = (rule, result)
    st.markdown(f"**{bilingual('Chạy thử 30 ngày qua', 'Backtest, last 30 days')}:** "
                f"sẽ cảnh báo **{result.count}** lần · would have fired "
                f"**{result.count}** time{'s' if result.count != 1 else ''}")
    st.caption(f"{bilingual('Thời điểm (giờ Việt Nam)', 'When (Vietnam time)')}: "
               f"{firing_times_text(result.firings)}")
    if result.series is not None and not result.series.is_empty():
        st.altair_chart(backtest_chart(result.series, result.firings, rule.threshold,
                                       rule.kpi), width="stretch")
