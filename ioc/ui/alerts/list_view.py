"""The live list of alert episodes on the Alerts page, re-read every IOC_REFRESH_SECONDS in a
fragment, with a link to the data behind each alert."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

import streamlit as st
from sqlalchemy import Engine

from ioc.alerts import store as alert_store
from ioc.i18n import bilingual
from ioc.reference.calendar import TZ
from ioc.ui.alerts.filters import AlertFilters
from ioc.ui.alerts.order import by_severity
from ioc.ui.alerts.tables import ALERT_COLUMNS, alert_rows
from ioc.ui.components import db_guard
from ioc.ui.scoping import in_scope

# What a wall screen must show without scrolling the grid sideways comes first (who
# acknowledged, with the note); the long alert id goes last.
LIST_ORDER = ("severity", "rule", "scope", "value_vs_threshold", "state", "since", "acked",
              "data", "kpi", "window", "alert_id")
# A long rule name must not push the state and who acknowledged (with the note) out of a
# tablet's view.
WIDTHS: dict[str, Literal["small", "medium", "large"]] = {
    "rule": "medium", "state": "medium", "acked": "large"}


def render_live_list(engine: Engine, filters: AlertFilters, rule_names: Mapping[str, str],
                     names: Mapping[str, str], refresh_seconds: float,
                     province: str = "") -> None:
    @st.fragment(run_every=refresh_seconds)
    def live_list(open_only: bool, severity: str, rule_id: str, kind: str) -> None:
        with db_guard():
            rows = alert_store.list_alerts(engine, open_only=open_only, rule_id=rule_id or None,
                                           severity=severity or None, kind=kind or None)
            rows = [r for r in rows if in_scope(r["scope"], province)]  # scoped accounts
            frame = alert_rows(by_severity(rows) if open_only else rows, rule_names, names)
            st.caption(bilingual(f"{len(rows)} cảnh báo", f"{len(rows)} alerts")
                       + f" · cập nhật {datetime.now(TZ).strftime('%H:%M:%S')}")
            if frame.is_empty():
                st.success(bilingual("Không có cảnh báo nào", "No alerts"),
                           icon=":material/check_circle:")
                return
            config = {c: st.column_config.TextColumn(label, width=WIDTHS.get(c)) for c, label
                      in ALERT_COLUMNS.items() if c != "data"}
            config["data"] = st.column_config.LinkColumn(
                ALERT_COLUMNS["data"], display_text=bilingual("Xem dữ liệu", "Open data"))
            st.dataframe(frame.to_pandas(), hide_index=True, width="stretch",
                         column_config=config, column_order=LIST_ORDER, key="alerts_table")
            st.caption(bilingual("“Xem dữ liệu” mở trang Hồ sơ TTHC (hoặc Tổng quan) đúng "
                                 "phạm vi của cảnh báo, trong thẻ mới",
                                 "“Open data” opens the alert's scope on the Dossiers page "
                                 "(or the Overview) in a new tab"))

    live_list(filters.open_only, filters.severity, filters.rule_id, filters.kind)
