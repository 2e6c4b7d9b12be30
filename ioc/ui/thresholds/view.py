"""Cấu hình ngưỡng · Thresholds, drawn: the stored rules, a picker, the form to create or edit
one, its 30-day backtest before it is saved, enable/disable, and the picked rule's audit trail.
"""

from __future__ import annotations

import html

import streamlit as st
from sqlalchemy import Engine

from ioc.alerts import rule_store
from ioc.alerts.text import area_names
from ioc.auth import Identity
from ioc.i18n import bilingual
from ioc.settings import Settings
from ioc.ui.components import db_guard, get_engine, province_label
from ioc.ui.thresholds.actions import candidate_panel, toggle_row, validate
from ioc.ui.thresholds.form import new_rule
from ioc.ui.thresholds.form_widgets import rule_form
from ioc.ui.thresholds.keys import CANDIDATE, CANDIDATE_FOR, NEW, PICK, PICK_NEXT
from ioc.ui.thresholds.scopes import render_scope_section
from ioc.ui.thresholds.sla import render_sla_section
from ioc.ui.thresholds.tables import audit_rows, rules_frame


def render_title(province: str, identity: Identity | None) -> None:
    st.markdown(f'<div class="ioc-title">{bilingual("Cấu hình ngưỡng", "Thresholds")}</div>'
                f'<div class="ioc-subtitle">{html.escape(province_label(province))} · '
                f'{bilingual("chỉ quản trị viên được thay đổi", "admins only may change rules")}'
                "</div>", unsafe_allow_html=True)
    if identity is None:
        st.caption(bilingual("Chưa đăng nhập: mọi thay đổi sẽ bị từ chối",
                             "Not signed in: every change will be refused"))


def rule_picker(by_id: dict[str, rule_store.StoredRule]) -> str:
    """The picked rule id, or NEW; a candidate validated for another choice is dropped."""
    if PICK_NEXT in st.session_state:  # set by a save, before the picker exists
        st.session_state[PICK] = st.session_state.pop(PICK_NEXT)
    pick = st.selectbox(bilingual("Quy tắc", "Rule"), [NEW, *by_id], key=PICK,
                        format_func=lambda r: bilingual("+ Quy tắc mới", "New rule") if not r
                        else f"{by_id[r].rule.name} ({r})")
    if st.session_state.get(CANDIDATE_FOR) != pick:
        st.session_state.pop(CANDIDATE, None)  # another rule picked: its candidate is stale
    return pick


def render_audit_trail(engine: Engine, rule_id: str) -> None:
    st.markdown(f"#### {bilingual('Nhật ký thay đổi', 'Audit trail')}")
    rows = audit_rows(rule_store.audit_trail(engine, rule_id))
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch", key="thr_audit")
    else:
        st.caption(bilingual("Chưa có thay đổi", "No changes recorded"))


def render_thresholds(settings: Settings, identity: Identity | None) -> None:
    """The whole page for the signed-in `identity` (None: every write is refused)."""
    engine = get_engine(settings.database_url)
    province = settings.province_code
    names = area_names(province)
    render_title(province, identity)
    with db_guard():
        stored = rule_store.list_stored(engine)
        by_id = {sr.rule.rule_id: sr for sr in stored}
        if stored:
            st.dataframe(rules_frame(stored, names).to_pandas(), hide_index=True,
                         width="stretch", key="thr_rules")
        else:
            st.info(bilingual("Chưa có quy tắc nào", "No rules yet"))

        pick = rule_picker(by_id)
        current = by_id[pick].rule if pick else None
        if current is not None:
            toggle_row(engine, by_id[pick], identity)

        # A widget set per rule version: its defaults are that version's values.
        suffix = f"{pick}-{by_id[pick].version}" if pick else "new"
        check, values = rule_form(current or new_rule(province), current is not None, suffix,
                                  province)
        if check:
            validate(values, province, pick, current)
        candidate_panel(engine, identity, set(by_id), current)

        if current is not None:
            render_audit_trail(engine, current.rule_id)
        render_sla_section(engine, identity)
        render_scope_section(engine, identity)
