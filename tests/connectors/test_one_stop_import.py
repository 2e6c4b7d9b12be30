"""One-stop-shop exports (CSV, XLSX) → ioc.dossier.v1 through the real broker and database;
bad rows → ioc.dlq with file, row and a reason naming the column; mapping edge cases."""

from __future__ import annotations

import json
import unicodedata
from datetime import date, datetime

import pytest
import yaml
from kafka import KafkaProducer
from openpyxl import Workbook
from sqlalchemy import Engine

from connectors.base import Source
from connectors.files.mapping import DEFAULT_MAPPING_PATH, ColumnMapping, MappingError
from connectors.files.one_stop import OneStopFileSource
from connectors.runtime import ConnectorRuntime, ConnectorStats, run_until_idle
from ioc.events.contracts import DOSSIER_CONTRACT, validate_event
from ioc.reference.calendar import TZ, add_working_days, is_working_day
from streams.clients import make_producer
from streams.lag import end_offsets
from tests import REPO_ROOT
from tests.helpers import read_topic

HEADERS = ["Mã hồ sơ", "Mã thủ tục", "Tên thủ tục", "Lĩnh vực", "Cơ quan", "Mã cơ quan",
           "Mã xã", "Hình thức nộp", "Ngày tiếp nhận", "Hạn xử lý", "Ngày có kết quả",
           "Trạng thái", "Đánh giá"]
ROOT = REPO_ROOT


@pytest.fixture(scope="module")
def mapping() -> ColumnMapping:
    return ColumnMapping.load(DEFAULT_MAPPING_PATH)


def row(**cells: object) -> dict[str, object]:
    """A good commune-level export row; keyword names are the headers with _ for spaces."""
    base: dict[str, object] = {
        "Mã hồ sơ": "H25.08494-001", "Mã thủ tục": "1.004873", "Tên thủ tục": "",
        "Lĩnh vực": "", "Cơ quan": "UBND xã Lâm Thao", "Mã cơ quan": "UBND-08494",
        "Mã xã": "08494", "Hình thức nộp": "Trực tiếp", "Ngày tiếp nhận": "20/04/2026 09:00",
        "Hạn xử lý": "", "Ngày có kết quả": "", "Trạng thái": "", "Đánh giá": "",
    }
    base.update({k.replace("_", " "): v for k, v in cells.items()})
    return base


def _run(source: Source, producer: KafkaProducer, engine: Engine) -> ConnectorStats:
    # Bounded: a source that never goes idle fails the test instead of hanging it.
    return run_until_idle(ConnectorRuntime(source, producer, engine), timeout=60)


# ---------------------------------------------------------------------- mapping unit tests

def test_due_date_computed_across_weekend_and_holiday(mapping):
    # Friday 24/04/2026, date only → 07:30; 3 working days: Fri 24, (Sat, Sun, Mon 27 = Hùng
    # Kings' day observed), Tue 28, Wed 29 → by 17:00 on Wednesday.
    assert not is_working_day(date(2026, 4, 27))  # the holiday rule, from ioc.reference.calendar
    ev = mapping.map_record(row(Ngày_tiếp_nhận="24/04/2026"))
    assert ev["received_at"] == "2026-04-24T07:30:00+07:00"
    assert ev["due_at"] == "2026-04-29T17:00:00+07:00"
    # Wed 29/04 09:00: Thu 30/04 and Fri 01/05 are holidays, then a weekend.
    ev = mapping.map_record(row(Ngày_tiếp_nhận="29/04/2026 09:00"))
    assert ev["due_at"] == "2026-05-06T09:00:00+07:00"
    assert ev["due_at"] == add_working_days(datetime(2026, 4, 29, 9, tzinfo=TZ), 3).isoformat()


