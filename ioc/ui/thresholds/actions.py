"""What the Thresholds page writes: enable/disable a rule, validate the form into a candidate,
save the candidate. Every write is checked on the server (`ioc.auth.require`) right before it
happens: the menu shows the page to admins only, but a forged request or a session whose role
changed is still refused here."""

from __future__ import annotations

import html

import streamlit as st
from sqlalchemy import Engine

from ioc.alerts import rule_store
from ioc.alerts.rules import Rule, RuleError
from ioc.alerts.text import fmt_kpi, kpi_label
from ioc.auth import Identity, PermissionDenied, require
from ioc.i18n import bilingual
from ioc.ui.thresholds.backtest import show_backtest
from ioc.ui.thresholds.form import FormValues, errors_text, is_ratio, parse_form
from ioc.ui.thresholds.keys import BACKTEST, CANDIDATE, CANDIDATE_FOR, PICK_NEXT, SAVED


def toggle_row(engine: Engine, stored: rule_store.StoredRule, identity: Identity | None
               ) -> None:
    """The picked rule's state and version, with a button that disables or enables it."""
    current = stored.rule
    state = bilingual("đang bật", "enabled") if current.enabled \
        else bilingual("đang tắt", "disabled")
    c_state, c_button = st.columns([3, 2], vertical_alignment="center")
    c_state.markdown(f"**{html.escape(current.rule_id)}** · {state} · "
                     f"{bilingual('phiên bản', 'version')} {stored.version}")
    toggle = c_button.button(bilingual("Tắt quy tắc", "Disable") if current.enabled
                             else bilingual("Bật quy tắc", "Enable"), key="thr_toggle")
    if toggle:
        try:
            who = require(identity, "rule.disable")
            rule_store.set_enabled(engine, current.rule_id, not current.enabled, who)
        except PermissionDenied as exc:
            st.error(bilingual("Không có quyền", "Not allowed") + f": {exc}",
                     icon=":material/lock:")
        except rule_store.RuleNotFound as exc:
            st.error(str(exc))
        else:
            st.rerun()


def validate(values: FormValues, province: str, pick: str, current: Rule | None) -> None:
    """The submitted form becomes the candidate (kept for the Save click), or the errors are
    shown naming each bad field."""
    st.session_state.pop(BACKTEST, None)  # validating again backtests on fresh data
    try:
        candidate = parse_form(values, province,
                               current.rule_id if current is not None else None)
    except RuleError as exc:
        st.session_state.pop(CANDIDATE, None)
        st.error(errors_text(exc.errors, is_ratio(values.kpi)), icon=":material/warning:")
    else:
        st.session_state[CANDIDATE] = candidate
        st.session_state[CANDIDATE_FOR] = pick


def candidate_panel(engine: Engine, identity: Identity | None, stored_ids: set[str],
                    current: Rule | None) -> None:
    """The validated candidate, its backtest and the Save button; then what the last save
    did (shown once, after the rerun that follows it)."""
    candidate: Rule | None = st.session_state.get(CANDIDATE)
    if candidate is not None:
        st.success(bilingual("Quy tắc hợp lệ", "The rule is valid") + f": {candidate.rule_id} "
                   f"· {kpi_label(candidate.kpi)} {candidate.comparator} "
                   f"{fmt_kpi(candidate.threshold, candidate.kpi)}")
        show_backtest(engine, candidate)
        if st.button(bilingual("Lưu quy tắc", "Save rule"), type="primary", key="thr_save"):
            action = "rule.edit" if candidate.rule_id in stored_ids else "rule.create"
            try:
                who = require(identity, action)
                result = rule_store.save_rule(engine, candidate, who,
                                              create_only=current is None)
            except PermissionDenied as exc:
                st.error(bilingual("Không có quyền lưu", "Not allowed to save") + f": {exc}",
                         icon=":material/lock:")
            except (RuleError, rule_store.RuleExists) as exc:
                st.error(bilingual("Không lưu được", "Cannot save") + f": {exc}",
                         icon=":material/warning:")
            else:
                st.session_state.pop(CANDIDATE, None)
                st.session_state[SAVED] = (candidate.rule_id, result)
                st.session_state[PICK_NEXT] = candidate.rule_id
                st.rerun()
    saved = st.session_state.pop(SAVED, None)
    if saved:
        st.success(bilingual("Đã lưu", "Saved") + f": {saved[0]} ({saved[1]})")
