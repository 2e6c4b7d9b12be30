"""The Alerts page's filter bar: state, kind, severity and rule. The list, the acknowledge
picker and the history all follow it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

from ioc.alerts.rules import SEVERITIES
from ioc.alerts.text import severity_label
from ioc.i18n import bilingual


@dataclass(frozen=True)
class AlertFilters:
    state: str  # "open" | "all"
    kind: str  # "" (all) | "rule" | "reminder"
    severity: str  # "" (all) or a severity
    rule_id: str  # "" (all) or a rule id

    @property
    def open_only(self) -> bool:
        return self.state == "open"


def filter_bar(rule_names: Mapping[str, str]) -> AlertFilters:
    # Two rows of filters: four in one row cut the segmented labels on a 1024 px tablet.
    c_state, c_kind = st.columns(2, vertical_alignment="bottom")
    c_sev, c_rule = st.columns([1, 2], vertical_alignment="bottom")
    # Deadline reminders are one episode per agency: dozens on a bad day. Operators look at
    # the rules ops staff set apart from them.
    kind = c_kind.segmented_control(
        bilingual("Loại", "Kind"), options=["", "rule", "reminder"], default="",
        key="alerts_kind", width="stretch",
        format_func=lambda v: {"": bilingual("Tất cả", "All"),
                               "rule": bilingual("Quy tắc", "Rules"),
                               "reminder": bilingual("Nhắc hạn", "Reminders")}[v]) or ""
    state = c_state.segmented_control(
        bilingual("Trạng thái", "State"), options=["open", "all"], default="open",
        required=True, key="alerts_state", width="stretch",
        format_func=lambda v: bilingual("Đang mở", "Open") if v == "open"
        else bilingual("Tất cả", "All")) or "open"
    severity = c_sev.selectbox(bilingual("Mức độ", "Severity"), ["", *SEVERITIES],
                               key="alerts_severity",
                               format_func=lambda s: bilingual("Tất cả", "All") if not s
                               else severity_label(s))
    rule_id = c_rule.selectbox(bilingual("Quy tắc", "Rule"), ["", *sorted(rule_names)],
                               key="alerts_rule",
                               format_func=lambda r: bilingual("Tất cả", "All") if not r
                               else f"{rule_names.get(r, r)} ({r})")
    return AlertFilters(state=state, kind=kind, severity=severity, rule_id=rule_id)
