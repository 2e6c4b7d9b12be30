"""Rendering components of the pages: KPI tiles, freshness badge, hourly trend, commune map.

Each component is split in two: a pure builder (HTML string, chart spec, rows for the map)
that the unit tests call directly, and a thin `render_*` function that hands it to Streamlit.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import altair as alt
import polars as pl
import pydeck as pdk
import streamlit as st
from pydeck.types import String
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ioc import i18n
from ioc.db.engine import make_engine
from ioc.i18n import bilingual, both, fmt_age, fmt_int, fmt_value, vi
from ioc.kpis.catalogue import BY_CODE
from ioc.kpis.freshness import Freshness, StreamFreshness, freshness
from ioc.kpis.values import KpiValue
from ioc.reference.admin_units import province
from ioc.reference.calendar import TZ
from ioc.ui.theme import (
    CSS,
    NEUTRAL,
    RAMP_COUNT,
    RAMP_GOOD_HIGH,
    STATUS_COLORS,
    STREAM_COLORS,
    css_rgb,
    ramp_color,
)

# KPIs commune_values() can put on the map, in the order of the selector.
MAP_KPIS: tuple[str, ...] = ("dossier.received", "dossier.online_rate", "dossier.completed",
                             "feedback.received", "social.posts", "social.negative_share")

# Tiles of the Overview, per stream (DESIGN.md §5 first version).
DOSSIER_TILES = ("dossier.received", "dossier.completed", "dossier.on_time_rate",
                 "dossier.overdue", "dossier.online_rate")
FEEDBACK_TILES = ("feedback.received", "feedback.open", "feedback.overdue_open")
SOCIAL_TILES = ("social.posts", "social.negative_share")

# Heights chosen so the whole Overview fits a 1920×1080 wall screen without scrolling.
MAP_HEIGHT = 360
TREND_HEIGHT = 340


# --- engine, theme, error guard ---------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def get_engine(url: str) -> Engine:
    """One engine (connection pool) per database URL for the whole server process."""
    return make_engine(url)


def apply_theme() -> None:
    # Style-only st.html goes to an event container, so it takes no room on the page.
    st.html(CSS)


@contextmanager
def db_guard() -> Iterator[None]:
    """A missing schema or an unreachable database shows a message (and the next refresh
    tries again) instead of a traceback on the wall screen."""
    try:
        yield
    except SQLAlchemyError as exc:
        st.error(f"**{both('db_error')}**\n\n`{str(exc).splitlines()[0][:300]}`",
                 icon=":material/database:")


def province_label(code: str) -> str:
    """'Tỉnh Phú Thọ' for a 2025 province code; the bare code when it is unknown."""
    try:
        return province(code).name
    except ValueError:
        return f"Tỉnh {code}"


def local_now(now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(TZ)


# --- KPI tiles --------------------------------------------------------------------------------

def tile_status(kv: KpiValue) -> str:
    """'good' | 'warn' | 'bad' | 'neutral': against the catalogue target for rates, zero is
    good for overdue backlogs, plain counts are neutral."""
    k = BY_CODE.get(kv.kpi)
    if k is None or kv.value is None:
        return "neutral"
    if kv.unit == "ratio" and k.target is not None:
        gap = (kv.value - k.target) if k.higher_is_better else (k.target - kv.value)
        return "good" if gap >= 0 else ("warn" if gap >= -0.10 else "bad")
    if kv.kpi in ("dossier.overdue", "feedback.overdue_open"):
        return "good" if kv.value == 0 else "bad"
    return "neutral"


def _tile_sub(kv: KpiValue, window: str) -> str:
    k = BY_CODE.get(kv.kpi)
    if kv.unit == "ratio":
        parts = [f"{fmt_int(kv.numerator)} / {fmt_int(kv.denominator)}"]
        if k is not None and k.target is not None:
            op = "≥" if k.higher_is_better else "≤"
            parts.append(f"{vi('target')} {op} {i18n.fmt_pct(k.target, 0)}")
        return " · ".join(parts)
    if kv.window == "now":
        return bilingual(vi("now"), i18n.en("now"))
    return f"{i18n.window_label(window)} qua"


def kpi_tile_html(kv: KpiValue, window: str, stream: str) -> str:
    status = tile_status(kv)
    accent = STATUS_COLORS[status] if status != "neutral" else STREAM_COLORS.get(stream, NEUTRAL)
    return (
        f'<div class="ioc-tile" data-kpi="{html.escape(kv.kpi)}" data-status="{status}" '
        f'style="--accent:{accent}">'
        f'<div class="lbl">{html.escape(kv.label_vi)}</div>'
        f'<div class="lbl-en">{html.escape(kv.label_en)}</div>'
        f'<div class="val">{html.escape(fmt_value(kv.value, kv.unit))}</div>'
        f'<div class="sub">{html.escape(_tile_sub(kv, window))}</div>'
        "</div>"
    )


def channel_tile_html(per_channel: Sequence[KpiValue]) -> str:
    """Feedback received per channel (rows carry by={'channel': ...}) as a two-column bar
    list; the tile spans two grid columns."""
    rows = sorted(per_channel, key=lambda r: (-(r.value or 0), r.by.get("channel", "")))
    top = max((r.value or 0 for r in rows), default=0) or 1
    items = "".join(
        f'<li data-channel="{html.escape(r.by.get("channel", ""))}">'
        f'<span class="name">{html.escape(i18n.channel_label(r.by.get("channel", "")))}</span>'
        f'<span class="bar" style="width:{max(4.0, 100 * (r.value or 0) / top):.0f}%"></span>'
        f'<span class="n">{fmt_int(r.value)}</span></li>'
        for r in rows
    ) or f'<li><span class="name">{vi("no_data")}</span></li>'
    return (
        f'<div class="ioc-tile wide" data-kpi="feedback.by_channel" '
        f'style="--accent:{STREAM_COLORS["feedback"]}">'
        f'<div class="lbl">{vi("by_channel")}</div>'
        f'<div class="lbl-en">{i18n.en("by_channel")}</div>'
        f'<ul class="ioc-channels" style="--rows:{max(1, math.ceil(len(rows) / 2))}">'
        f"{items}</ul></div>"
    )


def _group_html(stream: str, tiles: Iterable[str], cols: int) -> str:
    name_vi, name_en = i18n.STREAM_LABELS[stream]
    return (
        f'<section class="ioc-group" data-stream="{stream}" '
        f'style="--stream:{STREAM_COLORS[stream]}">'
        f'<div class="ioc-group-title">{html.escape(name_vi)} '
        f'<span class="en">· {html.escape(name_en)}</span></div>'
        f'<div class="ioc-grid" style="--cols:{cols}">{"".join(tiles)}</div></section>'
    )


def board_html(kpis: Sequence[KpiValue], window: str) -> str:
    """All Overview tiles as one HTML block: dossiers on a full row, feedback (with the
    per-channel breakdown) and social side by side; CSS wraps them on narrow screens."""
    totals = {k.kpi: k for k in kpis if not k.by}
    per_channel = [k for k in kpis if k.kpi == "feedback.received" and "channel" in k.by]

    def tiles(codes: Sequence[str], stream: str) -> list[str]:
        return [kpi_tile_html(totals[c], window, stream) for c in codes if c in totals]

    dossier = _group_html("dossier", tiles(DOSSIER_TILES, "dossier"), 5)
    feedback = _group_html(
        "feedback", [*tiles(FEEDBACK_TILES, "feedback"), channel_tile_html(per_channel)], 5)
    social = _group_html("social", tiles(SOCIAL_TILES, "social"), 2)
    return (f'<div class="ioc-board">{dossier}'
            f'<div class="ioc-row">{feedback}{social}</div></div>')


def is_empty(kpis: Sequence[KpiValue], fresh: Freshness | None) -> bool:
    """Nothing to show yet: no aggregator has ever reported and every count is zero."""
    no_counts = not any((k.value or 0) for k in kpis if k.unit == "count")
    return no_counts and (fresh is None or fresh.last_heartbeat is None)


# --- freshness --------------------------------------------------------------------------------

# The badge when the embedded broker is down or was just restarted (records are replayed).
BROKER_BADGE = {
    "down": ("Máy chủ Kafka ngừng", "Broker down"),
    "restarted": ("Máy chủ Kafka vừa khởi động lại", "Broker restarted"),
}


# Stream names as the freshness texts say them: "Luồng phản ánh (feedback) …".
STREAM_SHORT_VI = {"dossier": "hồ sơ", "feedback": "phản ánh", "social": "mạng xã hội"}


def at_local(t: datetime | None, fmt: str = "%H:%M:%S %d/%m") -> str:
    """A naive-UTC time from the database in Asia/Ho_Chi_Minh."""
    return local_now(t.replace(tzinfo=UTC)).strftime(fmt) if t else "?"


def stream_reason(s: StreamFreshness, now: datetime | None = None) -> str:
    """'Luồng phản ánh (feedback) mất dữ liệu từ 19:02 · stale since 19:02 — connector
    sim-feedback: <reason>' (the date too when it was not today, Hà Nội time)."""
    fmt = "%H:%M" if at_local(s.since, "%d/%m") == local_now(now).strftime("%d/%m") \
        else "%H:%M %d/%m"
    at = at_local(s.since, fmt)
    text = (f"Luồng {STREAM_SHORT_VI.get(s.stream, s.stream)} ({s.stream}) mất dữ liệu từ {at}"
            f" · stale since {at} — connector {s.connector}")
    return f"{text}: {s.last_error}" if s.last_error else text


