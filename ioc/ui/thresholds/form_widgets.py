"""The Thresholds page's rule form: its widgets, filled from a stored rule (or the defaults of
a new one), read back as `FormValues` for the pure parsing in ioc.ui.thresholds.form."""

from __future__ import annotations

import streamlit as st

from ioc.alerts.rules import COMPARATORS, RULE_WINDOWS, SEVERITIES, Rule
from ioc.alerts.text import severity_label, window_text
from ioc.i18n import bilingual
from ioc.kpis.catalogue import BY_CODE, CATALOGUE
from ioc.reference.admin_units import communes
from ioc.ui.components import province_label
from ioc.ui.thresholds.form import (
    FormValues,
    burst_params,
    email_text,
    scope_parts,
    shown_number,
)
from ioc.ui.thresholds.labels import COMPARATOR_LABELS, KIND_LABELS, TARGET_LABELS, TARGETS


def rule_form(base: Rule, editing: bool, suffix: str, province: str
              ) -> tuple[bool, FormValues]:
    """Draw the form with `base`'s values; (submitted, values). `suffix` names the widget set:
    one per rule version, so its defaults are that version's values."""
    parts = scope_parts(base.scope)
    commune_list = communes(province)
    commune_codes = ["", *[c.code for c in commune_list]]
    commune_names = {c.code: c.name for c in commune_list}
    if parts.get("commune") and parts["commune"] not in commune_names:
        commune_codes.append(parts["commune"])
    kpi_codes = [k.code for k in CATALOGUE]

    heading = bilingual("Sửa quy tắc", "Edit rule") if editing else \
        bilingual("Quy tắc mới", "New rule")
    st.markdown(f"#### {heading}")
    with st.form(f"thr_form_{suffix}"):
        c1, c2 = st.columns([1, 2])
        rule_id = c1.text_input(bilingual("Mã quy tắc", "Rule id"), base.rule_id,
                                key=f"thr_rule_id_{suffix}", disabled=editing,
                                help="a-z 0-9 . _ -")
        name = c2.text_input(bilingual("Tên", "Name"), base.name, key=f"thr_name_{suffix}")
        kind = st.radio(bilingual("Loại quy tắc", "Rule kind"), list(KIND_LABELS),
                        index=list(KIND_LABELS).index(base.kind), horizontal=True,
                        key=f"thr_kind_{suffix}", format_func=KIND_LABELS.get)
        kpi = st.selectbox(bilingual("Chỉ số", "KPI"), kpi_codes,
                           index=kpi_codes.index(base.kpi) if base.kpi in kpi_codes else 0,
                           key=f"thr_kpi_{suffix}",
                           format_func=lambda c: f"{BY_CODE[c].label_vi} · "
                                                 f"{BY_CODE[c].label_en} ({c})")
        st.caption(bilingual(f"Phạm vi: {province_label(province)}, thu hẹp theo xã/phường, "
                             "cơ quan, thủ tục nếu chọn",
                             "Scope: the province, narrowed by commune, agency and procedure "
                             "when given"))
        s1, s2, s3 = st.columns(3)
        commune = s1.selectbox(bilingual("Xã/phường", "Commune"), commune_codes,
                               index=commune_codes.index(parts.get("commune", "")),
                               key=f"thr_commune_{suffix}",
                               format_func=lambda c: commune_names.get(c, c) if c
                               else bilingual("Toàn tỉnh", "Whole province"))
        agency = s2.text_input(bilingual("Mã cơ quan", "Agency code"), parts.get("agency", ""),
                               key=f"thr_agency_{suffix}")
        procedure = s3.text_input(bilingual("Mã thủ tục", "Procedure code"),
                                  parts.get("procedure", ""), key=f"thr_procedure_{suffix}")
        w1, w2, w3 = st.columns(3)
        window = w1.selectbox(bilingual("Khoảng thời gian", "Window"), list(RULE_WINDOWS),
                              index=list(RULE_WINDOWS).index(base.window),
                              key=f"thr_window_{suffix}", format_func=window_text)
        comparator = w2.selectbox(bilingual("So sánh", "Comparator"), list(COMPARATORS),
                                  index=list(COMPARATORS).index(base.comparator),
                                  key=f"thr_comparator_{suffix}",
                                  format_func=lambda c: COMPARATOR_LABELS.get(c, c))
        threshold = w3.text_input(
            bilingual("Ngưỡng", "Threshold"), shown_number(base.threshold, base.kpi),
            key=f"thr_threshold_{suffix}",
            help="Chỉ số tỷ lệ nhập theo %: 95 nghĩa là 95 % (lưu 0,95). "
                 "Ratios are entered in %: 95 means 95 % (stored as 0.95).")
        h1, h2, h3 = st.columns(3)
        pending = h1.number_input(bilingual("Chờ (phút)", "Pending (minutes)"), min_value=0,
                                  max_value=10080, value=base.pending_minutes, step=5,
                                  key=f"thr_pending_{suffix}")
        hysteresis = h2.text_input(bilingual("Độ trễ hồi phục", "Hysteresis"),
                                   shown_number(base.hysteresis, base.kpi),
                                   key=f"thr_hysteresis_{suffix}",
                                   help="Cùng đơn vị với ngưỡng (% với tỷ lệ). "
                                        "Same unit as the threshold (% for ratios).")
        severity = h3.selectbox(bilingual("Mức độ", "Severity"), list(SEVERITIES),
                                index=list(SEVERITIES).index(base.severity),
                                key=f"thr_severity_{suffix}", format_func=severity_label)
        with st.expander(bilingual("Tham số đột biến (chỉ cho loại Đột biến)",
                                   "Burst parameters (burst rules only)"),
                         expanded=base.kind == "burst"):
            st.caption(bilingual(
                "Số đếm của khoảng (thường là giờ hiện tại) so với cùng khung giờ của các tuần "
                "trước; cảnh báo khi vượt max(số tối thiểu, ngưỡng, hệ số × trung bình).",
                "The window's count (usually the current hour) against the same hour of the "
                "previous weeks; fires above max(min count, threshold, factor × mean)."))
            p1, p2, p3 = st.columns(3)
            params = burst_params(base)
            weeks = p1.number_input(bilingual("Số tuần so sánh", "Baseline weeks"), 1, 52,
                                    int(params["baseline_weeks"]), key=f"thr_weeks_{suffix}")
            min_count = p2.number_input(bilingual("Số tối thiểu", "Min count"), 0, 100000,
                                        int(params["min_count"]), key=f"thr_min_{suffix}")
            factor = p3.number_input(bilingual("Hệ số", "Factor"), 1.0, 100.0,
                                     float(params["factor"]), step=0.5,
                                     key=f"thr_factor_{suffix}")
        t1, t2 = st.columns([1, 1])
        channels = t1.multiselect(bilingual("Gửi tới", "Targets"), list(TARGETS),
                                  default=[t for t in base.targets if t in TARGETS],
                                  key=f"thr_targets_{suffix}",
                                  format_func=lambda t: TARGET_LABELS.get(t, t))
        emails = t2.text_input(bilingual("E-mail (cách nhau bởi dấu phẩy)",
                                         "E-mail addresses (comma-separated)"),
                               email_text(base.targets), key=f"thr_emails_{suffix}")
        enabled = st.checkbox(bilingual("Bật", "Enabled"), base.enabled,
                              key=f"thr_enabled_{suffix}")
        st.caption(bilingual("Tỷ lệ (%) được đổi sang 0..1 khi lưu.",
                             "Ratios entered as % are converted to 0..1 when saved."))
        check = st.form_submit_button(bilingual("Kiểm tra và chạy thử 30 ngày",
                                                "Validate and backtest 30 days"),
                                      type="primary")
    values = FormValues(
        rule_id=rule_id, name=name, kind=kind, kpi=kpi, commune=commune, agency=agency,
        procedure=procedure, window=window, comparator=comparator, threshold=threshold,
        pending_minutes=pending, hysteresis=hysteresis, severity=severity, channels=channels,
        emails=emails, enabled=enabled, baseline_weeks=weeks, min_count=min_count,
        factor=factor)
    return check, values
