"""Cấu hình ngưỡng · Thresholds: the alert rules, a form to create or edit one (validated by
`ioc.alerts.rules.parse_rule`, whose messages name the field), a 30-day backtest of the candidate
before it is saved, enable/disable, and each rule's audit trail.

Every write is checked on the server (`ioc.auth.require`) right before it happens: the menu
shows this page to admins only, but a forged request or a session whose role changed is still
refused here.
"""

from __future__ import annotations

import html
import re
from typing import Any

import polars as pl
import streamlit as st

from ioc.alerts import rule_store
from ioc.alerts.rules import COMPARATORS, RULE_WINDOWS, SEVERITIES, Rule, RuleError, parse_rule
from ioc.auth import PermissionDenied, require
from ioc.i18n import bilingual
from ioc.kpis.catalogue import BY_CODE, CATALOGUE, parse_scope
from ioc.reference.admin_units import communes
from ioc.settings import load_settings
from ioc.ui import components as ui
from ioc.ui.alerts import view as av
from ioc.ui.dossiers.filters import scope_of

settings = load_settings()
engine = ui.get_engine(settings.database_url)
province = settings.province_code
names = av.area_names(province)
identity = av.current_identity()
NEW = ""  # the rule picker's "new rule" choice
CANDIDATE = "thr_candidate"  # validated rule waiting to be saved (after its backtest)
BACKTEST = "thr_backtest"  # (rule, result) shown: the Save click's rerun does not redo it
COMPARATOR_LABELS = {">": "> lớn hơn", ">=": "≥ từ … trở lên", "<": "< nhỏ hơn",
                     "<=": "≤ từ … trở xuống"}
AUDIT_ACTIONS = {"create": ("Tạo mới", "create"), "update": ("Sửa", "update"),
                 "enable": ("Bật", "enable"), "disable": ("Tắt", "disable"),
                 "import": ("Nhập từ tệp", "import")}
TARGETS = ("banner", "webhook")
TARGET_LABELS = {"banner": "Băng cảnh báo trên màn hình · Banner", "webhook": "Webhook"}
KIND_LABELS = {"threshold": "Ngưỡng cố định · Fixed threshold",
               "burst": "Đột biến so với các tuần trước · Burst against previous weeks"}
BURST_DEFAULTS = {"baseline_weeks": 4, "min_count": 5, "factor": 3.0}

st.markdown(f'<div class="ioc-title">{bilingual("Cấu hình ngưỡng", "Thresholds")}</div>'
            f'<div class="ioc-subtitle">{html.escape(ui.province_label(province))} · '
            f'{bilingual("chỉ quản trị viên được thay đổi", "admins only may change rules")}'
            "</div>", unsafe_allow_html=True)
if identity is None:
    st.caption(bilingual("Chưa đăng nhập: mọi thay đổi sẽ bị từ chối",
                         "Not signed in: every change will be refused"))


def number(text: str, ratio: bool) -> Any:
    """'95,5' / '95.5 %' → 95.5 (÷100 for a ratio KPI); anything else is handed to parse_rule
    as typed, so its message ("threshold: must be a number, got 'abc'") names the field."""
    raw = (text or "").strip().replace("%", "").replace(" ", "").replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d+)?", raw):
        return text.strip() if text and text.strip() else None
    value = float(raw)
    return value / 100 if ratio else value


def shown_number(value: float, kpi: str) -> str:
    v = value * 100 if BY_CODE.get(kpi) and BY_CODE[kpi].unit == "ratio" else value
    return f"{v:g}".replace(".", ",")


def rules_frame(stored: list[rule_store.StoredRule]) -> pl.DataFrame:
    rows = [{"Mã · Id": sr.rule.rule_id, "Tên · Name": sr.rule.name,
             "Chỉ số · KPI": av.kpi_label(sr.rule.kpi),
             "Phạm vi · Scope": av.scope_text(sr.rule.scope, names),
             "Khoảng · Window": av.window_text(sr.rule.window),
             "Điều kiện · Condition": f"{sr.rule.comparator} "
                                      f"{av.fmt_kpi(sr.rule.threshold, sr.rule.kpi)}",
             "Mức độ · Severity": av.severity_label(sr.rule.severity),
             "Bật · Enabled": sr.rule.enabled, "Phiên bản · Version": sr.version,
             "Sửa lúc · Updated": av.local_time(sr.updated_at, "%d/%m/%Y %H:%M"),
             "Người sửa · By": sr.updated_by} for sr in stored]
    return pl.DataFrame(rows)


def scope_parts(scope: str) -> dict[str, str]:
    try:
        cols = parse_scope(scope)
    except ValueError:
        return {}
    back = {"ward_code": "commune", "agency_code": "agency", "procedure_code": "procedure"}
    return {back[c]: v for c, v in cols.items() if c in back}