def aggregator_is_stale(fr: Freshness) -> bool:
    """The aggregator itself is silent or behind (a Freshness built without the field: its
    `stale`)."""
    return fr.stale if fr.aggregator_stale is None else fr.aggregator_stale


def stale_reasons(fr: Freshness, now: datetime | None = None) -> list[str]:
    """Why the data is not live, each reason in both languages, the broker first, then the
    aggregator, then each stream whose connector stopped delivering: the one text the page
    badge and the wall strip both show (pure)."""
    reasons: list[str] = []
    if fr.broker in BROKER_BADGE:
        vi_text, en_text = BROKER_BADGE[fr.broker]
        at = at_local(fr.broker_since)
        reasons.append(f"{vi_text} · {en_text} từ · since {at} ({fr.broker_cause or '?'})")
    elif aggregator_is_stale(fr):
        if fr.last_heartbeat is None:
            reasons.append(bilingual("Chưa có bộ tổng hợp nào báo",
                                     "No aggregator has reported yet"))
        elif fr.instances == 0:
            at = at_local(fr.last_heartbeat)
            reasons.append(f"Bộ tổng hợp ngừng báo từ {at} ({fmt_age(fr.age_seconds)}) "
                           f"· Aggregator silent since {at}")
        else:
            reasons.append(f"Tồn đọng {fmt_int(fr.lag)} bản ghi chưa tổng hợp · "
                           f"{fmt_int(fr.lag)} records not aggregated")
    reasons += [stream_reason(s, now) for s in fr.stale_streams]
    return reasons


