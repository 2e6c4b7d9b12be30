"""Cảnh báo · Alerts, drawn: the filters, the live list, then tabs to acknowledge, silence and
read the history. The tabs follow the filters' rule and kind."""

from __future__ import annotations

import html

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ioc.alerts.rule_store import list_stored
from ioc.alerts.text import area_names
from ioc.auth import Identity
from ioc.i18n import bilingual
from ioc.settings import Settings
from ioc.ui.alerts.ack import render_ack
from ioc.ui.alerts.filters import filter_bar
from ioc.ui.alerts.history import render_history
from ioc.ui.alerts.list_view import render_live_list
from ioc.ui.alerts.silence import render_silence
from ioc.ui.components import db_guard, get_engine, province_label
from ioc.ui.scoping import in_scope


def rule_names(engine: Engine, province: str | None = None) -> dict[str, str]:
    """{rule id: name}; {} while the database cannot say (db_guard reports that below).
    With `province`: only the rules inside the signed-in user's scope (ioc.ui.scoping; a
    scoped account's filter and silence pickers must not list other communes' rules)."""
    try:
        return {sr.rule.rule_id: sr.rule.name for sr in list_stored(engine)
                if province is None or in_scope(sr.rule.scope, province)}
    except SQLAlchemyError:
        return {}


def render_alerts(settings: Settings, identity: Identity | None) -> None:
    engine = get_engine(settings.database_url)
    names = area_names(settings.province_code)
    st.markdown(f'<div class="ioc-title">{bilingual("Cảnh báo", "Alerts")}</div>'
                f'<div class="ioc-subtitle">{html.escape(province_label(settings.province_code))}'
                "</div>", unsafe_allow_html=True)

    with db_guard():
        rules = rule_names(engine, settings.province_code)
        filters = filter_bar(rules)
        render_live_list(engine, filters, rules, names, settings.refresh_seconds,
                         settings.province_code)

    tab_ack, tab_silence, tab_history = st.tabs([
        bilingual("Xác nhận", "Acknowledge"), bilingual("Tạm ẩn thông báo", "Silence"),
        bilingual("Lịch sử", "History")])
    with tab_ack, db_guard():
        render_ack(engine, identity, filters, rules, names, settings.province_code)
    with tab_silence, db_guard():
        render_silence(engine, identity, rules, settings.province_code)
    with tab_history, db_guard():
        render_history(engine, filters, settings.province_code)
