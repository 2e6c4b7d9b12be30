"""Thời hạn xử lý phản ánh · Feedback SLA, a section of the Thresholds page: the rules in force
per category (and agency), their history (the append-only table is the audit trail) and a form
to add a version. The write is checked on the server (`require(identity, "sla.edit")`) right
before it happens; validation is ioc.feedback.sla's (the same as `ioc sla set`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from ioc.alerts.text import local_time
from ioc.auth import Identity, PermissionDenied, require
from ioc.feedback.sla import CATEGORY_NAMES, MAX_DAYS, MIN_DAYS, SlaRule
from ioc.feedback.sla_store import history, load_policy, set_rule
from ioc.i18n import bilingual
from ioc.reference.calendar import TZ
from ioc.reference.catalogue import DEFAULT_FEEDBACK_SLA_DAYS
from ioc.ui.thresholds.tables import STAMP

SAVED = "sla_saved"


def rule_rows(rules: Sequence[SlaRule]) -> list[dict[str, Any]]:
    return [{"Lĩnh vực · Category": r.category,
             "Cơ quan · Agency": r.agency_code or bilingual("mọi cơ quan", "any"),
             "Ngày làm việc · Working days": r.days,
             "Áp dụng từ · From": local_time(r.valid_from, STAMP),
             "Người đặt · Set by": r.set_by, "Lúc · At": local_time(r.set_at, STAMP),
             "Lý do · Reason": r.reason} for r in rules]


def render_sla_section(engine: Engine, identity: Identity | None) -> None:
    st.markdown(f"### {bilingual('Thời hạn xử lý phản ánh', 'Feedback SLA')}")
    st.caption(bilingual(
        f"Hạn xử lý được ấn định khi tiếp nhận; thay đổi chỉ áp dụng cho phản ánh tiếp nhận từ "
        f"ngày áp dụng, phản ánh đang mở giữ hạn cũ. Mặc định {DEFAULT_FEEDBACK_SLA_DAYS:g} "
        "ngày làm việc.",
        "The deadline is fixed at receipt: a change applies to reports received from its "
        "start; open reports keep theirs. Default "
        f"{DEFAULT_FEEDBACK_SLA_DAYS:g} working days."))
    in_force = load_policy(engine).in_force(datetime.now(UTC))
    st.dataframe(rule_rows(in_force), hide_index=True, width="stretch", key="sla_in_force")
    with st.expander(bilingual("Lịch sử thay đổi", "History of changes")):
        st.dataframe(rule_rows(history(engine)), hide_index=True, width="stretch",
                     key="sla_history")
    with st.form("sla_form"):
        c1, c2, c3 = st.columns([3, 2, 2])
        category = c1.selectbox(bilingual("Lĩnh vực", "Category"), CATEGORY_NAMES,
                                key="sla_category")
        agency = c2.text_input(bilingual("Mã cơ quan (để trống: mọi cơ quan)",
                                         "Agency code (empty: any)"), key="sla_agency")
        days = c3.number_input(bilingual("Số ngày làm việc", "Working days"),
                               min_value=MIN_DAYS, max_value=MAX_DAYS, value=3.0, step=0.5,
                               key="sla_days")
        c4, c5 = st.columns([2, 5])
        start = c4.date_input(bilingual("Áp dụng từ", "From"),
                              value=datetime.now(TZ).date(), format="DD/MM/YYYY",
                              key="sla_from")
        reason = c5.text_input(bilingual("Lý do", "Reason"), key="sla_reason")
        submitted = st.form_submit_button(bilingual("Đặt thời hạn", "Set SLA"), type="primary")
    if submitted:
        try:
            who = require(identity, "sla.edit")
            rule = set_rule(engine, category, float(days), who.username, agency.strip(),
                            start, reason)
        except PermissionDenied as exc:
            st.error(bilingual("Không có quyền", "Not allowed") + f": {exc}")
        except ValueError as exc:
            st.error(bilingual("Không lưu được", "Cannot save") + f": {exc}")
        else:
            st.session_state[SAVED] = f"{rule.category} · {rule.agency_code or '*'} · " \
                                      f"{rule.days:g}"
            st.rerun()
    saved = st.session_state.pop(SAVED, None)
    if saved:
        st.success(bilingual("Đã lưu", "Saved") + f": {saved}")
