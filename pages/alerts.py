"""Cảnh báo · Alerts: the live list of alert episodes with filters, acknowledge with a note,
silences, the history of every transition and a link to the data behind each alert.

Acknowledging and silencing are checked on the server by `ioc.alerts.store` (ioc.auth.require):
the forms are shown to everyone, and a viewer or anonymous visitor who submits one gets the
refusal spelled out instead of a hidden button.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, time, timedelta

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from ioc.alerts import store as alert_store
from ioc.alerts.rules import SEVERITIES
from ioc.auth import PermissionDenied
from ioc.exports import local_times, to_csv_bytes, to_xlsx_bytes
from ioc.i18n import bilingual
from ioc.reference.calendar import TZ
from ioc.settings import load_settings
from ioc.ui import components as ui
from ioc.ui.alerts import view as av

settings = load_settings()
engine = ui.get_engine(settings.database_url)
names = av.area_names(settings.province_code)
identity = av.current_identity()

st.markdown(f'<div class="ioc-title">{bilingual("Cảnh báo", "Alerts")}</div>'
            f'<div class="ioc-subtitle">{html.escape(ui.province_label(settings.province_code))}'
            "</div>", unsafe_allow_html=True)


def rule_names() -> dict[str, str]:
    try:
        from ioc.alerts.rule_store import list_stored
        return {sr.rule.rule_id: sr.rule.name for sr in list_stored(engine)}
    except (ImportError, SQLAlchemyError):
        return {}


LIST_ORDER = ("severity", "rule", "scope", "value_vs_threshold", "state", "since", "acked",
              "data", "kpi", "window", "alert_id")
ACK_FLASH = "alerts_ack_flash"  # shown once after the rerun that clears the note

with ui.db_guard():
    names_of_rules = rule_names()

    # Two rows of filters: four in one row cut the segmented labels on a 1024 px tablet.
    c_state, c_kind = st.columns(2, vertical_alignment="bottom")
    c_sev, c_rule = st.columns([1, 2], vertical_alignment="bottom")
    # Deadline reminders are one episode per agency: dozens on a bad day. Operators look at
    # the rules ops staff set apart from them.
    kind_filter = c_kind.segmented_control(
        bilingual("Loại", "Kind"), options=["", "rule", "reminder"], default="",
        key="alerts_kind", width="stretch",
        format_func=lambda v: {"": bilingual("Tất cả", "All"),
                               "rule": bilingual("Quy tắc", "Rules"),
                               "reminder": bilingual("Nhắc hạn", "Reminders")}[v]) or ""
    state_filter = c_state.segmented_control(
        bilingual("Trạng thái", "State"), options=["open", "all"], default="open",
        required=True, key="alerts_state", width="stretch",
        format_func=lambda v: bilingual("Đang mở", "Open") if v == "open"
        else bilingual("Tất cả", "All")) or "open"
    severity = c_sev.selectbox(bilingual("Mức độ", "Severity"), ["", *SEVERITIES],
                               key="alerts_severity",
                               format_func=lambda s: bilingual("Tất cả", "All") if not s
                               else av.severity_label(s))
    rule_filter = c_rule.selectbox(bilingual("Quy tắc", "Rule"), ["", *sorted(names_of_rules)],
                                   key="alerts_rule",
                                   format_func=lambda r: bilingual("Tất cả", "All") if not r
                                   else f"{names_of_rules.get(r, r)} ({r})")

    @st.fragment(run_every=settings.refresh_seconds)
    def live_list(open_only: bool, severity: str, rule_id: str, kind: str) -> None:
        with ui.db_guard():
            rows = alert_store.list_alerts(engine, open_only=open_only, rule_id=rule_id or None,
                                           severity=severity or None, kind=kind or None)
            frame = av.alert_rows(av.by_severity(rows) if open_only else rows,
                                  names_of_rules, names)
            st.caption(bilingual(f"{len(rows)} cảnh báo", f"{len(rows)} alerts")
                       + f" · cập nhật {datetime.now(TZ).strftime('%H:%M:%S')}")
            if frame.is_empty():
                st.success(bilingual("Không có cảnh báo nào", "No alerts"), icon="✅")
                return
            # A long rule name must not push the state and who acknowledged (with the note)
            # out of a tablet's view.
            widths = {"rule": "medium", "state": "medium", "acked": "large"}
            config = {c: st.column_config.TextColumn(label, width=widths.get(c)) for c, label
                      in av.ALERT_COLUMNS.items() if c != "data"}
            config["data"] = st.column_config.LinkColumn(
                av.ALERT_COLUMNS["data"], display_text=bilingual("Xem dữ liệu", "Open data"))
            # What a wall screen must show without scrolling the grid sideways comes first
            # (who acknowledged, with the note); the long alert id goes last.
            st.dataframe(frame.to_pandas(), hide_index=True, width="stretch",
                         column_config=config, column_order=LIST_ORDER, key="alerts_table")
            st.caption(bilingual("“Xem dữ liệu” mở trang Hồ sơ TTHC (hoặc Tổng quan) đúng "
                                 "phạm vi của cảnh báo, trong thẻ mới",
                                 "“Open data” opens the alert's scope on the Dossiers page "
                                 "(or the Overview) in a new tab"))

    live_list(state_filter == "open", severity, rule_filter, kind_filter)

tab_ack, tab_silence, tab_history = st.tabs([
    bilingual("Xác nhận", "Acknowledge"), bilingual("Tạm ẩn thông báo", "Silence"),
    bilingual("Lịch sử", "History")])

with tab_ack, ui.db_guard():
    firing = [r for r in alert_store.list_alerts(engine, open_only=True,
                                                 rule_id=rule_filter or None,
                                                 kind=kind_filter or None)
              if r["state"] == "firing"]
    st.caption(bilingual("Cán bộ vận hành trở lên xác nhận đã tiếp nhận xử lý; ghi chú bắt buộc",
                         "Operators and admins acknowledge; a note is required"))
    flash = st.session_state.pop(ACK_FLASH, None)
    if flash:
        st.success(flash)
        # Set before the widget exists: the browser would send the old text back otherwise.
        st.session_state["alerts_ack_note"] = ""
    if not firing:
        st.info(bilingual("Không có cảnh báo nào đang chờ xác nhận",
                          "No firing alert to acknowledge"))
    else:
        by_id = {r["alert_id"]: r for r in av.by_severity(firing)}

        def ack_choice(a: str) -> str:
            # The rule too: two rules on one KPI and scope give the same message.
            r = by_id[a]
            rule = r["rule_id"]
            named = f"{names_of_rules[rule]} ({rule})" if names_of_rules.get(rule) else rule
            return (f"{av.SEVERITY_LABELS.get(r['severity'], ('',))[0]} · {named} · "
                    f"{av.alert_message(r, names)}")

        with st.form("alerts_ack_form", clear_on_submit=False):
            alert_id = st.selectbox(bilingual("Cảnh báo", "Alert"), list(by_id),
                                    key="alerts_ack_id", format_func=ack_choice)
            note = st.text_area(bilingual("Ghi chú (đang làm gì)", "Note (what is being done)"),
                                key="alerts_ack_note", max_chars=1000)
            ack = st.form_submit_button(bilingual("Xác nhận", "Acknowledge"), type="primary")
        if ack:
            try:
                alert_store.acknowledge(engine, alert_id, identity, note)
            except PermissionDenied as exc:
                st.error(bilingual("Không có quyền xác nhận", "Not allowed to acknowledge")
                         + f": {exc}", icon="🔒")
            except (ValueError, KeyError) as exc:
                st.error(bilingual("Không xác nhận được", "Cannot acknowledge")
                         + f": {str(exc).strip(chr(39))}", icon="⚠️")
            else:
                # The note is cleared on the rerun: the picker moves on to the next firing
                # alert, which must not be acknowledged with this one's note by a second click.
                st.session_state[ACK_FLASH] = (bilingual("Đã xác nhận", "Acknowledged")
                                               + f": {alert_id}")
                st.rerun()

with tab_silence, ui.db_guard():
    st.caption(bilingual(
        "Tạm ẩn chỉ tắt thông báo (webhook, e-mail) của cảnh báo khớp; cảnh báo vẫn được đánh "
        "giá và vẫn hiện trên màn hình. Giờ theo giờ Việt Nam.",
        "A silence mutes notifications of matching alerts only; they are still evaluated and "
        "shown. Times are Vietnam time."))
    now_local = datetime.now(TZ).replace(second=0, microsecond=0)
    with st.form("alerts_silence_form"):
        s_rule = st.selectbox(bilingual("Quy tắc", "Rule"), ["", *sorted(names_of_rules)],
                              key="alerts_silence_rule",
                              format_func=lambda r: bilingual("Mọi quy tắc", "Any rule")
                              if not r else f"{names_of_rules.get(r, r)} ({r})")
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
                     + f": {exc}", icon="🔒")
        except ValueError as exc:
            st.error(bilingual("Không tạm ẩn được", "Cannot add the silence") + f": {exc}",
                     icon="⚠️")
        else:
            st.success(bilingual("Đã tạm ẩn", "Silence added") + f": {sid}")
    with engine.connect() as conn:
        active = alert_store.active_silences(conn, alert_store.utcnow())
    if active:
        st.markdown(f"**{bilingual('Đang tạm ẩn', 'Active silences')}**")
        st.dataframe([{"Quy tắc · Rule": s.rule_id or bilingual("Mọi", "Any"),
                       "Phạm vi · Scope": s.scope_prefix or bilingual("Mọi", "Any"),
                       "Từ · From": av.local_time(s.starts_at, "%d/%m/%Y %H:%M"),
                       "Đến · To": av.local_time(s.ends_at, "%d/%m/%Y %H:%M"),
                       "Lý do · Reason": s.reason, "Người tạo · By": s.created_by}
                      for s in active], hide_index=True, width="stretch")

with tab_history, ui.db_guard():
    # The same rule and kind as the list above.
    hist = av.history_frame(alert_store.history(engine, limit=1000, rule_id=rule_filter or None,
                                                kind=kind_filter or None))
    if hist.is_empty():
        st.caption(bilingual("Chưa có lịch sử", "No history yet"))
    else:
        st.dataframe(
            local_times(hist).to_pandas(), hide_index=True, width="stretch",
            key="alerts_history",  # the long alert id last: event, who and note fit a tablet
            column_order=("at", "rule_id", "transition", "actor", "value", "note", "alert_id"),
            column_config={
                "at": st.column_config.DatetimeColumn(av.HISTORY_COLUMNS["at"],
                                                      format="DD/MM/YYYY HH:mm"),
                "note": st.column_config.TextColumn(av.HISTORY_COLUMNS["note"], width="large"),
                **{c: label for c, label in av.HISTORY_COLUMNS.items()
                   if c not in ("at", "note")}})
        d1, d2 = st.columns(2)
        d1.download_button("⬇ Tải CSV", to_csv_bytes(hist, av.HISTORY_COLUMNS),
                           "lich-su-canh-bao.csv", "text/csv", key="alerts_history_csv")
        d2.download_button("⬇ Tải Excel",
                           to_xlsx_bytes(hist, "Lịch sử cảnh báo", av.HISTORY_COLUMNS),
                           "lich-su-canh-bao.xlsx",
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           key="alerts_history_xlsx")
