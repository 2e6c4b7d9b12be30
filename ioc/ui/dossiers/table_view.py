"""Tables of the Dossiers page on screen: Vietnamese headers and number formats (values stay
numeric so columns sort by number), one row highlighted on request, short headers on narrow
tables, and CSV/XLSX downloads of every column under each table."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl
import streamlit as st

from ioc.exports import header_for, local_times, to_csv_bytes, to_xlsx_bytes
from ioc.i18n import DASH, fmt_int, fmt_number
from ioc.ui.dossiers.labels import vi


def _fmt_cell(dtype: pl.DataType, col: str) -> Callable[[Any], str] | None:
    """Vietnamese display of a numeric column (12.345; 87,5 %), keeping the value numeric
    so the table still sorts by number."""
    def safe(f: Callable[[Any], str]) -> Callable[[Any], str]:
        return lambda v: DASH if v is None or v != v else f(v)  # v != v: NaN
    if col.endswith("_pct"):
        return safe(lambda v: f"{fmt_number(v, 1)} %")
    if dtype.is_integer():
        return safe(fmt_int)
    if dtype.is_float():
        # Two decimals on scores: neighbours in a ranking often differ by less than 0,1.
        return safe(lambda v: fmt_number(v, 2 if col.startswith("score") else 1))
    return None


# Long names and headers would push the figures of a half-width table off a tablet's
# screen: names get a capped width and the figures short headers (files keep the long ones).
NAME_COLUMNS = ("procedure_name", "agency_name", "ward_name", "name")
SHORT_HEADERS = {
    "score_total": "Tổng điểm", "on_time_rate_pct": "Đúng hạn (%)", "received": "Tiếp nhận",
    "completed": "Giải quyết", "overdue": "Quá hạn", "near_due": "Sắp đến hạn",
    "online_eligible_rate_pct": "Trực tuyến (%)", "processing_days_mean": "Xử lý TB (ngày)",
    "max_late_days": "Trễ nhất (ngày)", "movement": "Thay đổi", "previous_rank": "Hạng trước",
    "age_days": "Đã nhận (ngày)", "late_days": "Quá hạn (ngày)",
}


def _column_config(frame: pl.DataFrame, headers: Mapping[str, str] | None,
                   narrow: bool) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for col, dtype in frame.schema.items():
        label = header_for(col, headers)
        if narrow and col in NAME_COLUMNS:
            config[col] = st.column_config.TextColumn(label, width="medium")
            continue
        if isinstance(dtype, pl.Datetime):
            config[col] = st.column_config.DatetimeColumn(label, format="DD/MM/YYYY HH:mm")
        elif dtype == pl.Date:
            config[col] = st.column_config.DateColumn(label, format="DD/MM/YYYY")
        else:
            config[col] = st.column_config.Column(label)
    return config


def styled(frame: pl.DataFrame, highlight: tuple[str, str] | None = None) -> Any:
    """pandas Styler with Vietnamese number formats (and one row highlighted, e.g. the
    commune drilled into, in its ranking); times shown as Vietnam wall-clock time."""
    shown = local_times(frame).to_pandas()
    formats = {c: f for c, t in frame.schema.items() if (f := _fmt_cell(t, c))}
    sty = shown.style.format(formats, na_rep=DASH)
    if highlight and highlight[0] in shown.columns:
        col, code = highlight
        sty = sty.apply(lambda row: ["background-color: #fff3c4; font-weight: 700"
                                     if row[col] == code else "" for _ in row], axis=1)
    return sty


def download_buttons(frame: pl.DataFrame, key: str, file_stem: str,
                     headers: Mapping[str, str] | None = None, sheet: str | None = None
                     ) -> None:
    """CSV and XLSX of the table; the bytes are built only when the button is pressed."""
    # One sheet named after the table, without the view tag the file name carries.
    sheet = sheet or file_stem.split("_", 1)[0]
    with st.container(horizontal=True, gap="small"):
        st.download_button(f"⬇ {vi('csv')}", data=lambda: to_csv_bytes(frame, headers),
                           file_name=f"{file_stem}.csv", mime="text/csv", key=f"{key}_csv",
                           on_click="ignore")
        st.download_button(
            f"⬇ {vi('xlsx')}", data=lambda: to_xlsx_bytes(frame, sheet, headers),
            file_name=f"{file_stem}.xlsx", key=f"{key}_xlsx", on_click="ignore",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def render_table(frame: pl.DataFrame, key: str, file_stem: str, *,
                 columns: Sequence[str] | None = None,
                 headers: Mapping[str, str] | None = None, height: int | str = "auto",
                 highlight: tuple[str, str] | None = None, narrow: bool = False,
                 sheet: str | None = None) -> None:
    """A table (Vietnamese headers and numbers) with its CSV/XLSX download buttons; `columns`
    picks what the screen shows, the files carry every column."""
    # Styler formats every cell in Python: fine for summaries, slow for the 5,000-row list.
    data = styled(frame, highlight) if frame.height <= 2000 else local_times(frame)
    screen = {**SHORT_HEADERS, **(headers or {})} if narrow else headers
    st.dataframe(data, hide_index=True, width="stretch", height=height, key=f"{key}_table",
                 column_order=list(columns) if columns else None, placeholder=DASH,
                 column_config=_column_config(frame, screen, narrow))
    download_buttons(frame, key, file_stem, headers, sheet)


def table_height(rows: int, max_rows: int = 12) -> int:
    # Header + rows at Streamlit's 35 px row height, capped so a long list scrolls inside.
    return 38 + 35 * max(1, min(rows, max_rows))