def load_freshness(engine: Engine, freshness_seconds: int) -> Freshness:
    """The freshness every screen shows (badge, wall strip, broker alarm): one threshold,
    IOC_FRESHNESS_SECONDS, for the aggregator and every stream."""
    return freshness(engine, freshness_seconds)


def freshness_html(fr: Freshness, now: datetime | None = None) -> str:
    """Green 'live' or red 'stale' badge, then the heartbeat age, the lag and the wall clock
    (the clock ticking on each refresh shows the screen itself is not frozen). A broker down
    or just restarted makes it red with its cause, whatever the aggregator's heartbeats say;
    a stream whose connector stopped is named with since when (`stale_reasons`, as the wall
    strip)."""
    state = "stale" if fr.stale else "live"
    title_vi, title_en = i18n.LABELS[state]
    streams = [stream_reason(s, now) for s in fr.stale_streams]
    if fr.broker in BROKER_BADGE:
        title_vi, title_en = BROKER_BADGE[fr.broker]
        since = fr.broker_since
        at = local_now(since.replace(tzinfo=UTC)).strftime("%H:%M:%S") if since else "?"
        detail = f"{at} · {fr.broker_cause or '?'}"
        if fr.broker == "restarted":
            detail += " · đang phát lại dữ liệu · replaying"
    elif fr.last_heartbeat is None:
        detail = vi("no_aggregator")
    else:
        detail = f"{vi('updated')} {fmt_age(fr.age_seconds)} {vi('ago')}"
        if fr.instances:  # lag is summed over live instances only: none live, no figure
            detail += f" · {vi('lag')} {fmt_int(fr.lag)} {vi('records')}"
        if fr.dead_letters:
            detail += f" · {fmt_int(fr.dead_letters)} {vi('dead_letters')}"
    detail = " · ".join([detail, *streams])
    clock = local_now(now).strftime("%H:%M:%S %d/%m/%Y")
    broker_attr = f' data-broker="{fr.broker}"' if fr.broker in BROKER_BADGE else ""
    names = " ".join(s.stream for s in fr.stale_streams)
    stream_attr = f' data-stale-streams="{html.escape(names)}"' if names else ""
    return (
        f'<div class="ioc-status" data-freshness="{state}"{broker_attr}{stream_attr}>'
        f'<span class="ioc-badge {state}" title="{html.escape(title_en)}">'
        f'<span class="dot"></span>{html.escape(title_vi)}</span>'
        f'<span class="ioc-status-detail">{html.escape(detail)}</span>'
        f'<span class="ioc-clock">{html.escape(vi("updated").capitalize())} lúc {clock}</span>'
        "</div>"
    )


