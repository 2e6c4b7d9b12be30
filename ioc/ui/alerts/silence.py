"""Silence tab of the Alerts page: mute the notifications of matching alerts for a while, and
the silences in force. `ioc.alerts.store.add_silence` checks the role on the server."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta

import streamlit as st
from sqlalchemy import Engine

from ioc.alerts import store as alert_store
from ioc.alerts.text import local_time
from ioc.auth import Identity, PermissionDenied
from ioc.i18n import bilingual
from ioc.reference.calendar import TZ
from ioc.ui.scoping import in_scope
from ioc.ui.session import current_scope

STAMP = "%d/%m/%Y %H:%M"


def render_silence(engine: Engine, identity: Identity | None,
                   rule_names: Mapping[str, str], province: str = "") -> None:
    st.caption(bilingual(
        "Tạm ẩn chỉ tắt thông báo (webhook, e-mail) của cảnh báo khớp; cảnh báo vẫn được đánh "
        "giá và vẫn hiện trên màn hình. Giờ theo giờ Việt Nam.",
        "A silence mutes notifications of matching alerts only; they are still evaluated and "
        "shown. Times are Vietnam time."))
    now_local = datetime.now(TZ).replace(second=0, microsecond=0)
    with st.form("alerts_silence_form"):
        s_rule = st.selectbox(bilingual("Quy tắc", "Rule"), ["", *sorted(rule_names)],
                              key="alerts_silence_rule",
                              format_func=lambda r: bilingual("Mọi quy tắc", "Any rule")
                              if not r else f"{rule_names.get(r, r)} ({r})")
        s_scope = st.text_input(bilingual("Phạm vi bắt đầu bằng", "Scope prefix"),
                                key="alerts_silence_scope",
                                placeholder="province:25,commune:04792 — để trống = mọi phạm vi")
        c1, c2, c3, c4 = st.columns(4)
        d_from = c1.date_input(bilingual("Từ ngày", "From"), now_local.date(),
                               format="DD/MM/YYYY", key="alerts_silence_from_d")
        t_from = c2.time_input(bilingual("giờ", "time"), now_local.time(),
                               key="alerts_silence_from_t")
        until = now_local + timedelta(hours=2)
        d_to = c3.date_input(bilingual("Đến ngày", "To"), until.date(), format="DD/MM/YYYY",
                             key="alerts_silence_to_d")
        t_to = c4.time_input(bilingual("giờ", "time"), until.time(), key="alerts_silence_to_t")
        reason = st.text_input(bilingual("Lý do", "Reason"), key="alerts_silence_reason")
        add = st.form_submit_button(bilingual("Tạm ẩn", "Add silence"))
    if add:
        starts = datetime.combine(d_from, t_from or time(0), tzinfo=TZ).astimezone(UTC)
        ends = datetime.combine(d_to, t_to or time(0), tzinfo=TZ).astimezone(UTC)
        try:
            sid = alert_store.add_silence(engine, identity, starts, ends, reason,
                                          rule_id=s_rule or None, scope_prefix=s_scope.strip())
        except PermissionDenied as exc:
            st.error(bilingual("Không có quyền tạm ẩn", "Not allowed to silence")
                     + f": {exc}", icon=":material/lock:")
        except ValueError as exc:
            st.error(bilingual("Không tạm ẩn được", "Cannot add the silence") + f": {exc}",
                     icon=":material/warning:")
        else:
            st.success(bilingual("Đã tạm ẩn", "Silence added") + f": {sid}")
    with engine.connect() as conn:
        active = alert_store.active_silences(conn, alert_store.utcnow())
    if current_scope() is not None:  # a scoped account: silences of its scope and rules only
        active = [s for s in active
                  if (not s.rule_id or s.rule_id in rule_names)
                  and (not s.scope_prefix or in_scope(s.scope_prefix, province))]
    if active:
        st.markdown(f"**{bilingual('Đang tạm ẩn', 'Active silences')}**")
        st.dataframe([{"Quy tắc · Rule": s.rule_id or bilingual("Mọi", "Any"),
                       "Phạm vi · Scope": s.scope_prefix or bilingual("Mọi", "Any"),
                       "Từ · From": local_time(s.starts_at, STAMP),
                       "Đến · To": local_time(s.ends_at, STAMP),
                       "Lý do · Reason": s.reason, "Người tạo · By": s.created_by}
                      for s in active], hide_index=True, width="stretch")
