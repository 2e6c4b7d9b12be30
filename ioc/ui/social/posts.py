"""Rising keywords and the most engaged posts, with the operators' relabel action: pick a
post, pick the right label, confirm; the post then counts under that label (buckets moved by
ioc.social.corrections.relabel, which writes the audit row). Viewers see no control, and the
permission is checked again on the server before anything is written."""

from __future__ import annotations

import polars as pl
import streamlit as st
from sqlalchemy import Engine

from ioc.auth import Identity, PermissionDenied, require
from ioc.exports import local_times
from ioc.i18n import DASH
from ioc.kpis.windows import Period
from ioc.social.corrections import relabel
from ioc.social.sentiment import LABELS as SENTIMENT_CLASSES
from ioc.ui.dossiers.table_view import download_buttons, render_table, table_height
from ioc.ui.social.frames import Filters, platform_label_expr
from ioc.ui.social.labels import HEADERS, KEYWORD_HEADERS, both, sentiment_label, vi
from ioc.ui.social.loaders import clear_cached_reads, load_keywords, load_posts
from ioc.ui.social.sections import section

POSTS_SHOWN = 50
KEYWORDS_SHOWN = 20
FLASH = "social_relabel_flash"  # shown once, after the rerun that redraws the labels
ACTION = "sentiment.relabel"


def render_keywords(url: str, province: str, f: Filters, period: Period, tag: str) -> None:
    """Terms of the window against the previous period (ioc.kpis.social_values: score =
    log2((posts + 1) / (expected + 1)), expected = the previous count scaled by the change
    in volume, at least 3 posts)."""
    section("keywords")
    words = load_keywords(url, f.scope(province), period.start, period.end, KEYWORDS_SHOWN)
    if words.is_empty():
        st.caption(both("no_keywords"))
        return
    render_table(words, "keywords", f"tu-khoa-tang-nhanh_{tag}", headers=KEYWORD_HEADERS,
                 columns=["term", "posts", "previous_posts", "score"],
                 height=table_height(words.height, 12))


def posts_frame(posts: pl.DataFrame) -> pl.DataFrame:
    """The table as shown and exported: labels in words, a correction marked."""
    label = pl.col("label").replace_strict(
        {k: sentiment_label(k) for k in SENTIMENT_CLASSES}, default=pl.col("label"))
    corrected = pl.col("model_label").is_not_null() & (pl.col("label") != pl.col("model_label"))
    return posts.select(
        "published_at", platform_label_expr(), "source", "title", "text", "url",
        pl.when(corrected).then(pl.concat_str([label, pl.lit(" (đã sửa · corrected)")]))
        .otherwise(label).alias("sentiment_label"),
        "engagement", "topic", "post_id", "label")


def _choice(posts: pl.DataFrame, post_id: str) -> str:
    row = posts.filter(pl.col("post_id") == post_id).row(0, named=True)
    text = (row["title"] or row["text"] or post_id).strip()
    text = text if len(text) <= 90 else text[:89] + "…"
    return f"{text} · {sentiment_label(row['label'])}"


def render_relabel(engine: Engine, posts: pl.DataFrame, identity: Identity) -> None:
    with st.form("social_relabel_form", clear_on_submit=False, border=True):
        st.markdown(f"**{both('relabel')}**")
        cols = st.columns([3, 1], gap="small", vertical_alignment="bottom")
        post_id = cols[0].selectbox(both("relabel_post"), posts["post_id"].to_list(),
                                    key="social_relabel_post",
                                    format_func=lambda pid: _choice(posts, pid))
        label = cols[1].selectbox(both("relabel_label"), list(SENTIMENT_CLASSES),
                                  key="social_relabel_label", format_func=sentiment_label)
        confirm = st.checkbox(both("relabel_confirm"), key="social_relabel_confirm")
        save = st.form_submit_button(both("relabel_save"), type="primary")
    if not save:
        return
    if not confirm:
        st.warning(both("relabel_need_confirm"))
        return
    try:
        who = require(identity, ACTION)
        audit = relabel(engine, post_id, label, who.username)
    except PermissionDenied as exc:
        st.error(f"{both('relabel_denied')}: {exc}")
        return
    except ValueError as exc:
        st.error(f"{both('relabel')}: {exc}")
        return
    clear_cached_reads()  # tiles, charts and the list must show the post under its new label
    st.session_state[FLASH] = (f"{both('relabel_done')}: {audit['post_id']} · "
                               f"{sentiment_label(audit['old_label'] or '')} → "
                               f"{sentiment_label(label)}")
    st.rerun()


def render_posts(engine: Engine, url: str, province: str, f: Filters, period: Period,
                 tag: str, identity: Identity | None) -> None:
    posts = load_posts(url, province, period.start, period.end, POSTS_SHOWN, f.platform,
                       f.topic, f.ward)
    flash = st.session_state.pop(FLASH, None)
    if flash:
        st.success(flash)
    if posts.is_empty():
        st.caption(both("no_data"))
        return
    frame = posts_frame(posts)
    st.dataframe(
        local_times(frame), hide_index=True, placeholder=DASH, width="stretch",
        key="social_posts_table",
        height=table_height(frame.height, 10),
        column_order=["published_at", "platform_label", "source", "title", "text",
                      "sentiment_label", "engagement", "url"],
        column_config={
            "published_at": st.column_config.DatetimeColumn(HEADERS["published_at"],
                                                            format="DD/MM HH:mm"),
            "platform_label": st.column_config.TextColumn(HEADERS["platform"]),
            "source": st.column_config.TextColumn(HEADERS["source"]),
            "title": st.column_config.TextColumn(HEADERS["title"], width="medium"),
            "text": st.column_config.TextColumn(HEADERS["text"], width="large"),
            "sentiment_label": st.column_config.TextColumn(HEADERS["sentiment_label"]),
            # "localized": the browser's vi-VN marks (1.148), as the other tables print.
            "engagement": st.column_config.NumberColumn(HEADERS["engagement"],
                                                        format="localized"),
            "url": st.column_config.LinkColumn(HEADERS["url"], display_text=vi("open_link")),
        })
    download_buttons(frame.drop("label"), "posts", f"tin-bai-tuong-tac-nhieu_{tag}", HEADERS)
    if identity is not None and identity.can(ACTION):
        render_relabel(engine, posts, identity)
