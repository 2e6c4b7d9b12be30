"""Hotline 1022 feedback export (CSV and XLSX) through the one-stop import machinery with the
Vietnamese column mapping hotline_vi.yaml, on the real broker and database."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from connectors.files.mapping import ColumnMapping, MappingError
from connectors.files.one_stop import OneStopFileSource
from connectors.runtime import ConnectorRuntime, run_until_idle
from ioc.events.contracts import FEEDBACK_CONTRACT, validate_event
from ioc.reference import geo
from streams.clients import make_producer
from tests.helpers import read_topic

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "docs" / "samples" / "hotline_1022_export.csv"
MAPPING = ROOT / "connectors" / "files" / "mappings" / "hotline_vi.yaml"


@pytest.fixture(scope="module")
def mapping() -> ColumnMapping:
    return ColumnMapping.load(MAPPING)


def _events(path: Path, mapping: ColumnMapping) -> dict[str, dict]:
    batch = OneStopFileSource(path, mapping).poll(None)
    assert batch is not None
    return {r.headers["row"]: (r.event or {"error": r.error}) for r in batch.records}


def test_sample_rows_mapped(mapping):
    ev = _events(SAMPLE, mapping)
    for row in "234567":
        assert validate_event(FEEDBACK_CONTRACT, ev[row]) == [], row
    new = ev["2"]  # 2025 address, agency by name, due from the category's SLA
    assert (new["type"], new["seq"], new["channel"]) == ("received", 1, "hotline_1022")
    assert (new["ward_code"], new["agency_code"]) == ("08494", "SNNMT-25")
    assert new["event_id"] == "hotline-import:PAKN-1022-0001:1"
    assert new["due_at"] == "2026-04-23T08:15:00+07:00"  # Mon 20 + 3 working days
    replied = ev["3"]  # coordinates → nearest commune centroid
    assert (replied["type"], replied["ward_code"], replied["agency_code"]) == (
        "responded", "04828", "SXD-25")
    assert replied["responded_at"] == "2026-04-21T10:00:00+07:00"
    rated = ev["4"]  # legacy address (district) → 2025 commune; closed with a rating
    assert (rated["type"], rated["seq"], rated["status"], rated["rating"]) == (
        "rated", 5, "closed", "satisfied")
    assert (rated["ward_code"], rated["agency_code"]) == ("07900", "UBND-08494")
    assert (rated["due_at"], rated["closed_at"]) == ("2026-05-05T17:00:00+07:00",
                                                     "2026-05-04T17:00:00+07:00")
    assert ev["5"]["ward_code"] == "09043"  # pre-2025 province Vĩnh Phúc
    assert (ev["5"]["type"], ev["5"]["agency_code"]) == ("assigned", "CAT-25")
    # Neither coordinates nor address; a Sunday-free SLA across Hùng Kings' day (27 Apr).
    assert (ev["6"]["ward_code"], ev["6"]["ward_code_reason"]) == (None,
                                                                   geo.REASON_NO_LOCATION)
    assert ev["6"]["due_at"] == "2026-04-28T07:50:00+07:00"
    assert (ev["7"]["ward_code"], ev["7"]["ward_code_reason"]) == (None, geo.REASON_OUTSIDE)
    assert ev["8"]["error"].startswith("column 'Ngày tiếp nhận' (received_at): cannot read")
    assert ev["9"]["error"].startswith("column 'Kênh' (channel): unknown value 'Fax'")


def test_bad_rows_name_the_column_never_the_text(mapping, tmp_path):
    path = tmp_path / "pakn.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Mã phản ánh", "Ngày tiếp nhận", "Lĩnh vực", "Đơn vị xử lý", "Vĩ độ",
                    "Kinh độ", "Địa chỉ", "Nội dung"])
        w.writerow(["P1", "20/04/2026", "Giao thông", "Sở Không Có", "", "", "",
                    "Gọi 0912345678"])
        w.writerow(["P2", "20/04/2026", "Giao thông", "", "21,3 độ", "105.3",
                    "số 5 ngõ 7 đường Trần Phú", "Nhà ông Nguyễn Văn A"])
        w.writerow(["", "20/04/2026", "Giao thông", "", "", "", "", "x"])
        w.writerow(["P4", "20/04/2026", "", "", "", "", "", "x"])
    ev = _events(path, mapping)
    assert ev["2"]["error"] == ("column 'Đơn vị xử lý' (agency_code): unknown agency "
                                "'Sở Không Có' in province 25")
    assert ev["3"]["error"] == "column 'Vĩ độ' (lat): not a number"
    assert "Nguyễn" not in ev["3"]["error"] and "Trần Phú" not in ev["3"]["error"]
    assert ev["4"]["error"] == "column 'Mã phản ánh' (feedback_id): empty"
    assert ev["5"]["error"] == "column 'Lĩnh vực' (category): empty"


def test_file_without_feedback_id_column_is_refused(mapping, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("Mã hồ sơ,Ngày tiếp nhận\nH1,20/04/2026\n", encoding="utf-8")
    with pytest.raises(MappingError, match="'Mã phản ánh'.*feedback_id"):
        OneStopFileSource(path, mapping)


def test_csv_and_xlsx_import_to_broker_with_dead_letters(mapping, tmp_path, broker, engine):
    rows = list(csv.reader(SAMPLE.open(encoding="utf-8")))
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    xlsx = tmp_path / "hotline.xlsx"
    wb.save(xlsx)
    producer = make_producer(broker.bootstrap)
    try:
        for path in (SAMPLE, xlsx):
            stats = run_until_idle(ConnectorRuntime(OneStopFileSource(path, mapping),
                                                    producer, engine), timeout=60)
            assert (stats.produced, stats.dead, stats.errors) == (6, 2, 0)
    finally:
        producer.close()
    events = [json.loads(r.value) for r in read_topic(broker.bootstrap, "ioc.feedback.v1", 12)]
    assert len(events) == 12
    # The same reports from both files: the same event ids (re-import changes nothing).
    assert len({e["event_id"] for e in events}) == 6
    assert all("0912 345 678" not in (e["text"] or "") for e in events)  # redacted
    dlq = read_topic(broker.bootstrap, "ioc.dlq", 4)
    heads = sorted((h["file"], h["row"], h["stage"]) for h in
                    ({k: v.decode() for k, v in m.headers} for m in dlq))
    assert heads == [("hotline.xlsx", "8", "map"), ("hotline.xlsx", "9", "map"),
                     ("hotline_1022_export.csv", "8", "map"),
                     ("hotline_1022_export.csv", "9", "map")]
