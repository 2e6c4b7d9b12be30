"""Table exports behind the dashboard's download buttons: CSV and XLSX with Vietnamese headers.

Pure: a Polars frame in, bytes out. Naive datetimes are UTC (the database convention) and are
written as Vietnam wall-clock time (Asia/Ho_Chi_Minh, no DST). CSV is UTF-8 *with* a BOM:
without it Excel reads the file as the ANSI code page and mangles "Hồ sơ" into "Há»“ sÆ¡".
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

import polars as pl
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ioc.kpis.catalogue import DOSSIER_KPIS
from ioc.reference.calendar import TZ

BOM = b"\xef\xbb\xbf"
CSV_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # ISO order: Excel reads it as a date in any locale
XLSX_TIME_FORMAT = "dd/mm/yyyy hh:mm"
XLSX_DATE_FORMAT = "dd/mm/yyyy"


def _kpi_headers() -> dict[str, str]:
    out: dict[str, str] = {}
    for k in DOSSIER_KPIS:
        out[k.column] = f"{k.label_vi} (ngày làm việc)" if k.unit == "days" else k.label_vi
        if k.unit == "ratio":
            # Tables carry rates as percentages (0–100) under <column>_pct.
            out[f"{k.column}_pct"] = f"{k.label_vi} (%)"
    return out


# Column name → Vietnamese header, for every column the pages export.
HEADERS: dict[str, str] = {
    **_kpi_headers(),
    "dossier_id": "Mã hồ sơ",
    "status": "Trạng thái",
    "state": "Tình trạng hạn",
    "procedure_code": "Mã thủ tục",
    "procedure_name": "Thủ tục",
    "sector": "Lĩnh vực",
    "agency_code": "Mã cơ quan",
    "agency_name": "Cơ quan",
    "ward_code": "Mã xã/phường",
    "ward_name": "Xã/phường",
    "level": "Cấp",
    "channel": "Kênh nộp",
    "received_at": "Tiếp nhận lúc",
    "due_at": "Hạn giải quyết",
    "completed_at": "Hoàn thành lúc",
    "closed_at": "Kết thúc lúc",
    "supplement_requested_at": "Yêu cầu bổ sung lúc",
    "supplement_received_at": "Nhận bổ sung lúc",
    "rating": "Đánh giá",
    "age_days": "Đã tiếp nhận (ngày làm việc)",
    "late_days": "Quá hạn (ngày làm việc; âm = còn lại)",
    "rank": "Hạng",
    "previous_rank": "Hạng kỳ trước",
    "movement": "Thay đổi hạng",
    "day": "Ngày",
    "value": "Giá trị",
    "label": "Chỉ tiêu",
    "code": "Mã chỉ tiêu",
    "formula": "Công thức",
    "target": "Mục tiêu",
    "unit": "Đơn vị",
    "total": "Tổng",
    "max_late_days": "Quá hạn lâu nhất (ngày làm việc)",
    "received_online": "Hồ sơ nộp trực tuyến",
    "on_time_share_pct": "Tỷ lệ giải quyết đúng hạn trong ngày (%)",
}

# A cell starting with = + - @ (or a tab/CR before them) is run as a formula by Excel
# (CSV/formula injection); names come from outside systems, so such text is neutralised.
_FORMULA_RE = r"^[=+\-@\t\r]"
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def header_for(column: str, headers: Mapping[str, str] | None = None) -> str:
    """Vietnamese header of a column: the caller's mapping first, then HEADERS, else the name."""
    if headers and column in headers:
        return headers[column]
    return HEADERS.get(column, column)


def _headers(df: pl.DataFrame, headers: Mapping[str, str] | None) -> list[str]:
    out: list[str] = []
    for col in df.columns:
        h = header_for(col, headers)
        # Two columns with one header would be ambiguous in Excel: keep the code visible.
        out.append(h if h not in out else f"{h} ({col})")
    return out


def local_times(df: pl.DataFrame) -> pl.DataFrame:
    """Datetime columns as naive Vietnam wall-clock time (naive input is taken as UTC)."""
    exprs = []
    for name, dtype in df.schema.items():
        if isinstance(dtype, pl.Datetime):
            col = pl.col(name)
            if dtype.time_zone is None:
                col = col.dt.replace_time_zone("UTC")
            exprs.append(col.dt.convert_time_zone(str(TZ)).dt.replace_time_zone(None)
                         .alias(name))
    return df.with_columns(exprs) if exprs else df


def _for_text(df: pl.DataFrame) -> pl.DataFrame:
    exprs = []
    for name, dtype in df.schema.items():
        if isinstance(dtype, pl.Datetime):
            exprs.append(pl.col(name).dt.strftime(CSV_TIME_FORMAT))
        elif dtype == pl.String:
            col = pl.col(name)
            exprs.append(pl.when(col.str.contains(_FORMULA_RE)).then(pl.lit("'") + col)
                         .otherwise(col).alias(name))
    return df.with_columns(exprs) if exprs else df


def to_csv_bytes(df: pl.DataFrame, headers: Mapping[str, str] | None = None) -> bytes:
    """CSV (comma-separated, UTF-8 with BOM) with Vietnamese headers and local times."""
    out = _for_text(local_times(df))
    out.columns = _headers(df, headers)
    return BOM + out.write_csv().encode("utf-8")


def sheet_title(name: str) -> str:
    """A valid Excel sheet name: at most 31 characters, none of []:*?/\\."""
    return (_SHEET_BAD.sub("-", name).strip("'") or "Sheet")[:31]


def _width(header: str, values: list) -> int:
    longest = max([len(header), *(len(str(v)) for v in values[:200] if v is not None)])
    return min(60, max(8, longest + 2))


def to_xlsx_bytes(df: pl.DataFrame, sheet: str,
                  headers: Mapping[str, str] | None = None) -> bytes:
    """One-sheet XLSX with a bold, frozen header row; times are real Excel date cells shown
    as dd/mm/yyyy hh:mm in Vietnam time, so they sort and filter as dates."""
    local = local_times(df)
    names = _headers(df, headers)
    wb = Workbook(write_only=True)  # streams rows: a 5,000-row list stays fast and small
    ws = wb.create_sheet(sheet_title(sheet))
    # Write-only sheets take layout only before the first row.
    ws.freeze_panes = "A2"
    columns = [local[c].to_list() for c in local.columns]
    for i, (name, values) in enumerate(zip(names, columns, strict=True), start=1):
        ws.column_dimensions[get_column_letter(i)].width = _width(name, values)
    bold = Font(bold=True)
    header_cells = []
    for name in names:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    formats = {}
    for name, dtype in local.schema.items():
        if isinstance(dtype, pl.Datetime):
            formats[name] = XLSX_TIME_FORMAT
        elif dtype == pl.Date:
            formats[name] = XLSX_DATE_FORMAT
    fmt = [formats.get(c) for c in local.columns]
    for row in local.iter_rows():
        cells = []
        for value, number_format in zip(row, fmt, strict=True):
            cell = WriteOnlyCell(ws, value=value)
            if cell.data_type == "f":
                cell.data_type = "s"  # text such as "=1+1" stays text, never a formula
            if number_format and value is not None:
                cell.number_format = number_format
            cells.append(cell)
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