def test_full_event_fields_and_catalogue_fill(mapping):
    ev = mapping.map_record(row(Ngày_có_kết_quả="22/04/2026 10:00:00",
                                Trạng_thái="  đã TRẢ   kết quả ", Đánh_giá="Hài lòng"))
    assert validate_event(DOSSIER_CONTRACT, ev) == []
    assert set(ev) == set(DOSSIER_CONTRACT.fields)
    # A completed dossier with a rating is "rated" so a later export adding it wins.
    assert (ev["type"], ev["seq"], ev["rating"]) == ("rated", 7, "satisfied")
    assert ev["event_id"] == "one-stop-import:H25.08494-001:7"
    assert ev["schema"] == "ioc.dossier.v1" and ev["province_code"] == "25"
    assert ev["procedure_name"] == "Cấp giấy xác nhận tình trạng hôn nhân"  # from the catalogue
    assert (ev["sector"], ev["level"], ev["online_eligible"]) == ("Hộ tịch", "commune", True)
    assert ev["completed_at"] == ev["occurred_at"] == "2026-04-22T10:00:00+07:00"
    assert ev["channel"] == "in_person" and ev["ward_code_reason"] is None


def test_date_only_result_on_due_date_is_on_time(mapping):
    ev = mapping.map_record(row(Hạn_xử_lý="23/04/2026", Ngày_có_kết_quả="23/04/2026",
                                Trạng_thái="Đã trả kết quả"))
    assert ev["due_at"] == ev["completed_at"] == "2026-04-23T17:00:00+07:00"
    # "dd/mm/yyyy 00:00:00" is how many exports print a date: same as date-only.
    ev2 = mapping.map_record(row(Ngày_tiếp_nhận="20/04/2026 00:00:00",
                                 Hạn_xử_lý="23/04/2026 00:00:00"))
    assert ev2["received_at"] == "2026-04-20T07:30:00+07:00"
    assert ev2["due_at"] == "2026-04-23T17:00:00+07:00"


def test_status_derivation_and_lifecycle_seq(mapping):
    received = mapping.map_record(row())
    done = mapping.map_record(row(Ngày_có_kết_quả="21/04/2026 15:00"))  # no status column
    assert (received["type"], received["seq"]) == ("received", 1)
    assert (done["type"], done["seq"]) == ("completed", 6)
    assert done["seq"] > received["seq"]  # a later export of the same dossier wins
    waiting = mapping.map_record(row(Trạng_thái="Chờ bổ sung"))
    assert (waiting["type"], waiting["seq"]) == ("supplement_requested", 3)
    # Returned: no completed_at, but the result date still dates the event.
    ret = mapping.map_record(row(Trạng_thái="Trả lại", Ngày_có_kết_quả="22/04/2026"))
    assert (ret["type"], ret["seq"], ret["completed_at"]) == ("returned", 6, None)
    assert ret["occurred_at"] == "2026-04-22T17:00:00+07:00"
    with pytest.raises(MappingError, match="'Ngày có kết quả'.*empty but status is 'completed'"):
        mapping.map_record(row(Trạng_thái="Đã trả kết quả"))


@pytest.mark.parametrize(("cells", "column", "detail"), [
    ({"Ngày_tiếp_nhận": "31/02/2026"}, "Ngày tiếp nhận", "cannot read date '31/02/2026'"),
    ({"Hình_thức_nộp": "Fax"}, "Hình thức nộp", "unknown value 'Fax'"),
    ({"Mã_hồ_sơ": "  "}, "Mã hồ sơ", "empty"),
    ({"Trạng_thái": "Đã lưu kho"}, "Trạng thái", "unknown value 'Đã lưu kho'"),
    ({"Mã_thủ_tục": "9.999999"}, "Hạn xử lý", "procedure '9.999999'"),
    ({"Hạn_xử_lý": "ngày mai"}, "Hạn xử lý", "cannot read date"),
])
def test_mapping_errors_name_the_column(mapping, cells, column, detail):
    with pytest.raises(MappingError) as err:
        mapping.map_record(row(**cells))
    assert f"column {column!r}" in str(err.value) and detail in str(err.value)


