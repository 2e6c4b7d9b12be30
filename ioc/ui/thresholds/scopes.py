"""Phạm vi tài khoản · Account scopes, a section of the admin-only Thresholds page: each
account's scope (ioc.auth.scopes) and a form to set or clear one, the same change as
`ioc users set-scope` (validated there, logged with who made it). The write is checked on
the server (`require(identity, "user.manage")`) right before it happens."""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlalchemy import Engine

from ioc.auth import Identity, PermissionDenied, UserError, list_users, require, set_scope
from ioc.auth.scopes import describe
from ioc.i18n import bilingual

SAVED = "scope_saved"


def account_rows(users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"Tài khoản · Account": u["username"], "Vai trò · Role": u["role"],
             "Phạm vi · Scope": describe(u["scope"]),
             "Khóa · Disabled": bool(u["disabled"])} for u in users]


def render_scope_section(engine: Engine, identity: Identity | None) -> None:
    st.markdown(f"### {bilingual('Phạm vi tài khoản', 'Account scopes')}")
    st.caption(bilingual(
        "Tài khoản có phạm vi chỉ xem số liệu, danh sách và cảnh báo của xã/phường hoặc cơ "
        "quan đó trên mọi trang; bảng xếp hạng vẫn hiện điểm công khai của các xã.",
        "A scoped account sees only that commune's or agency's figures, lists and alerts on "
        "every page; rankings keep the published scores of every commune."))
    users = list_users(engine)
    st.dataframe(account_rows(users), hide_index=True, width="stretch", key="scope_accounts")
    with st.form("scope_form"):
        c1, c2 = st.columns([2, 5])
        name = c1.selectbox(bilingual("Tài khoản", "Account"),
                            [u["username"] for u in users], key="scope_user")
        scope = c2.text_input(
            bilingual("Phạm vi (để trống: toàn tỉnh)", "Scope (empty: the whole province)"),
            placeholder="commune:08494,commune:08497 · agency:SYT-25 · province:25",
            key="scope_text")
        submitted = st.form_submit_button(bilingual("Đặt phạm vi", "Set scope"),
                                          type="primary")
    if submitted and name:
        try:
            who = require(identity, "user.manage")
            stored = set_scope(engine, name, scope.strip() or None, by=f"ui:{who.username}")
        except PermissionDenied as exc:
            st.error(bilingual("Không có quyền", "Not allowed") + f": {exc}",
                     icon=":material/lock:")
        except UserError as exc:
            st.error(bilingual("Không lưu được", "Cannot save") + f": {exc}",
                     icon=":material/warning:")
        else:
            st.session_state[SAVED] = f"{name}: {describe(stored)}"
            st.rerun()
    saved = st.session_state.pop(SAVED, None)
    if saved:
        st.success(bilingual("Đã lưu", "Saved") + f": {saved}")
