"""Altair charts of the Social page (volume by platform, sentiment index, topics), built from
the frames of ioc.ui.social.frames. Pure, so they can be built without Streamlit."""

from __future__ import annotations

import altair as alt
import polars as pl

from ioc.ui.social.labels import vi
from ioc.ui.theme import BAD, GOOD, NEUTRAL, STREAM_COLORS

_VN_INT = "replace(format(datum.value, ',d'), regexp(',', 'g'), '.')"
_AXIS = {"labelFontSize": 13, "titleFontSize": 13}
# One colour per platform, the same in every chart of the page.
PLATFORM_COLORS = {"Báo chí": "#0b5cad", "Facebook": "#00897b", "Diễn đàn": "#d35400",
                   "YouTube": "#c62828", "TikTok": "#12263a", "Khác": "#7b3fb5",
                   "Không rõ": "#90a4ae"}


def _time_axis(step: str) -> alt.X:
    fmt = "%H:%M" if step == "1h" else "%d/%m"
    return alt.X("period_start:T", title=None, axis=alt.Axis(format=fmt, **_AXIS))


def _time_tooltip(step: str) -> alt.Tooltip:
    return alt.Tooltip("period_start:T", title=vi("window"),
                       format="%H:%M %d/%m/%Y" if step == "1h" else "%d/%m/%Y")


def volume_chart(frame: pl.DataFrame, step: str, height: int = 280) -> alt.Chart:
    """Posts per hour or day, stacked by platform."""
    present = [p for p in PLATFORM_COLORS if p in set(frame["platform_label"].to_list())]
    return (
        alt.Chart(frame).mark_bar()
        .encode(
            x=_time_axis(step),
            y=alt.Y("sum(posts):Q", title=vi("posts_axis"),
                    axis=alt.Axis(labelExpr=_VN_INT, tickMinStep=1, **_AXIS)),
            color=alt.Color("platform_label:N", title=None,
                            scale=alt.Scale(domain=present,
                                            range=[PLATFORM_COLORS[p] for p in present]),
                            legend=alt.Legend(orient="top", labelFontSize=14)),
            tooltip=[_time_tooltip(step), alt.Tooltip("platform_label:N", title=vi("platform")),
                     alt.Tooltip("posts:Q", title=vi("posts_axis"))],
        ).properties(height=height))


def sentiment_chart(frame: pl.DataFrame, step: str, height: int = 280) -> alt.Chart:
    """Sentiment index per hour or day on a fixed −1…+1 axis (steps without posts are gaps),
    with the zero line: above it more positive than negative posts."""
    data = frame.filter(pl.col("sentiment_index").is_not_null())
    line = alt.Chart(data).mark_line(point=True, strokeWidth=3,
                                     color=STREAM_COLORS["social"]).encode(
        x=_time_axis(step),
        y=alt.Y("sentiment_index:Q", title=vi("sentiment"),
                scale=alt.Scale(domain=[-1, 1]), axis=alt.Axis(format="+.1f", **_AXIS)),
        tooltip=[_time_tooltip(step),
                 alt.Tooltip("sentiment_index:Q", title=vi("sentiment"), format="+.2f"),
                 alt.Tooltip("negative_share_pct:Q", title=vi("negative_pct"), format=".1f"),
                 alt.Tooltip("posts:Q", title=vi("posts_axis"))])
    zero = alt.Chart(pl.DataFrame({"y": [0.0]})).mark_rule(
        color=NEUTRAL, strokeDash=[6, 4], strokeWidth=1.5).encode(y="y:Q")
    return (zero + line).properties(height=height)


def topic_chart(frame: pl.DataFrame, bar_step: int = 30) -> alt.Chart:
    """Posts per topic (busiest on top), each bar coloured by its sentiment index."""
    order = frame["topic"].to_list()
    return (
        alt.Chart(frame).mark_bar()
        .encode(
            y=alt.Y("topic:N", title=None, sort=order,
                    axis=alt.Axis(labelFontSize=14, labelLimit=220)),
            x=alt.X("posts:Q", title=vi("posts_axis"),
                    axis=alt.Axis(labelExpr=_VN_INT, tickMinStep=1, **_AXIS)),
            color=alt.Color("sentiment_index:Q", title=vi("sentiment"),
                            scale=alt.Scale(domain=[-1, 0, 1], range=[BAD, "#cfd8dc", GOOD]),
                            legend=alt.Legend(orient="top", format="+.1f")),
            tooltip=[alt.Tooltip("topic:N", title=vi("topic")),
                     alt.Tooltip("posts:Q", title=vi("posts_axis")),
                     alt.Tooltip("negative_share_pct:Q", title=vi("negative_pct"),
                                 format=".1f"),
                     alt.Tooltip("sentiment_index:Q", title=vi("sentiment"), format="+.2f")],
        ).properties(height=alt.Step(bar_step)))  # room for every topic's name