def test_unknown_procedure_with_due_date_is_kept(mapping):
    ev = mapping.map_record(row(Mã_thủ_tục="9.999999", Tên_thủ_tục="Thủ tục đặc thù",
                                Hạn_xử_lý="30/04/2026 17:00"))
    assert ev["procedure_name"] == "Thủ tục đặc thù" and ev["level"] is None  # → validate DLQ
    assert "level: required" in validate_event(DOSSIER_CONTRACT, ev)


def test_spreadsheet_cells_and_header_variants(mapping):
    # XLSX gives real datetimes/dates and numbers; NFD headers come from some Mac exports.
    rec = {unicodedata.normalize("NFD", k): v for k, v in row(
        Ngày_tiếp_nhận=datetime(2026, 4, 20, 8, 15), Ngày_có_kết_quả=date(2026, 4, 21),
        Mã_xã=8494, Hình_thức_nộp=" trực  TUYẾN ", Trạng_thái="Đã có kết quả").items()}
    ev = mapping.map_record(rec)
    assert ev["received_at"] == "2026-04-20T08:15:00+07:00"
    assert ev["completed_at"] == "2026-04-21T17:00:00+07:00"
    assert ev["ward_code"] == "08494" and ev["channel"] == "online"
    iso = mapping.map_record(row(Ngày_tiếp_nhận="2026-04-20T01:15:00+00:00"))
    assert iso["received_at"] == "2026-04-20T08:15:00+07:00"


def test_missing_ward_gets_reason_and_agency_from_catalogue(mapping):
    ev = mapping.map_record(row(Mã_thủ_tục="1.004194", Mã_xã="", Mã_cơ_quan="", Cơ_quan=""))
    assert ev["ward_code"] is None and ev["ward_code_reason"] == "không có mã xã trong tệp"
    assert (ev["agency_code"], ev["agency_name"]) == ("CAT-25", "Công an tỉnh Phú Thọ")
    assert validate_event(DOSSIER_CONTRACT, ev) == []


def test_json_records_nested_keys_booleans_and_money():
    m = ColumnMapping.from_dict({
        "constants": {"province_code": 25, "source": "dvc-api"},
        "fields": {"dossier_id": "code", "procedure_code": "procedure.code",
                   "agency_code": "agency.code", "ward_code": "applicant.ward",
                   "channel": "channel", "received_at": "received", "status": "state",
                   "applicant_kind": "applicant.kind", "fee_vnd": "fee",
                   "paid_online": "paid_online", "digitized": "digitized"},
        "values": {"applicant_kind": {"Cá nhân": "citizen", "Doanh nghiệp": "business"},
                   "paid_online": {"Đã thanh toán": True}},
    })
    ev = m.map_record({"code": "A1", "procedure": {"code": "2.001610"},
                       "agency": {"code": "STC-25"}, "applicant": {"ward": "7900",
                                                                    "kind": "doanh nghiệp"},
                       "channel": "online", "received": "2026-04-21T14:20:00+07:00",
                       "state": "in_progress", "fee": "50.000 đ", "paid_online": "Đã thanh toán",
                       "digitized": "Có"})
    assert validate_event(DOSSIER_CONTRACT, ev) == []
    assert (ev["province_code"], ev["ward_code"], ev["applicant_kind"]) == ("25", "07900",
                                                                            "business")
    assert (ev["fee_vnd"], ev["paid_online"], ev["digitized"]) == (50000, True, True)
    assert (ev["type"], ev["event_id"]) == ("in_progress", "dvc-api:A1:2")
    assert ev["agency_name"] == "Sở Tài chính tỉnh Phú Thọ"
    with pytest.raises(MappingError, match="column 'digitized' .*unknown value 'Chắc vậy'"):
        m.map_record({"code": "A1", "procedure": {"code": "2.001610"}, "channel": "online",
                      "received": "2026-04-21T14:20:00+07:00", "digitized": "Chắc vậy"})


