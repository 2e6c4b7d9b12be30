"""Lắng nghe mạng xã hội · Social listening, drawn: filters (window, platform, topic,
commune), the tiles with their change against the previous equal period and the model's
measured accuracy, volume by platform and the sentiment index over time, topics, rising
keywords, the map of places mentioned, the most engaged posts (relabelled by operators) and
the bursts firing now; every table with CSV and XLSX downloads."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime

import polars as pl
import streamlit as st

from ioc.alerts.text import area_names
from ioc.kpis.windows import WINDOW_LABELS, Period, resolve
from ioc.reference.admin_units import communes
from ioc.reference.calendar import TZ
from ioc.reference.catalogue import SOCIAL_TOPICS
from ioc.settings import Settings
from ioc.ui.components import (
    commune_deck,
    db_guard,
    get_engine,
    legend_html,
    province_label,
)
from ioc.ui.dossiers.sections import apply_css
from ioc.ui.dossiers.table_view import render_table, table_height
from ioc.ui.scoping import (
    OutOfScope,
    in_scope,
    picker_options,
    render_out_of_scope,
    scoped_commune,
)
from ioc.ui.session import current_identity
from ioc.ui.social import frames
from ioc.ui.social.bursts import bursts_frame
from ioc.ui.social.charts import sentiment_chart, topic_chart, volume_chart
from ioc.ui.social.labels import HEADERS, LABELS, PLATFORM_LABELS, both, platform_label, vi
from ioc.ui.social.loaders import load_buckets, load_firing, load_kpis, load_rule_names
from ioc.ui.social.model_info import ModelScore, model_caption, model_score, tile_note
from ioc.ui.social.places import place_points, places_legend
from ioc.ui.social.posts import render_keywords, render_posts
from ioc.ui.social.sections import section
from ioc.ui.social.tiles import board_html

WINDOWS = ("1h", "24h", "7d", "30d", "month")
KEY = {name: f"social_{name}" for name in ("window", "platform", "topic", "ward")}
MAP_HEIGHT = 420

# Tables scroll inside themselves and the two-column rows stack on a tablet held upright.
CSS = """<style>
.ioc-sboard .ioc-dgrid { grid-template-columns: repeat(5, minmax(0, 1fr)); }
@media (max-width: 1280px) { .ioc-sboard .ioc-dgrid {
  grid-template-columns: repeat(3, minmax(0, 1fr)); } }
@media (max-width: 800px) { .ioc-sboard .ioc-dgrid {
  grid-template-columns: repeat(2, minmax(0, 1fr)); } }