# --- hourly trend -----------------------------------------------------------------------------

def trend_frame(series: pl.DataFrame, hours: int = 48, now: datetime | None = None
                ) -> pl.DataFrame:
    """Complete hour × stream grid (missing hours are zero, so lines do not bridge gaps), with
    the hour as naive Vietnam wall-clock time: the browser then shows it as it is."""
    end = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None, minute=0, second=0,
                                                             microsecond=0)
    grid_hours = [end - timedelta(hours=h) for h in range(hours - 1, -1, -1)]
    grid = pl.DataFrame({"hour": grid_hours}).cast({"hour": pl.Datetime("us")}).join(
        pl.DataFrame({"stream": list(STREAM_COLORS)}), how="cross")
    data = series.select(pl.col("hour").cast(pl.Datetime("us")), "stream",
                         pl.col("count").cast(pl.Int64))
    labels = {k: v[0] for k, v in i18n.STREAM_LABELS.items()}
    offset = local_now(now).utcoffset() or timedelta(0)
    return (grid.join(data, on=["hour", "stream"], how="left")
            .with_columns(pl.col("count").fill_null(0),
                          (pl.col("hour") + offset).alias("hour"),
                          pl.col("stream").replace_strict(labels).alias("stream_label"))
            .sort("stream", "hour"))


def trend_chart(frame: pl.DataFrame, height: int = TREND_HEIGHT) -> alt.Chart:
    labels = [i18n.STREAM_LABELS[s][0] for s in STREAM_COLORS]
    # Vega formats 12,345; swap the marks for Vietnamese.
    vn_int = "replace(format(datum.value, ',d'), regexp(',', 'g'), '.')"
    return (
        alt.Chart(frame)
        .mark_line(strokeWidth=3, interpolate="monotone")
        .encode(
            x=alt.X("hour:T", title=None,
                    axis=alt.Axis(format="%H:%M", labelFontSize=14, tickCount=12,
                                  labelExpr="hours(datum.value) == 0 ? "
                                            "timeFormat(datum.value, '%d/%m') : "
                                            "timeFormat(datum.value, '%H:%M')")),
            y=alt.Y("count:Q", title=both("count"),
                    axis=alt.Axis(labelExpr=vn_int, labelFontSize=14, titleFontSize=14,
                                  tickMinStep=1)),
            color=alt.Color("stream_label:N", title=None,
                            scale=alt.Scale(domain=labels, range=list(STREAM_COLORS.values())),
                            legend=alt.Legend(orient="top", labelFontSize=15, symbolSize=200,
                                              symbolStrokeWidth=4)),
            tooltip=[alt.Tooltip("stream_label:N", title=vi("stream")),
                     alt.Tooltip("hour:T", title=vi("hour"), format="%H:%M %d/%m/%Y"),
                     alt.Tooltip("count:Q", title=vi("count"))],
        )
        .properties(height=height)
    )


# --- commune map ------------------------------------------------------------------------------

@dataclass(frozen=True)
class MapLegend:
    kpi: str
    low: str
    high: str
    gradient: str  # CSS linear-gradient


def _ramp_for(kpi: str) -> tuple[tuple[int, int, int], ...]:
    k = BY_CODE[kpi]
    if k.unit != "ratio":
        return RAMP_COUNT
    # Rates: green is good whichever way "good" points.
    return RAMP_GOOD_HIGH if k.higher_is_better else tuple(reversed(RAMP_GOOD_HIGH))