def test_bad_mapping_files_are_refused(tmp_path):
    with pytest.raises(MappingError, match="values.channel.Fax: 'fax' is not one of"):
        ColumnMapping.from_dict({"fields": {"dossier_id": "Mã hồ sơ"},
                                 "values": {"channel": {"Fax": "fax"}}})
    with pytest.raises(MappingError, match="fields.dossier_no: not a mappable field"):
        ColumnMapping.from_dict({"fields": {"dossier_id": "Mã", "dossier_no": "Số"}})
    with pytest.raises(MappingError, match="fields.dossier_id is required"):
        ColumnMapping.from_dict({"fields": {"procedure_code": "Mã thủ tục"}})


def test_shipped_sample_maps_with_shipped_mapping(mapping):
    source = OneStopFileSource(ROOT / "docs/samples/one_stop_export.csv", mapping)
    batch = source.poll(None)
    assert batch is not None and source.poll(batch.cursor) is None
    good = [r.event for r in batch.records if r.event is not None]
    bad = [r for r in batch.records if r.event is None]
    assert len(good) >= 8 and all(validate_event(DOSSIER_CONTRACT, e) == [] for e in good)
    assert len(bad) == 1 and "'Ngày tiếp nhận'" in (bad[0].error or "")


# ---------------------------------------------------------------------- through the broker

def _dlq_by_row(bootstrap: str, expect: int) -> dict[str, dict[str, str]]:
    out = {}
    for rec in read_topic(bootstrap, "ioc.dlq", expect=expect):
        h = {k: v.decode() for k, v in rec.headers}
        out[h["row"]] = {**h, "raw": rec.value.decode()}
    return out


def _by_id(bootstrap: str, expect: int) -> dict[str, dict]:
    recs = read_topic(bootstrap, "ioc.dossier.v1", expect=expect)
    events = [json.loads(r.value) for r in recs]
    assert len(events) == expect
    return {e["dossier_id"]: e for e in events}


def _ends(bootstrap: str) -> int:
    return sum(end_offsets(bootstrap, ["ioc.dossier.v1", "ioc.dlq"]).values())


