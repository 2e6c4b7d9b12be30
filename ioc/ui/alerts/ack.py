"""Acknowledge tab of the Alerts page: pick a firing alert, say what is being done. The form
is shown to everyone; `ioc.alerts.store.acknowledge` checks the role on the server, and a
viewer or anonymous visitor who submits it gets the refusal spelled out."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st
from sqlalchemy import Engine

from ioc.alerts import store as alert_store
from ioc.alerts.text import SEVERITY_LABELS, alert_message
from ioc.auth import Identity, PermissionDenied
from ioc.i18n import bilingual
from ioc.ui.alerts.filters import AlertFilters
from ioc.ui.alerts.order import by_severity
from ioc.ui.scoping import in_scope

ACK_FLASH = "alerts_ack_flash"  # shown once after the rerun that clears the note
NOTE = "alerts_ack_note"


def render_ack(engine: Engine, identity: Identity | None, filters: AlertFilters,
               rule_names: Mapping[str, str], names: Mapping[str, str],
               province: str = "") -> None:
    firing = [r for r in alert_store.list_alerts(engine, open_only=True,
                                                 rule_id=filters.rule_id or None,
                                                 kind=filters.kind or None)
              if r["state"] == "firing" and in_scope(r["scope"], province)]
    st.caption(bilingual("Cán bộ vận hành trở lên xác nhận đã tiếp nhận xử lý; ghi chú bắt buộc",
                         "Operators and admins acknowledge; a note is required"))
    flash = st.session_state.pop(ACK_FLASH, None)
    if flash:
        st.success(flash)
        # Set before the widget exists: the browser would send the old text back otherwise.
        st.session_state[NOTE] = ""
    if not firing:
        st.info(bilingual("Không có cảnh báo nào đang chờ xác nhận",
                          "No firing alert to acknowledge"))
        return
    by_id = {r["alert_id"]: r for r in by_severity(firing)}

    def ack_choice(a: str) -> str:
        # The rule too: two rules on one KPI and scope give the same message.
        r = by_id[a]
        rule = r["rule_id"]
        named = f"{rule_names[rule]} ({rule})" if rule_names.get(rule) else rule
        return (f"{SEVERITY_LABELS.get(r['severity'], ('',))[0]} · {named} · "
                f"{alert_message(r, names)}")

    with st.form("alerts_ack_form", clear_on_submit=False):
        alert_id = st.selectbox(bilingual("Cảnh báo", "Alert"), list(by_id),
                                key="alerts_ack_id", format_func=ack_choice)
        note = st.text_area(bilingual("Ghi chú (đang làm gì)", "Note (what is being done)"),
                            key=NOTE, max_chars=1000)
        ack = st.form_submit_button(bilingual("Xác nhận", "Acknowledge"), type="primary")
    if ack:
        try:
            alert_store.acknowledge(engine, alert_id, identity, note)
        except PermissionDenied as exc:
            st.error(bilingual("Không có quyền xác nhận", "Not allowed to acknowledge")
                     + f": {exc}", icon=":material/lock:")
        except (ValueError, KeyError) as exc:
            st.error(bilingual("Không xác nhận được", "Cannot acknowledge")
                     + f": {str(exc).strip(chr(39))}", icon=":material/warning:")
        else:
            # The note is cleared on the rerun: the picker moves on to the next firing
            # alert, which must not be acknowledged with this one's note by a second click.
            st.session_state[ACK_FLASH] = (bilingual("Đã xác nhận", "Acknowledged")
                                           + f": {alert_id}")
            st.rerun()
