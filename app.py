"""Streamlit entry script: page config, theme, and the navigation built from the user's role.

Run with `ioc ui` (it starts Streamlit through ioc/ui/serve.py; see why there). Pages live in
pages/; st.navigation decides which of them exist, so Streamlit's automatic pages/ discovery
never adds its own menu.
"""

from __future__ import annotations

import streamlit as st

from ioc.settings import load_settings
from ioc.ui.components import apply_theme, province_label
from ioc.ui.nav import current_role, pages_for

settings = load_settings()
st.set_page_config(
    layout="wide",
    page_title=f"IOC {province_label(settings.province_code)}",
    # No page_icon: a material icon favicon would be fetched from fonts.gstatic.com, and
    # IOC rooms are often offline; Streamlit's own favicon is served locally.
    initial_sidebar_state="collapsed",
)
apply_theme()

# position="top": no sidebar eating width on wall screens and tablets.
page = st.navigation(pages_for(current_role()), position="top")
page.run()