def map_points(communes: Sequence[Any], values: dict[str, float], kpi: str
               ) -> tuple[list[dict[str, Any]], MapLegend]:
    """One point per commune of the province (communes without data in grey), with radius
    from the commune's area and colour from its value on the KPI's ramp."""
    k = BY_CODE[kpi]
    ramp = _ramp_for(kpi)
    finite = [v for v in values.values() if v is not None and math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 0.0)
    points = []
    for c in communes:
        v = values.get(c.code)
        has = v is not None and math.isfinite(v)
        t = ((v - lo) / (hi - lo) if hi > lo else 1.0) if has else None
        area = c.area_km2 or 20.0
        points.append({
            "code": c.code, "name": c.name, "lat": c.lat, "lon": c.lon,
            # Radius of a disc with the commune's area, shrunk so neighbours rarely overlap.
            "radius": round(math.sqrt(area / math.pi) * 1000 * 0.75),
            "value": v if has else None,
            "value_text": fmt_value(v, k.unit) if has else vi("no_value"),
            "color": ramp_color(t, ramp),
        })
    # Draw communes with data last so grey dots never hide them.
    points.sort(key=lambda p: p["value"] is not None)
    stops = ", ".join(css_rgb(ramp_color(i / 4, ramp)) for i in range(5))
    legend = MapLegend(kpi, fmt_value(lo, k.unit) if finite else "—",
                       fmt_value(hi, k.unit) if finite else "—",
                       f"linear-gradient(90deg, {stops})")
    return points, legend


def _trimmed_range(xs: Sequence[float]) -> tuple[float, float]:
    """Min and max without the outermost 2 % on each side: far islands (Hoàng Sa, Trường Sa
    special zones) would otherwise shrink the mainland to a dot."""
    xs = sorted(xs)
    k = int(len(xs) * 0.02)
    return xs[k], xs[len(xs) - 1 - k]


def view_for(points: Sequence[dict[str, Any]], height: int) -> pdk.ViewState:
    """Centre and zoom that fit the province's communes into a square of `height` pixels
    (the map is at least that wide on every screen we target)."""
    if not points:
        return pdk.ViewState(latitude=16.0, longitude=106.0, zoom=4.5)
    lat_lo, lat_hi = _trimmed_range([p["lat"] for p in points])
    lon_lo, lon_hi = _trimmed_range([p["lon"] for p in points])
    mid_lat = (lat_lo + lat_hi) / 2
    # deck.gl's Web Mercator: 512·2^z px per 360° of longitude; a degree of latitude is
    # 1/cos(lat) times longer. 1.1 leaves a margin for the discs' radii.
    span = max(lon_hi - lon_lo, (lat_hi - lat_lo) / math.cos(math.radians(mid_lat)), 0.05)
    zoom = math.log2(360 * height / (512 * span * 1.1))
    return pdk.ViewState(latitude=mid_lat, longitude=(lon_lo + lon_hi) / 2,
                         zoom=round(min(max(zoom, 4.5), 12), 2), pitch=0, bearing=0)


