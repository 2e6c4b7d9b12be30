"""Streamlit entry script: page config, theme, who is signed in, and the navigation built from
that identity's role (or the anonymous role, IOC_ANONYMOUS_ROLE).

Run with `ioc ui` (it starts Streamlit through ioc/ui/serve.py; see why there). Pages live in
pages/; st.navigation decides which of them exist, so Streamlit's automatic pages/ discovery
never adds its own menu, and a URL to a page outside the role's menu opens the default page.
"""

from __future__ import annotations

import streamlit as st

from ioc.i18n import bilingual
from ioc.settings import load_settings
from ioc.ui.alerts.banner import render_alert_banner
from ioc.ui.components import apply_theme, get_engine, province_label, render_broker_alarm
from ioc.ui.nav import LOGIN, pages_for, role_label
from ioc.ui.session import anonymous_role, refresh_identity
from ioc.ui.startup import start_process
from ioc.ui.wall.kiosk import run_page, wall_state

# Top-right of the header bar, left of Streamlit's ⋮ menu; fixed so it takes no page height.
# The top menu stops short of it (it is at most 24rem wide, 15rem on tablets; a longer name
# ends in "…"): otherwise, on a 1024 px tablet, the menu's "N more" button (the pages that do
# not fit) lay under it and could not be clicked.
ACCOUNT_CSS = """<style>
.st-key-ioc_account { position: fixed; top: .8rem; right: 3.6rem; z-index: 999991;
  width: auto !important; }
.st-key-ioc_account, .st-key-ioc_account a { max-width: 24rem; }
.st-key-ioc_account a { background: #fff; border: 1px solid #b0bec5; border-radius: 999px;
  padding: .1rem .85rem; }
.st-key-ioc_account a p { font-size: .95rem; font-weight: 600; color: #12263a;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
header [data-testid="stTopNav"] { max-width: calc(100vw - 3.6rem - 24rem - 1.5rem); }
@media (max-width: 1280px) {
  .st-key-ioc_account, .st-key-ioc_account a { max-width: 15rem; }
  header [data-testid="stTopNav"] { max-width: calc(100vw - 3.6rem - 15rem - 1.5rem); }
}
</style>"""

# Once per UI process, before its first draw: page modules imported, start-up objects
# frozen out of the collector's full passes (ioc/startup_gc.py).
start_process()
settings = load_settings()
st.set_page_config(
    layout="wide",
    page_title=f"IOC {province_label(settings.province_code)}",
    # No page_icon: a material icon favicon would be fetched from fonts.gstatic.com, and
    # IOC rooms are often offline; Streamlit's own favicon is served locally.
    initial_sidebar_state="collapsed",
)
apply_theme()

# Re-read the account each run: a disabled user or a changed role applies at the next click.
identity = refresh_identity(get_engine(settings.database_url))
# A wall screen (?kiosk=1, or /wall?playlist=…&key=… with a valid playlist token) gets the
# viewer's pages even where sign-in is required, and no menu (ioc.ui.wall.kiosk).
wall = wall_state(get_engine(settings.database_url))
role = identity.role if identity is not None else (wall.role or anonymous_role())

# position="top": no sidebar eating width on wall screens and tablets.
page = st.navigation(pages_for(role), position="hidden" if wall.kiosk else "top")

if page.url_path != LOGIN.url_path and not wall.kiosk:
    st.html(ACCOUNT_CSS)
    with st.container(key="ioc_account"):
        if identity is not None:
            st.page_link(LOGIN.path, icon=":material/person:",
                         label=f"{identity.username} · {bilingual('Đăng xuất', 'Sign out')}",
                         help=role_label(identity.role))
        else:
            st.page_link(LOGIN.path, icon=":material/login:",
                         label=bilingual("Đăng nhập", "Sign in"))
# Every page, the wall screen's first: what is firing now (own refreshing fragment).
# Every page: a broker down or replaying is said in red with its cause, in the banner's
# refreshing fragment (Overview and Dossiers also carry it in their own freshness badge).
engine = get_engine(settings.database_url)
render_alert_banner(engine, also=lambda: render_broker_alarm(engine, settings.freshness_seconds))
run_page(page, wall, engine, settings)  # kiosk: wall strip, rotation, errors as reconnecting