.ioc-smodel { font-size: .95rem; color: #37474f; margin: -.2rem 0 .4rem 0; }
</style>"""


def seed_from_url(ward_names: Mapping[str, str]) -> None:
    """The page's first run in a session: the URL decides the filters; afterwards the
    widgets do (and are mirrored back to the URL)."""
    if KEY["window"] in st.session_state:
        return
    allowed = {"window": WINDOWS, "platform": [p for p in PLATFORM_LABELS if p],
               "topic": SOCIAL_TOPICS, "ward": ward_names}
    start = frames.filters_from_params(st.query_params.to_dict(), allowed)
    st.session_state.update({KEY["window"]: start.window, KEY["platform"]: start.platform,
                             KEY["topic"]: start.topic, KEY["ward"]: start.ward})


def filter_bar(ward_names: Mapping[str, str]) -> frames.Filters:
    seed_from_url(ward_names)
    # No default=…: the session state seeded from the URL holds each widget's value.
    window = st.segmented_control(
        both("window"), options=list(WINDOWS), key=KEY["window"], required=True,
        format_func=lambda w: WINDOW_LABELS[w][0]) or "24h"
    cols = st.columns(3, gap="small")
    platform = cols[0].selectbox(
        both("platform"), ["", *(p for p in PLATFORM_LABELS if p)], key=KEY["platform"],
        format_func=lambda p: platform_label(p) if p else vi("all_platforms"))
    topic = cols[1].selectbox(
        both("topic"), ["", *SOCIAL_TOPICS], key=KEY["topic"],
        format_func=lambda t: t or vi("all_topics"))
    ward = cols[2].selectbox(  # a scoped user's communes only (ioc.ui.scoping)
        both("commune"), picker_options("commune", ["", *sorted(ward_names,
                                                               key=ward_names.__getitem__)],
                                        KEY["ward"]),
        key=KEY["ward"], format_func=lambda w: ward_names.get(w, w) if w else vi("all_communes"))
    f = frames.Filters(window, platform or "", topic or "", ward or "")
    params = frames.params_of(f)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    return f


def render_trends(now_b: pl.DataFrame, period: Period, tag: str, model_note: str) -> None:
    step = frames.step_of(period)
    volume = frames.volume_frame(now_b, period)
    senti = frames.sentiment_frame(now_b, period)
    left, right = st.columns(2, gap="medium")
    with left:
        section("volume")
        st.altair_chart(volume_chart(volume, step), width="stretch")
    with right:
        section("sentiment")
        st.altair_chart(sentiment_chart(senti, step), width="stretch")
        st.markdown(f'<div class="ioc-smodel" data-model="1">{html.escape(both("sentiment_hint"))}'
                    f" · {html.escape(model_note)}</div>", unsafe_allow_html=True)
    # The frames carry Vietnam wall-clock time for the charts; the tables are told so, or
    # they would shift it by 7 hours once more as if it were UTC.
    local = pl.col("period_start").dt.replace_time_zone(TZ.key)
    with st.expander(both("volume")):
        render_table(volume.filter(pl.col("posts") > 0).with_columns(local), "volume",
                     f"so-tin-theo-nen-tang_{tag}",
                     columns=["period_start", "platform_label", "posts"], headers=HEADERS,
                     height=table_height(volume.height, 8))
        render_table(senti.with_columns(local), "sentiment", f"chi-so-cam-xuc_{tag}",
                     headers=HEADERS, height=table_height(senti.height, 8))


def render_topics(now_b: pl.DataFrame, tag: str) -> None:
    section("topics")
    topics = frames.topic_frame(now_b)
    if topics.is_empty():
        st.caption(both("no_data"))
        return
    st.altair_chart(topic_chart(topics), width="stretch")
    render_table(topics, "topics", f"chu-de_{tag}", headers=HEADERS,
                 columns=["topic", "posts", "negative_share_pct", "sentiment_index",
                          "engagement"], height=table_height(topics.height, 6))


def render_places(now_b: pl.DataFrame, province: str, names: Mapping[str, str],
                  tag: str) -> None:
    section("places")
    places = frames.place_frame(now_b, names)
    points = place_points(communes(province), places)
    map_col, table_col = st.columns([3, 2], gap="medium")
    with map_col:
        st.pydeck_chart(commune_deck(points, "social.posts", MAP_HEIGHT), height=MAP_HEIGHT,
                        alt=vi("places"))
        st.markdown(legend_html(places_legend()) + f'<div class="ioc-smodel">{both("disc_size")}'
                    "</div>", unsafe_allow_html=True)
    with table_col:
        if places.is_empty():
            st.caption(both("no_data"))
        render_table(places, "places", f"dia-danh_{tag}", headers=HEADERS,
                     columns=["ward_name", "posts", "negative_share_pct", "engagement"],
                     height=table_height(places.height, 9), narrow=True)


def render_bursts(url: str, names: Mapping[str, str], tag: str, province: str) -> None:
    section("bursts")
    with db_guard():
        firing = [a for a in load_firing(url) if in_scope(a["scope"], province)]
        frame = bursts_frame(firing, load_rule_names(url), names)
        if frame.is_empty():
            st.caption(both("no_bursts"))
            return
        render_table(frame, "bursts", f"dot-bien_{tag}", headers=HEADERS,
                     columns=["severity", "rule_name", "message", "fired_at", "state"],
                     height=table_height(frame.height, 6))


def render_live(url: str, province: str, f: frames.Filters, score: ModelScore) -> None:
    """Tiles and trends: the window slides with the clock, so the period is taken anew on
    every (timed) run."""
    period = resolve(f.window, datetime.now(UTC))
    with db_guard():
        now_b = frames.filtered(load_buckets(url, province, period.start, period.end), f)
        section("kpis")
        kpis = load_kpis(url, f.scope(province), period.start, period.end)
        st.markdown(board_html(kpis, tile_note(score)), unsafe_allow_html=True)
        if now_b.is_empty():
            st.info(both("no_data"), icon=":material/hourglass_empty:")
        render_trends(now_b, period, f.tag(), model_caption(score))


def render_social(settings: Settings) -> None:
    url = settings.database_url
    province = settings.province_code
    # Tiles, trends and bursts rerun on their own (slower than the Overview's tiles: charts
    # redraw); the tables below, with the relabel form, change on interaction.
    every = max(30, settings.refresh_seconds * 6)
    apply_css()
    st.html(CSS)
    st.markdown(
        f'<div class="ioc-title">{html.escape(vi("title"))} · '
        f'{html.escape(province_label(province))}</div>'
        f'<div class="ioc-subtitle">{html.escape(vi("subtitle"))} · '
        f'{html.escape(LABELS["subtitle"][1])}</div>', unsafe_allow_html=True)
    names = area_names(province)
    ward_names = {c.code: c.name for c in communes(province)}
    f = filter_bar(ward_names)
    try:  # the commune of every read below is the user's (posts carry no agency)
        f = replace(f, ward=scoped_commune(province, f.ward))
    except OutOfScope:
        render_out_of_scope()
        return
    tag = f.tag()
    st.fragment(render_live, run_every=every)(url, province, f, model_score())
    period = resolve(f.window, datetime.now(UTC))
    with db_guard():
        now_b = frames.filtered(load_buckets(url, province, period.start, period.end), f)
        topics_col, keywords_col = st.columns(2, gap="medium")
        with topics_col:
            render_topics(now_b, tag)
        with keywords_col:
            render_keywords(url, province, f, period, tag)
        render_places(now_b, province, ward_names, tag)
        section("posts")
        render_posts(get_engine(url), url, province, f, period, tag, current_identity())
    st.fragment(render_bursts, run_every=every)(url, names, tag, province)
