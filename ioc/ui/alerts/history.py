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


def render_history(engine: Engine, filters: AlertFilters) -> None:
    # The same rule and kind as the list above.
    hist = history_frame(alert_store.history(engine, limit=1000,
                                             rule_id=filters.rule_id or None,
                                             kind=filters.kind or None))
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
