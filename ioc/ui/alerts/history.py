"""History tab of the Alerts page: every transition of the alerts the filters pick, with CSV
and Excel downloads."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from ioc.alerts import store as alert_store
from ioc.exports import local_times, to_csv_bytes, to_xlsx_bytes
from ioc.i18n import bilingual
from ioc.ui.alerts.filters import AlertFilters
from ioc.ui.alerts.tables import HISTORY_COLUMNS, history_frame
from ioc.ui.scoping import in_scope
from ioc.ui.session import current_scope


def render_history(engine: Engine, filters: AlertFilters, province: str = "") -> None:
    # The same rule and kind as the list above.
    rows = alert_store.history(engine, limit=1000, rule_id=filters.rule_id or None,
                               kind=filters.kind or None)
    if current_scope() is not None:  # a scoped account: transitions of its alerts only
        mine = {a["alert_id"] for a in alert_store.list_alerts(engine, limit=5000)
                if in_scope(a["scope"], province)}
        rows = [r for r in rows if r["alert_id"] in mine]
    hist = history_frame(rows)
    if hist.is_empty():
        st.caption(bilingual("Chưa có lịch sử", "No history yet"))
        return
    st.dataframe(
        local_times(hist).to_pandas(), hide_index=True, width="stretch",
        key="alerts_history",  # the long alert id last: event, who and note fit a tablet
        column_order=("at", "rule_id", "transition", "actor", "value", "note", "alert_id"),
        column_config={
            "at": st.column_config.DatetimeColumn(HISTORY_COLUMNS["at"],
                                                  format="DD/MM/YYYY HH:mm"),
            "note": st.column_config.TextColumn(HISTORY_COLUMNS["note"], width="large"),
            **{c: label for c, label in HISTORY_COLUMNS.items() if c not in ("at", "note")}})
    d1, d2 = st.columns(2)
    d1.download_button("⬇ Tải CSV", to_csv_bytes(hist, HISTORY_COLUMNS),
                       "lich-su-canh-bao.csv", "text/csv", key="alerts_history_csv")
    d2.download_button("⬇ Tải Excel", to_xlsx_bytes(hist, "Lịch sử cảnh báo", HISTORY_COLUMNS),
                       "lich-su-canh-bao.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="alerts_history_xlsx")