def show_backtest(rule: Rule) -> None:
    try:
        from ioc.alerts.backtest import backtest
    except ImportError:
        st.info(bilingual("Chạy thử 30 ngày chưa có trên máy chủ này; quy tắc vẫn lưu được.",
                          "The 30-day backtest is not available yet; the rule can still be "
                          "saved."), icon="ℹ️")
        return
    cached = st.session_state.get(BACKTEST)
    if cached is not None and cached[0] == rule:
        result = cached[1]  # seconds of SQL on 30 days: a Save click must not wait for it again
    else:
        try:
            with st.spinner(bilingual("Đang chạy thử 30 ngày…", "Backtesting 30 days…")):
                result = backtest(engine, rule, now=None, days=30)
        except Exception as exc:  # noqa: BLE001 - a failing backtest must not block the save
            st.warning(bilingual("Không chạy thử được", "Backtest failed") + f": {exc}")
            return
        st.session_state[BACKTEST] = (rule, result)
    st.markdown(f"**{bilingual('Chạy thử 30 ngày qua', 'Backtest, last 30 days')}:** "
                f"sẽ cảnh báo **{result.count}** lần · would have fired "
                f"**{result.count}** time{'s' if result.count != 1 else ''}")
    st.caption(f"{bilingual('Thời điểm (giờ Việt Nam)', 'When (Vietnam time)')}: "
               f"{av.firing_times_text(result.firings)}")
    if result.series is not None and not result.series.is_empty():
        st.altair_chart(av.backtest_chart(result.series, result.firings, rule.threshold,
                                          rule.kpi), width="stretch")


# --- the rules -------------------------------------------------------------------------------