def test_csv_import_good_rows_dead_letters_resume_and_rerun(broker, engine, tmp_path, mapping):
    rows = [
        row(Mã_hồ_sơ="D-1", Ngày_tiếp_nhận="24/04/2026", Trạng_thái="Đã tiếp nhận"),
        row(Mã_hồ_sơ="D-2", Mã_thủ_tục="2.001610", Mã_cơ_quan="STC-25", Mã_xã="07900",
            Cơ_quan="Sở Tài chính tỉnh Phú Thọ", Hình_thức_nộp=" trực tuyến ",
            Ngày_tiếp_nhận="21/04/2026 14:20", Hạn_xử_lý="24/04/2026",
            Ngày_có_kết_quả="24/04/2026", Trạng_thái="Đã trả kết quả", Đánh_giá="Hài lòng"),
        row(Mã_hồ_sơ="D-3", Ngày_tiếp_nhận="31/02/2026"),
        None,  # a blank line: skipped, but row numbers keep counting
        row(Mã_hồ_sơ="D-4", Hình_thức_nộp="Fax"),
        row(Mã_hồ_sơ="D-5", Ngày_tiếp_nhận="10/04/2026 09:00",
            Ngày_có_kết_quả="08/04/2026 10:00", Trạng_thái="Đã trả kết quả"),
        row(Mã_hồ_sơ=""),
        row(Mã_hồ_sơ="D-6", Mã_thủ_tục="1.004194", Mã_cơ_quan="", Cơ_quan="", Mã_xã="",
            Hình_thức_nộp="Trực tuyến", Ngày_tiếp_nhận="29/04/2026 09:00",
            Trạng_thái="Đang xử lý"),
    ]
    lines = [";".join(HEADERS)] + [";".join(str(r[h]) for h in HEADERS) if r else ";;;"
                                   for r in rows]
    path = tmp_path / "xuat_ho_so.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")  # Excel's BOM

    producer = make_producer(broker.bootstrap)
    try:
        # Crash after the first batch (2 rows), then a fresh process resumes from the DB.
        first = ConnectorRuntime(OneStopFileSource(path, mapping, batch_size=2), producer,
                                 engine).run_once()
        assert first is not None and (first.produced, first.dead) == (2, 0)
        stats = _run(OneStopFileSource(path, mapping, batch_size=2), producer, engine)
        assert (stats.produced, stats.dead, stats.errors) == (1, 4, 0)

        events = _by_id(broker.bootstrap, expect=3)
        assert sorted(events) == ["D-1", "D-2", "D-6"]
        d1, d2, d6 = events["D-1"], events["D-2"], events["D-6"]
        assert d1["due_at"] == "2026-04-29T17:00:00+07:00"  # Fri + 3 across Hùng Kings' day
        assert (d1["type"], d1["seq"], d1["event_id"]) == ("received", 1,
                                                           "one-stop-import:D-1:1")
        assert d2["completed_at"] == d2["due_at"] == "2026-04-24T17:00:00+07:00"  # on time
        assert (d2["type"], d2["channel"], d2["level"]) == ("rated", "online", "province")
        assert d6["due_at"] == "2026-05-12T09:00:00+07:00"  # 7 days over 30/4 and 1/5
        assert (d6["ward_code"], d6["ward_code_reason"]) == (None, "không có mã xã trong tệp")
        assert d6["agency_code"] == "CAT-25" and d6["type"] == "in_progress"

        dlq = _dlq_by_row(broker.bootstrap, expect=4)
        assert sorted(dlq, key=int) == ["4", "6", "7", "8"]  # header row 1, blank row 5
        assert {h["file"] for h in dlq.values()} == {"xuat_ho_so.csv"}
        assert dlq["4"]["stage"] == "map" and "'Ngày tiếp nhận'" in dlq["4"]["reason"]
        assert "31/02/2026" in dlq["4"]["reason"]
        assert dlq["6"]["stage"] == "map" and "'Hình thức nộp'" in dlq["6"]["reason"]
        assert "'Fax'" in dlq["6"]["reason"]
        assert dlq["7"]["stage"] == "validate" and "completed_at" in dlq["7"]["reason"]
        assert "before received_at" in dlq["7"]["reason"]
        assert dlq["8"]["stage"] == "map" and "'Mã hồ sơ'" in dlq["8"]["reason"]
        assert json.loads(dlq["6"]["raw"])["Hình thức nộp"] == "Fax"  # original row kept
        assert dlq["4"]["original_topic"] == "ioc.dossier.v1"

        before = _ends(broker.bootstrap)
        again = _run(OneStopFileSource(path, mapping), producer, engine)
        assert (again.produced, again.dead, again.batches) == (0, 0, 0)
        assert _ends(broker.bootstrap) == before
    finally:
        producer.close()