def spread_labels(ranked: Sequence[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """The first n points (by rank) whose labels do not crowd a better-ranked one: a point
    within 1/10 of the province's extent of a kept point is skipped. (deck.gl's
    CollisionFilterExtension does this on the GPU but failed under software WebGL.)"""
    if not ranked:
        return []
    lats = [p["lat"] for p in ranked]
    lons = [p["lon"] for p in ranked]
    gap = max(max(lats) - min(lats), max(lons) - min(lons), 0.05) / 10
    kept: list[dict[str, Any]] = []
    for p in ranked:
        if all(abs(p["lat"] - q["lat"]) > gap / 2 or abs(p["lon"] - q["lon"]) > gap
               for q in kept):
            kept.append(p)
            if len(kept) == n:
                break
    return kept


def _short_name(name: str) -> str:
    for prefix in ("Phường ", "Xã ", "Đặc khu "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def commune_deck(points: Sequence[dict[str, Any]], kpi: str, height: int = MAP_HEIGHT,
                 top_labels: int = 6) -> pdk.Deck:
    """Deck with NO basemap: map_provider=None makes pydeck send the '__MAP_STYLE__'
    placeholder, which Streamlit's frontend reads as 'no base map' and so loads no tiles.
    (map_style=None or "" would make Streamlit fall back to Carto's tile server.)"""
    k = BY_CODE[kpi]
    layer = pdk.Layer(
        "ScatterplotLayer",
        data=list(points),
        id="communes",
        get_position="[lon, lat]",
        get_radius="radius",
        get_fill_color="color",
        get_line_color=[255, 255, 255, 230],
        line_width_min_pixels=1,
        stroked=True,
        radius_min_pixels=3,
        pickable=True,
        auto_highlight=True,
    )
    # Names of the communes with the highest values, so the map reads without a basemap.
    ranked = sorted((p for p in points if p["value"] is not None), key=lambda p: -p["value"])
    label_rows = [{**p, "label": _short_name(p["name"])}
                  for p in spread_labels(ranked, top_labels)]
    labels = pdk.Layer(
        "TextLayer",
        data=label_rows,
        id="labels",
        get_position="[lon, lat]",
        get_text="label",
        get_size=15,
        get_color=[18, 38, 58, 255],
        get_pixel_offset=[0, -16],
        # pydeck turns plain strings into expressions (functions in the browser); String()
        # keeps them literal. The default character set is ASCII: Vietnamese letters would
        # vanish, "auto" takes them from the data.
        character_set=String("auto"),
        font_family=String('"Source Sans", "Source Sans Pro", sans-serif'),
        font_weight=600,
        outline_width=3,
        outline_color=[255, 255, 255, 255],
        font_settings={"sdf": True},
    )
    tooltip = {
        "html": f"<b>{{name}}</b><br/>{html.escape(k.label_vi)}: <b>{{value_text}}</b>",
        "style": {"fontSize": "15px", "backgroundColor": "#12263a", "color": "#fff"},
    }
    return pdk.Deck(layers=[layer, labels], initial_view_state=view_for(points, height),
                    map_provider=None, tooltip=tooltip)


def legend_html(legend: MapLegend) -> str:
    k = BY_CODE[legend.kpi]
    return (
        f'<div class="ioc-legend" data-legend="{legend.kpi}">'
        f'<span>{html.escape(k.label_vi)}:</span><span>{html.escape(legend.low)}</span>'
        f'<span class="ramp" style="background:{legend.gradient}"></span>'
        f'<span>{html.escape(legend.high)}</span>'
        f'<span class="nodata"></span><span>{vi("no_value")}</span></div>'
    )


# --- Streamlit renderers ----------------------------------------------------------------------

def section_title_html(key: str) -> str:
    vi_text, en_text = i18n.LABELS[key]
    return (f'<div class="ioc-section-title">{html.escape(vi_text)} '
            f'<span class="en">· {html.escape(en_text)}</span></div>')


def render_title(province_code: str) -> None:
    st.markdown(
        f'<div class="ioc-title">{vi("overview")} · {html.escape(province_label(province_code))}'
        f'</div><div class="ioc-subtitle">{both("app")}</div>',
        unsafe_allow_html=True,
    )


def render_freshness(fr: Freshness) -> None:
    st.markdown(freshness_html(fr), unsafe_allow_html=True)


def render_board(kpis: Sequence[KpiValue], window: str) -> None:
    st.markdown(board_html(kpis, window), unsafe_allow_html=True)


def render_empty() -> None:
    st.info(f"**{both('no_data')}**\n\n{vi('no_data_hint')}\n\n*{i18n.en('no_data_hint')}*",
            icon=":material/hourglass_empty:")


def render_trend(series: pl.DataFrame) -> None:
    st.markdown(section_title_html("trend"), unsafe_allow_html=True)
    if series.is_empty():
        st.caption(both("trend_empty"))
        return
    st.altair_chart(trend_chart(trend_frame(series)), width="stretch")


def render_map(communes: Sequence[Any], values: pl.DataFrame, kpi: str,
               height: int = MAP_HEIGHT) -> None:
    vals = {r["ward_code"]: r["value"] for r in values.iter_rows(named=True)}
    points, legend = map_points(communes, vals, kpi)
    if not vals:
        st.caption(both("map_empty"))
    st.pydeck_chart(commune_deck(points, kpi, height), height=height,
                    alt=f"{vi('map')}: {BY_CODE[kpi].label_vi}")
    st.markdown(legend_html(legend), unsafe_allow_html=True)



def render_broker_alarm(engine: Engine, freshness_seconds: int) -> None:
    """On every page: while the broker is down or replaying after a restart, the red badge
    with its cause (pages without a freshness badge would hide it). Drawn inside the alert
    banner's refreshing fragment, so it comes and goes without a click."""
    with db_guard():
        fr = load_freshness(engine, freshness_seconds)
        if fr.broker in BROKER_BADGE:
            render_freshness(fr)
