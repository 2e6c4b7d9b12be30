"""CSV and XLSX exports of the dashboard tables: Vietnamese text and headers survive, times are
Vietnam wall-clock time, Excel opens the files as intended and never runs a cell as a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import polars as pl
import pytest
from openpyxl import load_workbook

from ioc.exports import BOM, HEADERS, header_for, sheet_title, to_csv_bytes, to_xlsx_bytes


@pytest.fixture()
def frame() -> pl.DataFrame:
    return pl.DataFrame({
        "dossier_id": ["H25.04792-261120-0001", "H25.STP-261121-0002"],
        "agency_name": ["UBND phường Tân Hòa", "Sở Tư pháp tỉnh Phú Thọ"],
        "procedure_name": ["Đăng ký khai sinh", "Cấp phiếu lý lịch tư pháp"],
        # Naive UTC, as the database stores it: 17:30 UTC is 00:30 the next day in Vietnam.
        "received_at": [datetime(2026, 11, 20, 17, 30), None],
        "day": [date(2026, 11, 21), date(2026, 11, 20)],
        "on_time_rate_pct": [90.5, None],
        "received": [1234, 0],
    })


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)  # Excel needs the BOM to read UTF-8
    return list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"))))


def test_csv_round_trip_keeps_vietnamese_text_headers_and_local_times(
        frame: pl.DataFrame) -> None:
    rows = read_csv(to_csv_bytes(frame))
    assert rows[0] == ["Mã hồ sơ", "Cơ quan", "Thủ tục", "Tiếp nhận lúc", "Ngày",
                       "Tỷ lệ đúng hạn (%)", "Hồ sơ tiếp nhận"]
    assert rows[1] == ["H25.04792-261120-0001", "UBND phường Tân Hòa", "Đăng ký khai sinh",
                       "2026-11-21 00:30:00", "2026-11-21", "90.5", "1234"]
    assert rows[2] == ["H25.STP-261121-0002", "Sở Tư pháp tỉnh Phú Thọ",
                       "Cấp phiếu lý lịch tư pháp", "", "2026-11-20", "", "0"]
    assert len(rows) == 3
    # polars reads it back with the same values (BOM stripped).
    back = pl.read_csv(to_csv_bytes(frame)[len(BOM):], try_parse_dates=True)
    assert back["Tiếp nhận lúc"].to_list()[0] == datetime(2026, 11, 21, 0, 30)
    assert back["Cơ quan"].to_list() == frame["agency_name"].to_list()


def test_timezone_aware_times_are_converted_too() -> None:
    df = pl.DataFrame({"due_at": [datetime(2026, 11, 21, 3, 0, tzinfo=UTC)]})
    assert read_csv(to_csv_bytes(df))[1] == ["2026-11-21 10:00:00"]


def test_caller_headers_win_and_unknown_columns_keep_their_name() -> None:
    df = pl.DataFrame({"overdue": [3], "mystery": ["x"]})
    assert read_csv(to_csv_bytes(df, {"overdue": "Quá hạn"}))[0] == ["Quá hạn", "mystery"]
    assert header_for("overdue") == HEADERS["overdue"] == "Hồ sơ quá hạn đang xử lý"


def test_duplicate_headers_are_made_distinct() -> None:
    df = pl.DataFrame({"name": ["a"], "sector": ["b"]})
    assert read_csv(to_csv_bytes(df, {"name": "Lĩnh vực"}))[0] == ["Lĩnh vực",
                                                                     "Lĩnh vực (sector)"]


def test_formula_like_text_is_neutralised_in_csv() -> None:
    df = pl.DataFrame({"agency_name": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)",
                                       "Sở Y tế"]})
    cells = [r[0] for r in read_csv(to_csv_bytes(df))[1:]]
    assert cells == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "Sở Y tế"]


def test_xlsx_is_readable_with_headers_values_and_date_cells(frame: pl.DataFrame) -> None:
    data = to_xlsx_bytes(frame, "Hồ sơ quá hạn")
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Hồ sơ quá hạn"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Mã hồ sơ", "Cơ quan", "Thủ tục", "Tiếp nhận lúc", "Ngày",
                       "Tỷ lệ đúng hạn (%)", "Hồ sơ tiếp nhận")
    assert rows[1] == ("H25.04792-261120-0001", "UBND phường Tân Hòa", "Đăng ký khai sinh",
                       datetime(2026, 11, 21, 0, 30), datetime(2026, 11, 21), 90.5, 1234)
    assert rows[2][3] is None and rows[2][5] is None and rows[2][6] == 0
    assert len(rows) == 3
    assert ws["D2"].number_format == "dd/mm/yyyy hh:mm"
    assert ws["E2"].number_format == "dd/mm/yyyy"
    assert ws["A1"].font.b
    assert ws.freeze_panes == "A2"


def test_xlsx_never_stores_text_as_a_formula() -> None:
    df = pl.DataFrame({"agency_name": ["=1+1", "Sở Y tế"]})
    ws = load_workbook(io.BytesIO(to_xlsx_bytes(df, "x"))).active
    assert ws["A2"].value == "=1+1" and ws["A2"].data_type == "s"


def test_empty_frame_exports_headers_only() -> None:
    df = pl.DataFrame(schema={"dossier_id": pl.String, "due_at": pl.Datetime("us")})
    assert read_csv(to_csv_bytes(df)) == [["Mã hồ sơ", "Hạn giải quyết"]]
    ws = load_workbook(io.BytesIO(to_xlsx_bytes(df, "trống"))).active
    assert list(ws.iter_rows(values_only=True)) == [("Mã hồ sơ", "Hạn giải quyết")]


def test_sheet_titles_are_valid_for_excel() -> None:
    assert sheet_title("Hồ sơ quá hạn/sắp đến hạn") == "Hồ sơ quá hạn-sắp đến hạn"
    assert len(sheet_title("x" * 40)) == 31
    assert sheet_title("[]") == "--"
    assert sheet_title("") == "Sheet"
