"""Section headings of the Social page (Vietnamese first, English after a dot)."""

from __future__ import annotations

import html

import streamlit as st

from ioc.ui.social.labels import LABELS


def section(key: str) -> None:
    vi_text, en_text = LABELS[key]
    st.markdown(f'<div class="ioc-section-title" data-section="{key}">{html.escape(vi_text)} '
                f'<span class="en">· {html.escape(en_text)}</span></div>',
                unsafe_allow_html=True)
