"""Altair charts of the Dossiers page (daily volume, on-time share, breakdown bars), built from
the display frames. Pure, so the charts can be built without Streamlit."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from ioc.ui.dossiers.labels import vi
from ioc.ui.theme import BAD, GOOD, STREAM_COLORS

_VN_INT = "replace(format(datum.value, ',d'), regexp(',', 'g'), '.')"
_AXIS = {"labelFontSize": 13, "titleFontSize": 13}


def volume_chart(grid: pl.DataFrame, height: int = 260) -> alt.Chart:
    rec, done = vi("received_series"), vi("completed_series")
    long = grid.select("day", pl.col("received").alias(rec), pl.col("completed").alias(done)) \
        .unpivot(index="day", variable_name="series", value_name="count")
    return (
        alt.Chart(long).mark_line(point=True, strokeWidth=3)
        .encode(
            x=alt.X("day:T", title=None, axis=alt.Axis(format="%d/%m", **_AXIS)),
            y=alt.Y("count:Q", title=vi("count"),
                    axis=alt.Axis(labelExpr=_VN_INT, tickMinStep=1, **_AXIS)),
            color=alt.Color("series:N", title=None,
                            scale=alt.Scale(domain=[rec, done],
                                            range=[STREAM_COLORS["dossier"], GOOD]),
                            legend=alt.Legend(orient="top", labelFontSize=14)),
            tooltip=[alt.Tooltip("day:T", title=vi("day"), format="%d/%m/%Y"),
                     alt.Tooltip("series:N", title=" "),
                     alt.Tooltip("count:Q", title=vi("count"))],
        ).properties(height=height))


def share_floor(shares: Sequence[float | None], target: float | None) -> float:
    """Lower end of the on-time axis: 80 % or the next ten below the worst day, so a 96–99 %
    month does not look flat against a 0–100 axis."""
    low = min([v for v in shares if v is not None] + [(target or 1) * 100, 80.0])
    return max(0.0, float(int(low // 10) * 10))


def on_time_chart(grid: pl.DataFrame, target: float | None, height: int = 260) -> alt.Chart:
    data = grid.filter(pl.col("on_time_share_pct").is_not_null())
    floor = share_floor(data["on_time_share_pct"].to_list(), target)
    base = alt.Chart(data)
    line = base.mark_line(point=True, strokeWidth=3, color=GOOD).encode(
        x=alt.X("day:T", title=None, axis=alt.Axis(format="%d/%m", **_AXIS)),
        y=alt.Y("on_time_share_pct:Q", title=f"{vi('share')} (%)",
                scale=alt.Scale(domain=[floor, 100], clamp=True), axis=alt.Axis(**_AXIS)),
        tooltip=[alt.Tooltip("day:T", title=vi("day"), format="%d/%m/%Y"),
                 alt.Tooltip("on_time_share_pct:Q", title=f"{vi('share')} (%)",
                             format=".1f"),
                 alt.Tooltip("completed:Q", title=vi("completed_series"))])
    if target is None:
        return line.properties(height=height)
    rule = alt.Chart(pl.DataFrame({"target": [target * 100]})).mark_rule(
        color=BAD, strokeDash=[6, 4], strokeWidth=2).encode(y="target:Q")
    return (line + rule).properties(height=height)


def breakdown_chart(frame: pl.DataFrame, top: int = 15) -> alt.Chart:
    """Received per value (bars, most first), coloured by the on-time rate on the red→green
    scale of the map (95 % is the catalogue target)."""
    data = frame.head(top)
    return (
        alt.Chart(data).mark_bar()
        .encode(
            y=alt.Y("name:N", sort="-x", title=None,
                    axis=alt.Axis(labelLimit=200, labelFontSize=13)),
            x=alt.X("received:Q", title=vi("received_series"),
                    axis=alt.Axis(labelExpr=_VN_INT, tickMinStep=1, **_AXIS)),
            color=alt.Color("on_time_rate_pct:Q", title=f"{vi('share')} (%)",
                            scale=alt.Scale(domain=[80, 95, 100],
                                            range=[BAD, "#f5a623", GOOD], clamp=True),
                            legend=alt.Legend(orient="top", titleFontSize=12,
                                              gradientLength=160)),
            tooltip=[alt.Tooltip("name:N", title=" "),
                     alt.Tooltip("received:Q", title=vi("received_series")),
                     alt.Tooltip("on_time_rate_pct:Q", title=f"{vi('share')} (%)",
                                 format=".1f")],
        ).properties(height=alt.Step(26)))  # 26 px a bar: every label stays readable
