"""Altair charts of the Feedback page (received by channel over time, backlog by age), built
from the display frames. Pure, so the charts can be built without Streamlit."""

from __future__ import annotations

import altair as alt
import polars as pl

from ioc.ui.feedback.labels import vi
from ioc.ui.theme import BAD, GOOD, STREAM_COLORS, WARN

_VN_INT = "replace(format(datum.value, ',d'), regexp(',', 'g'), '.')"
_AXIS = {"labelFontSize": 13, "titleFontSize": 13}
# Age bands from young to old: green, the stream's blue, amber, red.
BAND_COLORS = (GOOD, STREAM_COLORS["feedback"], WARN, BAD)


def trend_every(hours: float) -> str:
    """Hourly buckets up to two days, daily beyond (a month of hours is unreadable)."""
    return "1h" if hours <= 48 else "1d"


def channel_chart(frame: pl.DataFrame, every: str, height: int = 280) -> alt.Chart:
    """Stacked bars of reports received per bucket, one colour per channel."""
    fmt = "%H:%M %d/%m" if every == "1h" else "%d/%m"
    unit = "yearmonthdatehours" if every == "1h" else "yearmonthdate"
    # Ordinal buckets: one full-width bar per hour or day (a time axis draws hairlines).
    return (
        alt.Chart(frame).mark_bar()
        .encode(
            x=alt.X(f"{unit}(bucket):O", title=None,
                    axis=alt.Axis(format=fmt, formatType="time", labelOverlap=True,
                                  labelAngle=0, **_AXIS)),
            y=alt.Y("sum(received):Q", title=vi("count"),
                    axis=alt.Axis(labelExpr=_VN_INT, tickMinStep=1, **_AXIS)),
            color=alt.Color("channel_name:N", title=None,
                            legend=alt.Legend(orient="top", labelFontSize=13, columns=4)),
            tooltip=[alt.Tooltip("bucket:T", title=vi("bucket"), format=f"{fmt}/%Y"),
                     alt.Tooltip("channel_name:N", title=" "),
                     alt.Tooltip("received:Q", title=vi("count"))],
        ).properties(height=height))


def backlog_chart(frame: pl.DataFrame, height: int = 220) -> alt.Chart:
    """Open reports per age band (working days since receipt), young to old."""
    bands = frame["band"].to_list()
    return (
        alt.Chart(frame).mark_bar()
        .encode(
            x=alt.X("band:N", sort=bands, title=None, axis=alt.Axis(labelAngle=0, **_AXIS)),
            y=alt.Y("count:Q", title=vi("count"),
                    axis=alt.Axis(labelExpr=_VN_INT, tickMinStep=1, **_AXIS)),
            color=alt.Color("band:N", sort=bands, legend=None,
                            scale=alt.Scale(domain=bands,
                                            range=list(BAND_COLORS[:len(bands)]))),
            tooltip=[alt.Tooltip("band:N", title=" "),
                     alt.Tooltip("count:Q", title=vi("count"))],
        ).properties(height=height))