with ui.db_guard():
    stored = rule_store.list_stored(engine)
    by_id = {sr.rule.rule_id: sr for sr in stored}
    if stored:
        st.dataframe(rules_frame(stored).to_pandas(), hide_index=True, width="stretch",
                     key="thr_rules")
    else:
        st.info(bilingual("Chưa có quy tắc nào", "No rules yet"))

    if "thr_pick_next" in st.session_state:  # set by a save, before the picker exists
        st.session_state["thr_pick"] = st.session_state.pop("thr_pick_next")
    pick = st.selectbox(bilingual("Quy tắc", "Rule"), [NEW, *by_id], key="thr_pick",
                        format_func=lambda r: bilingual("➕ Quy tắc mới", "New rule") if not r
                        else f"{by_id[r].rule.name} ({r})")
    current = by_id[pick].rule if pick else None
    if st.session_state.get("thr_candidate_for") != pick:
        st.session_state.pop(CANDIDATE, None)  # another rule picked: its candidate is stale

    if current is not None:
        state = bilingual("đang bật", "enabled") if current.enabled \
            else bilingual("đang tắt", "disabled")
        c_state, c_button = st.columns([3, 2], vertical_alignment="center")
        c_state.markdown(f"**{html.escape(current.rule_id)}** · {state} · "
                         f"{bilingual('phiên bản', 'version')} {by_id[pick].version}")
        toggle = c_button.button(bilingual("Tắt quy tắc", "Disable") if current.enabled
                                 else bilingual("Bật quy tắc", "Enable"), key="thr_toggle")
        if toggle:
            try:
                who = require(identity, "rule.disable")
                rule_store.set_enabled(engine, current.rule_id, not current.enabled,
                                       who)
            except PermissionDenied as exc:
                st.error(bilingual("Không có quyền", "Not allowed") + f": {exc}", icon="🔒")
            except rule_store.RuleNotFound as exc:
                st.error(str(exc))
            else:
                st.rerun()

    # --- the form --------------------------------------------------------------------------
    base = current or Rule(rule_id="", name="", kpi="dossier.on_time_rate",
                           scope=f"province:{province}", window="24h", comparator="<",
                           threshold=0.9)
    parts = scope_parts(base.scope)
    commune_list = communes(province)
    commune_codes = ["", *[c.code for c in commune_list]]
    commune_names = {c.code: c.name for c in commune_list}
    if parts.get("commune") and parts["commune"] not in commune_names:
        commune_codes.append(parts["commune"])
    kpi_codes = [k.code for k in CATALOGUE]
    # A widget set per rule version: its defaults are that version's values.
    suffix = f"{pick}-{by_id[pick].version}" if pick else "new"
    emails = ", ".join(t.split(":", 1)[1] for t in base.targets if t.startswith("email:"))

    heading = bilingual("Sửa quy tắc", "Edit rule") if current else \
        bilingual("Quy tắc mới", "New rule")
    st.markdown(f"#### {heading}")
    with st.form(f"thr_form_{suffix}"):
        c1, c2 = st.columns([1, 2])
        rule_id = c1.text_input(bilingual("Mã quy tắc", "Rule id"), base.rule_id,
                                key=f"thr_rule_id_{suffix}", disabled=current is not None,
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
        st.caption(bilingual(f"Phạm vi: {ui.province_label(province)}, thu hẹp theo xã/phường, "
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
                              key=f"thr_window_{suffix}", format_func=av.window_text)
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
                                key=f"thr_severity_{suffix}", format_func=av.severity_label)
        with st.expander(bilingual("Tham số đột biến (chỉ cho loại Đột biến)",
                                   "Burst parameters (burst rules only)"),
                         expanded=base.kind == "burst"):
            st.caption(bilingual(
                "Số đếm của khoảng (thường là giờ hiện tại) so với cùng khung giờ của các tuần "
                "trước; cảnh báo khi vượt max(số tối thiểu, ngưỡng, hệ số × trung bình).",
                "The window's count (usually the current hour) against the same hour of the "
                "previous weeks; fires above max(min count, threshold, factor × mean)."))
            p1, p2, p3 = st.columns(3)
            params = {**BURST_DEFAULTS, **dict(base.params)}
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
        email_text = t2.text_input(bilingual("E-mail (cách nhau bởi dấu phẩy)",
                                             "E-mail addresses (comma-separated)"), emails,
                                   key=f"thr_emails_{suffix}")
        enabled = st.checkbox(bilingual("Bật", "Enabled"), base.enabled,
                              key=f"thr_enabled_{suffix}")
        st.caption(bilingual("Tỷ lệ (%) được đổi sang 0..1 khi lưu.",
                             "Ratios entered as % are converted to 0..1 when saved."))
        check = st.form_submit_button(bilingual("Kiểm tra và chạy thử 30 ngày",
                                                "Validate and backtest 30 days"),
                                      type="primary")

    if check:
        st.session_state.pop(BACKTEST, None)  # validating again backtests on fresh data
        ratio = BY_CODE[kpi].unit == "ratio"
        targets = [*channels, *(f"email:{e.strip()}" for e in email_text.split(",")
                                if e.strip())]
        data = {"rule_id": (rule_id or "").strip(), "name": (name or "").strip(), "kpi": kpi,
                "scope": scope_of(province, commune or "", (agency or "").strip(),
                                  (procedure or "").strip()),
                "window": window, "comparator": comparator,
                "threshold": number(threshold, ratio),
                "pending_minutes": int(pending), "hysteresis": number(hysteresis, ratio) or 0.0,
                "severity": severity, "targets": targets, "enabled": bool(enabled)}
        data["kind"] = kind
        if kind == "burst":
            data["params"] = {"baseline_weeks": int(weeks), "min_count": int(min_count),
                              "factor": float(factor)}
        if current is not None:
            data["rule_id"] = current.rule_id
        try:
            candidate = parse_rule(data)
        except RuleError as exc:
            st.session_state.pop(CANDIDATE, None)
            st.error(bilingual("Quy tắc chưa hợp lệ", "The rule is not valid") + ":\n\n"
                     + "\n".join(f"- {e}" for e in exc.errors)
                     + ("\n\n" + bilingual("Ngưỡng tỷ lệ nhập theo % (0–100).",
                                           "Ratio thresholds are entered in % (0–100).")
                        if ratio else ""), icon="⚠️")
        else:
            st.session_state[CANDIDATE] = candidate
            st.session_state["thr_candidate_for"] = pick

    candidate: Rule | None = st.session_state.get(CANDIDATE)
    if candidate is not None:
        st.success(bilingual("Quy tắc hợp lệ", "The rule is valid") + f": {candidate.rule_id} "
                   f"· {av.kpi_label(candidate.kpi)} {candidate.comparator} "
                   f"{av.fmt_kpi(candidate.threshold, candidate.kpi)}")
        show_backtest(candidate)
        if st.button(bilingual("Lưu quy tắc", "Save rule"), type="primary", key="thr_save"):
            action = "rule.edit" if candidate.rule_id in by_id else "rule.create"
            try:
                who = require(identity, action)
                result = rule_store.save_rule(engine, candidate, who,
                                              create_only=current is None)
            except PermissionDenied as exc:
                st.error(bilingual("Không có quyền lưu", "Not allowed to save") + f": {exc}",
                         icon="🔒")
            except (RuleError, rule_store.RuleExists) as exc:
                st.error(bilingual("Không lưu được", "Cannot save") + f": {exc}", icon="⚠️")
            else:
                st.session_state.pop(CANDIDATE, None)
                st.session_state["thr_saved"] = (candidate.rule_id, result)
                st.session_state["thr_pick_next"] = candidate.rule_id
                st.rerun()
    saved = st.session_state.pop("thr_saved", None)
    if saved:
        st.success(bilingual("Đã lưu", "Saved") + f": {saved[0]} ({saved[1]})")

    # --- audit trail ---------------------------------------------------------------------------
    if current is not None:
        st.markdown(f"#### {bilingual('Nhật ký thay đổi', 'Audit trail')}")
        trail = rule_store.audit_trail(engine, current.rule_id)
        rows = [{"Thời điểm · At": av.local_time(e.at, "%d/%m/%Y %H:%M"),
                 "Thao tác · Action": bilingual(*AUDIT_ACTIONS.get(e.action,
                                                                   (e.action, ""))),
                 "Người · Actor": e.actor,
                 "Thay đổi · Changes": "; ".join(f"{k}: {b!r} → {a!r}" for k, (b, a)
                                                 in rule_store.changed_fields(e).items())}
                for e in reversed(trail)]
        if rows:
            st.dataframe(rows, hide_index=True, width="stretch", key="thr_audit")
        else:
            st.caption(bilingual("Chưa có thay đổi", "No changes recorded"))
