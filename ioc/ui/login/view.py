"""Đăng nhập · Sign in, drawn: local accounts (ioc.auth), or the organisation's OpenID Connect
provider when IOC_AUTH=oidc. Signed in, the page says who and with which role, and signs out.

The password is read from the form once and handed to ioc.auth.authenticate; it is never
shown, logged or kept (the form clears itself on submit). A failed sign-in shows one generic
message whatever the cause, so the page does not tell which usernames exist.
"""

from __future__ import annotations

import math
import re

import streamlit as st
from sqlalchemy import Engine

from ioc.auth import Identity, LoginFailed
from ioc.i18n import bilingual
from ioc.settings import Settings
from ioc.ui.components import get_engine
from ioc.ui.nav import role_label
from ioc.ui.session import auth_mode, current_identity, sign_in, sign_out

FLASH_KEY = "login_flash"  # message to show once after the rerun that follows a sign-in/out
BAD = bilingual("Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password.")


def throttled_text(seconds: float) -> str:
    """The refusal of a throttled attempt, with the wait (the same for unknown usernames,
    so it tells nothing about accounts)."""
    secs = max(1, math.ceil(seconds))
    vi, en = (f"{secs} giây", f"{secs} s") if secs < 90 else (
        f"{math.ceil(secs / 60)} phút", f"{math.ceil(secs / 60)} min")
    return bilingual(f"Đăng nhập sai nhiều lần; vui lòng thử lại sau {vi}.",
                     f"Too many failed sign-ins; please try again later (in {en}).")


def md_escape(text: str) -> str:
    # OIDC names are emails: "_" or "*" must not turn into Markdown emphasis.
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~<>])", r"\\\1", text)


def render_signed_in(identity: Identity) -> None:
    st.markdown(
        f"{bilingual('Đang đăng nhập', 'Signed in as')}: **{md_escape(identity.username)}**  \n"
        f"{bilingual('Vai trò', 'Role')}: **{role_label(identity.role)}**")
    if st.button(bilingual("Đăng xuất", "Sign out"), key="login_sign_out", type="primary"):
        if identity.source == "oidc":
            st.logout()  # ends the provider session cookie; reruns by itself
        sign_out()
        st.session_state[FLASH_KEY] = bilingual("Đã đăng xuất", "Signed out")
        st.rerun()


def render_sign_in(engine: Engine) -> None:
    if auth_mode() == "oidc":
        if st.button(bilingual("Đăng nhập bằng tài khoản đơn vị (SSO)", "Sign in with SSO"),
                     key="login_oidc", type="primary"):
            st.login()
        st.caption(bilingual("Hoặc dùng tài khoản nội bộ", "Or use a local account"))
    with st.form("login_form", clear_on_submit=True):
        username = st.text_input(bilingual("Tên đăng nhập", "Username"), max_chars=64,
                                 key="login_username", autocomplete="username")
        password = st.text_input(bilingual("Mật khẩu", "Password"), type="password",
                                 max_chars=1024, key="login_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(bilingual("Đăng nhập", "Sign in"),
                                          type="primary", key="login_submit")
    if submitted:
        # The widget state would keep the password in server memory until the next run.
        st.session_state.pop("login_password", None)
        try:
            who = sign_in(engine, username, password)
        except LoginFailed as exc:
            # reason only picks between the two texts; both reveal nothing about accounts
            st.error(throttled_text(exc.retry_after) if exc.reason == "locked" else BAD)
        else:
            st.session_state[FLASH_KEY] = bilingual(
                f"Đã đăng nhập: {who.username}", f"Signed in as {who.username}")
            st.rerun()  # app.py rebuilds the menu for the new role


def render_login(settings: Settings) -> None:
    engine = get_engine(settings.database_url)
    identity = current_identity()

    # A <div>, as on the other pages: Streamlit's own `p` style would shrink a <p class=ioc-title>.
    st.markdown(f'<div class="ioc-title">{bilingual("Đăng nhập", "Sign in")}</div>',
                unsafe_allow_html=True)
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        st.success(flash)

    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        if identity is not None:
            render_signed_in(identity)
        else:
            render_sign_in(engine)