def test_xlsx_import_sheet_header_row_and_cells(broker, engine, tmp_path, mapping):
    spec = yaml.safe_load(DEFAULT_MAPPING_PATH.read_text(encoding="utf-8"))
    spec.update(header_row=3, sheet="Hồ sơ")
    mapping_path = tmp_path / "mapping.yaml"
    mapping_path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    xmap = ColumnMapping.load(mapping_path)

    wb = Workbook()
    wb.active.title = "Hướng dẫn"
    wb.active.append(["Sheet đầu tiên không phải dữ liệu"])
    ws = wb.create_sheet("Hồ sơ")
    ws.append(["BÁO CÁO TÌNH HÌNH GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH"])
    ws.append([])
    ws.append(HEADERS)

    def cells(**kw: object) -> list[object]:
        r = row(**kw)
        return [None if r[h] == "" else r[h] for h in HEADERS]

    ws.append(cells(Mã_hồ_sơ="X-1", Mã_thủ_tục="1.001193", Mã_xã=8494,
                    Ngày_tiếp_nhận=datetime(2026, 4, 20, 8, 15),
                    Ngày_có_kết_quả=datetime(2026, 4, 20, 10, 30), Trạng_thái="Đã trả kết quả"))
    ws.append(cells(Mã_hồ_sơ="X-2", Ngày_tiếp_nhận=date(2026, 4, 24), Trạng_thái="Chờ bổ sung"))
    ws.append(cells(Mã_hồ_sơ="X-3", Ngày_tiếp_nhận="31/02/2026"))
    ws.append(cells(Mã_hồ_sơ="X-4", Ngày_tiếp_nhận=datetime(2026, 4, 10, 9),
                    Ngày_có_kết_quả=datetime(2026, 4, 8, 10), Trạng_thái="Đã trả kết quả"))
    ws.append([])
    ws.append(cells(Mã_hồ_sơ=None))
    ws.append(cells(Mã_hồ_sơ="X-5", Hình_thức_nộp="Fax"))
    path = tmp_path / "bao_cao.xlsx"
    wb.save(path)

    producer = make_producer(broker.bootstrap)
    try:
        stats = _run(OneStopFileSource(path, xmap), producer, engine)
        assert (stats.produced, stats.dead, stats.errors) == (2, 4, 0)
        events = _by_id(broker.bootstrap, expect=2)
        x1, x2 = events["X-1"], events["X-2"]
        assert x1["ward_code"] == "08494"  # the number cell got its leading zero back
        assert x1["due_at"] == "2026-04-20T13:45:00+07:00"  # 08:15 + half a day (4 office h)
        assert (x1["type"], x1["completed_at"]) == ("completed", "2026-04-20T10:30:00+07:00")
        assert x2["received_at"] == "2026-04-24T07:30:00+07:00"
        assert x2["due_at"] == "2026-04-29T17:00:00+07:00"
        assert (x2["type"], x2["seq"]) == ("supplement_requested", 3)

        dlq = _dlq_by_row(broker.bootstrap, expect=4)
        assert sorted(dlq, key=int) == ["6", "7", "9", "10"]  # rows as Excel numbers them
        assert {h["file"] for h in dlq.values()} == {"bao_cao.xlsx"}
        assert dlq["6"]["stage"] == "map" and "'Ngày tiếp nhận'" in dlq["6"]["reason"]
        assert json.loads(dlq["6"]["raw"])["Ngày tiếp nhận"] == "31/02/2026"
        assert dlq["7"]["stage"] == "validate" and "completed_at" in dlq["7"]["reason"]
        assert dlq["9"]["stage"] == "map" and "'Mã hồ sơ'" in dlq["9"]["reason"]
        assert dlq["10"]["stage"] == "map" and "'Hình thức nộp'" in dlq["10"]["reason"]

        before = _ends(broker.bootstrap)
        again = _run(OneStopFileSource(path, xmap), producer, engine)
        assert (again.produced, again.dead) == (0, 0)
        assert _ends(broker.bootstrap) == before
    finally:
        producer.close()


def test_file_without_essential_columns_is_refused(tmp_path, mapping):
    path = tmp_path / "sai_mau.csv"
    path.write_text("Số TT,Tên thủ tục,Ngày nộp\n1,Đăng ký khai sinh,20/04/2026\n",
                    encoding="utf-8")
    with pytest.raises(MappingError, match="no column 'Mã hồ sơ' / 'Số hồ sơ' \\(dossier_id\\)"):
        OneStopFileSource(path, mapping)


def test_raw_status_without_value_map_is_refused():
    m = ColumnMapping.from_dict({"constants": {"province_code": "25"},
                                 "fields": {"dossier_id": "id", "procedure_code": "proc",
                                            "received_at": "at", "status": "state"}})
    rec = {"id": "A", "proc": "1.004873", "at": "20/04/2026"}
    assert m.map_record({**rec, "state": "in_progress"})["type"] == "in_progress"
    with pytest.raises(MappingError, match="column 'state' \\(status\\): unknown value 'Xong'"):
        m.map_record({**rec, "state": "Xong"})
