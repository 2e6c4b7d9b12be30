"""The hand-computed feedback scenario: the correctness proof of every feedback KPI.

Forty reports go through the real pipeline — hotline 1022 CSV exports read by the one-stop
import connector (column mapping hotline_vi.yaml, deadlines from the SLA rules in the database,
communes from addresses and coordinates), the embedded broker, the aggregator (small batches),
SQLite / PostgreSQL — and every feedback KPI is asserted against figures computed BY HAND
below. The final export is imported twice (duplicates) and an older snapshot of some reports
after it (out-of-order, older stages): both must change nothing.

NOW = Wed 25 Feb 2026 10:20 local. All times local (UTC+7). Office hours 07:30–11:30 and
13:00–17:00; weekends and Tết (Mon 16 – Fri 20 Feb 2026) are off. 1 working day = 8 h.

SLA rules: the catalogue seed (môi trường 3, giao thông 3, trật tự đô thị 3, đất đai 10,
điện nước 2, an ninh trật tự 2, y tế 3, khác 3) plus, set before the import:
- môi trường 2 working days from 09/02/2026 (a category rule: A2 received before keeps 3);
- giao thông 5 working days for agency SXD-25 from 01/02/2026 (A3; A4 at UBND keeps 3).

Reports (received → deadline by hand; responded / closed; rating):
- A1 hotline môi trường SNNMT  Thu 12 Feb 09:00, SLA 2: Thu 6.5 h + Fri 8 h + (Tết, weekends)
  Mon 23 1.5 h → due Mon 23 Feb 09:00. Open.
- A2 hotline môi trường SNNMT  Fri 6 Feb 10:00, SLA 3 (before the rule): Fri 5.5 + Mon 8 + Tue
  8 + Wed 2.5 → due Wed 11 Feb 10:00. Responded Tue 10 14:00, closed Wed 11 09:00 (in no 7d
  window).
- A3 zalo giao thông SXD-25 Fri 13 Feb 14:00, SLA 5: Fri 3 + Mon 23..Thu 26 32 + Fri 27 5 →
  due Fri 27 Feb 14:00. Responded Tue 24 10:00 (3 + 8 + 2.5 = 13.5 h = 1.6875 d). Open.
- A4 hotline giao thông UBND Fri 13 Feb 14:00, SLA 3: Fri 3 + Mon 8 + Tue 8 + Wed 5 → due Wed
  25 Feb 14:00. Closed Wed 25 09:00 without a reply (response = close: 3 + 8 + 8 + 1.5 =
  20.5 h = 2.5625 d), on time, satisfied.
- A5 web đất đai SNNMT Mon 2 Feb 08:00, SLA 10: Mon 7.5 + 9 days 72 + Mon 23 0.5 → due Mon 23
  Feb 08:00. Responded Fri 13 10:00 (7.5 + 64 + 2.5 = 74 h = 9.25 d), closed Tue 24 15:00
  (79.5 + 8 + 6 = 93.5 h = 11.6875 d), late, unsatisfied.
- B01–B10 trật tự đô thị UBND Mon 23 Feb 08:00, SLA 3: Mon 7.5 + Tue 8 + Wed 8 + Thu 0.5 → due
  Thu 26 Feb 08:00. B01–B05 zalo, B06–B10 web.
  B01–B03 closed Tue 24 16:00 without a reply (7.5 + 7 = 14.5 h = 1.8125 d), on time; B01 B02
  satisfied, B03 neutral. B04 responded Tue 24 09:00 (9 h = 1.125 d), closed Wed 25 10:00
  (18 h = 2.25 d), on time, not rated. B05 B06 responded Tue 24 15:00 (13.5 h = 1.6875 d),
  open. B07–B10 open.
- C01–C08 hotline y tế SYT-25 Tue 10 Feb 09:00, SLA 3: Tue 6.5 + Wed 8 + Thu 8 + Fri 1.5 → due
  Fri 13 Feb 09:00. C01–C04 responded Wed 11 14:00 (6.5 + 5 = 11.5 h = 1.4375 d), closed Thu
  12 09:00 (16 h = 2 d); C05 closed Thu 12 09:00 without a reply (2 d); all five on time;
  C01–C03 satisfied, C04 neutral. C06–C08 closed Tue 24 09:00 without a reply (6.5 + 8 + 8 +
  8 + 8 + 1.5 = 40 h = 5 d), late; C06 C07 unsatisfied, C08 satisfied.
- D01–D06 hotline khác SNV-25 Mon 5 Jan 09:00, SLA 3 → due Thu 8 Jan 09:00. Open (> 15 d old).
- E1 hotline môi trường SNNMT, coordinates in Hà Nội (outside the province → ward '' with a
  reason), Tue 24 Feb 09:00, SLA 2: Tue 6.5 + Wed 8 + Thu 1.5 → due Thu 26 Feb 09:00. Open.
- E2 facebook điện nước SCT-25, only a legacy address (phường Gia Cẩm, thành phố Việt Trì →
  2025 commune 07900), Mon 23 Feb 13:00, SLA 2: Mon 4 + Tue 8 + Wed 4 → due Wed 25 Feb 11:30.
  Responded Mon 23 16:00 (3 h = 0.375 d). Open.
- F01–F09 app an ninh trật tự CAT-25 Sat 21 Feb 10:00 (weekend: counts from Mon 23 07:30),
  SLA 2 → due Tue 24 Feb 17:00. F01–F05 responded Mon 23 10:00 (2.5 h = 0.3125 d), closed Tue
  24 16:00 (8 + 7 = 15 h = 1.875 d), on time, F01–F04 satisfied. F06 F07 closed Wed 25
  09:30 without a reply (8 + 8 + 2 = 18 h = 2.25 d), late, F06 unsatisfied. F08 F09 open.

Windows (ioc.kpis.windows): 7d = [Wed 18 Feb 11:00, Wed 25 Feb 11:00), state at NOW, near-due
horizon NOW + 1 working day = Thu 26 10:20. Previous = [Wed 11 Feb 11:00, Wed 18 Feb 11:00),
state at Wed 18 11:00 — a Tết day, so its office time is that of Fri 13 17:00 / Mon 23 07:30 and
its near-due horizon Mon 23 Feb 17:00.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from connectors.files.mapping import ColumnMapping
from connectors.files.one_stop import OneStopFileSource
from connectors.runtime import ConnectorRuntime, run_until_idle
from ioc.db import schema as s
from ioc.db.engine import make_engine
from ioc.db.migrate import upgrade
from ioc.feedback.sla import install_policy
from ioc.feedback.sla_store import load_policy, set_rule
from ioc.kpis.feedback_kpis import FEEDBACK_KPIS
from ioc.kpis.feedback_values import backlog_age, feedback_breakdown, feedback_kpis
from ioc.kpis.values import compute_kpis
from ioc.kpis.windows import resolve
from ioc.reference import geo
from ioc.reference.calendar import TZ
from streams.aggregator import Aggregator
from streams.broker import EmbeddedBroker
from streams.clients import make_producer
from streams.topics import ensure_topics
from tests.helpers import drain, reset_database

NOW = datetime(2026, 2, 25, 10, 20, tzinfo=TZ)
MAPPING = Path(__file__).resolve().parents[3] / "connectors/files/mappings/hotline_vi.yaml"
HEADER = ("Mã phản ánh,Ngày tiếp nhận,Kênh,Lĩnh vực,Đơn vị xử lý,Hạn xử lý,Ngày trả lời,"
          "Ngày hoàn thành,Trạng thái,Đánh giá,Địa chỉ,Vĩ độ,Kinh độ,Nội dung")
LAM_THAO = '"thôn 3, xã Lâm Thao, tỉnh Phú Thọ"'
LEGACY = '"phường Gia Cẩm, thành phố Việt Trì, tỉnh Phú Thọ"'
OPEN, REPLIED, CLOSED = "Mới tiếp nhận", "Đã trả lời", "Đã xử lý"


def _row(fid: str, received: str, channel: str, category: str, agency: str,
         replied: str = "", closed: str = "", rating: str = "", where: str = LAM_THAO,
         lat: str = "", lon: str = "") -> str:
    status = CLOSED if closed else REPLIED if replied else OPEN
    return (f"{fid},{received},{channel},{category},{agency},,{replied},{closed},{status},"
            f"{rating},{where},{lat},{lon},Nội dung phản ánh {fid}")


def _final_rows() -> list[str]:
    rows = [
        _row("A1", "12/02/2026 09:00", "Tổng đài 1022", "Môi trường", "SNNMT-25"),
        _row("A2", "06/02/2026 10:00", "Tổng đài 1022", "Môi trường", "SNNMT-25",
             "10/02/2026 14:00", "11/02/2026 09:00"),
        _row("A3", "13/02/2026 14:00", "Zalo", "Giao thông", "SXD-25", "24/02/2026 10:00"),
        _row("A4", "13/02/2026 14:00", "Tổng đài 1022", "Giao thông", "UBND-08494", "",
             "25/02/2026 09:00", "Hài lòng"),
        _row("A5", "02/02/2026 08:00", "Cổng thông tin", "Đất đai", "SNNMT-25",
             "13/02/2026 10:00", "24/02/2026 15:00", "Không hài lòng"),
    ]
    for i in range(1, 11):
        ch = "Zalo" if i <= 5 else "Cổng thông tin"
        kw: dict[str, str] = {}
        if i <= 3:
            kw = {"closed": "24/02/2026 16:00",
                  "rating": "Hài lòng" if i <= 2 else "Bình thường"}
        elif i == 4:
            kw = {"replied": "24/02/2026 09:00", "closed": "25/02/2026 10:00"}
        elif i <= 6:
            kw = {"replied": "24/02/2026 15:00"}
        rows.append(_row(f"B{i:02}", "23/02/2026 08:00", ch, "Trật tự đô thị", "UBND-08494",
                         **kw))
    for i in range(1, 9):
        if i <= 4:
            kw = {"replied": "11/02/2026 14:00", "closed": "12/02/2026 09:00",
                  "rating": "Hài lòng" if i <= 3 else "Bình thường"}
        elif i == 5:
            kw = {"closed": "12/02/2026 09:00"}
        else:
            kw = {"closed": "24/02/2026 09:00",
                  "rating": "Không hài lòng" if i <= 7 else "Hài lòng"}
        rows.append(_row(f"C{i:02}", "10/02/2026 09:00", "Tổng đài 1022", "Y tế", "SYT-25",
                         **kw))
    rows += [_row(f"D{i:02}", "05/01/2026 09:00", "Tổng đài 1022", "Khác", "SNV-25")
             for i in range(1, 7)]
    rows += [
        _row("E1", "24/02/2026 09:00", "Tổng đài 1022", "Môi trường", "SNNMT-25", where="",
             lat="21.0278", lon="105.8342"),
        _row("E2", "23/02/2026 13:00", "Facebook", "Điện nước", "SCT-25", "23/02/2026 16:00",
             where=LEGACY),
    ]
    for i in range(1, 10):
        if i <= 5:
            kw = {"replied": "23/02/2026 10:00", "closed": "24/02/2026 16:00",
                  "rating": "Hài lòng" if i <= 4 else ""}
        elif i <= 7:
            kw = {"closed": "25/02/2026 09:30", "rating": "Không hài lòng" if i == 6 else ""}
        else:
            kw = {}
        rows.append(_row(f"F{i:02}", "21/02/2026 10:00", "Ứng dụng", "An ninh trật tự",
                         "CAT-25", **kw))
    return rows


def _stale_rows() -> list[str]:
    """An older export: earlier stages of reports that have moved on since."""
    return [
        _row("B01", "23/02/2026 08:00", "Zalo", "Trật tự đô thị", "UBND-08494"),
        _row("C06", "10/02/2026 09:00", "Tổng đài 1022", "Y tế", "SYT-25"),
        _row("A4", "13/02/2026 14:00", "Tổng đài 1022", "Giao thông", "UBND-08494"),
        _row("F06", "21/02/2026 10:00", "Ứng dụng", "An ninh trật tự", "CAT-25",
             "23/02/2026 10:00"),
    ]


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _backends() -> list[str]:
    return ["sqlite"] + (["postgresql"] if os.environ.get("IOC_TEST_DATABASE_URL") else [])


def _import(bootstrap: str, engine: Engine, path: Path) -> int:
    producer = make_producer(bootstrap)
    try:
        stats = run_until_idle(ConnectorRuntime(
            OneStopFileSource(path, ColumnMapping.load(MAPPING), batch_size=7), producer,
            engine), timeout=60)
    finally:
        producer.close()
    return stats.produced


@pytest.fixture(scope="module", params=_backends())
def scenario(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    tmp = tmp_path_factory.mktemp(f"feedback-{request.param}")
    url = (os.environ["IOC_TEST_DATABASE_URL"] if request.param == "postgresql"
           else f"sqlite:///{tmp / 'ioc.db'}")
    engine = make_engine(url)
    if engine.dialect.name != "sqlite":
        reset_database(engine)
    upgrade(engine)
    before = datetime(2026, 1, 2, tzinfo=UTC)  # the rules were set before the reports came
    set_rule(engine, "môi trường", 2, "scenario", valid_from=date(2026, 2, 9),
             reason="Quy chế mới", now=before)
    set_rule(engine, "giao thông", 5, "scenario", agency_code="SXD-25",
             valid_from=date(2026, 2, 1), reason="Sở Xây dựng", now=before)
    install_policy(lambda: load_policy(engine))  # what the composition root does
    final = _write(tmp / "pakn-final.csv", _final_rows())
    try:
        with EmbeddedBroker(log_path=tmp / "broker.log") as broker:
            ensure_topics(broker.bootstrap, 3)
            agg = Aggregator(broker.bootstrap, engine, group="g-feedback", max_poll_records=9)
            try:
                assert _import(broker.bootstrap, engine, final) == 40
                # The same export again under another name: 40 duplicate events.
                again = shutil.copy(final, tmp / "pakn-final-again.csv")
                assert _import(broker.bootstrap, engine, Path(again)) == 40
                drain(agg)
                assert _import(broker.bootstrap, engine,
                               _write(tmp / "pakn-older.csv", _stale_rows())) == 4
                drain(agg)
            finally:
                agg.close()
    finally:
        install_policy(None)
    yield engine
    engine.dispose()


def _local(dt: datetime | None) -> datetime | None:
    return None if dt is None else dt.replace(tzinfo=UTC).astimezone(TZ).replace(tzinfo=None)


def test_deadlines_and_communes_fixed_at_receipt(scenario: Engine) -> None:
    f = s.feedback
    with scenario.connect() as conn:
        rows = {r.feedback_id: r for r in conn.execute(select(f))}
    assert len(rows) == 40
    due = {k: _local(rows[k].due_at) for k in ("A1", "A2", "A3", "A4", "A5", "B01", "C01",
                                                "D01", "E1", "E2", "F01")}
    assert due == {
        "A1": datetime(2026, 2, 23, 9, 0),  # môi trường 2 d across Tết
        "A2": datetime(2026, 2, 11, 10, 0),  # received before the 2-day rule: 3 d
        "A3": datetime(2026, 2, 27, 14, 0),  # agency rule SXD-25: 5 d across Tết
        "A4": datetime(2026, 2, 25, 14, 0),  # giao thông at UBND: 3 d across Tết
        "A5": datetime(2026, 2, 23, 8, 0),  # đất đai 10 d
        "B01": datetime(2026, 2, 26, 8, 0),
        "C01": datetime(2026, 2, 13, 9, 0),
        "D01": datetime(2026, 1, 8, 9, 0),
        "E1": datetime(2026, 2, 26, 9, 0),
        "E2": datetime(2026, 2, 25, 11, 30),
        "F01": datetime(2026, 2, 24, 17, 0),  # received on a Saturday
    }
    # outside the province: no commune, and the reason is stored beside it
    assert (rows["E1"].ward_code, rows["E1"].ward_code_reason) == ("", geo.REASON_OUTSIDE)
    assert rows["E2"].ward_code_reason is None
    assert rows["E2"].ward_code == "07900"  # legacy address → 2025 commune
    assert rows["B01"].ward_code == "08494"
    # Stale stages changed nothing: B01 / C06 / A4 stay closed, F06 keeps its close.
    assert {k: rows[k].status for k in ("B01", "C06", "A4", "F06")} == dict.fromkeys(
        ("B01", "C06", "A4", "F06"), "closed")


def test_outside_province_reason_on_the_event(tmp_path: Path) -> None:
    e1 = [r for r in _final_rows() if r.startswith("E1,")]
    batch = OneStopFileSource(_write(tmp_path / "e1.csv", e1),
                              ColumnMapping.load(MAPPING)).poll(None)
    assert batch is not None
    ev = batch.records[0].event
    assert ev is not None and ev["feedback_id"] == "E1"
    assert (ev["ward_code"], ev["ward_code_reason"]) == (None, geo.REASON_OUTSIDE)


# Every feedback KPI at province scope, 7d: (value, previous). Counted from the list above.
PROVINCE_7D: dict[str, tuple[Any, Any]] = {
    # received ≥ Wed 18 11:00: B01–B10, E1, E2, F01–F09 = 21; before: A1 A3 A4 (12–13 Feb)
    "feedback.received": (21, 3),
    # first responses in the window: A3, A4, B01–B06, C06–C08, E2, F01–F07 = 19; before: A5
    # (Fri 13), C01–C05 (Wed 11 14:00 / Thu 12 09:00) = 6
    "feedback.responded": (19, 6),
    # closed: A4 A5 B01–B04 C06–C08 F01–F07 = 16; before: C01–C05 = 5
    "feedback.closed": (16, 5),
    # on time: A4, B01–B04, F01–F05 = 10; before: C01–C05 = 5
    "feedback.closed_on_time": (10, 5),
    # open at NOW: A1 A3 B05–B10 D01–D06 E1 E2 F08 F09 = 18; at Wed 18 11:00: A1 A3 A4 A5
    # C06–C08 D01–D06 = 13
    "feedback.open": (18, 13),
    # overdue at NOW: A1, D01–D06, F08 F09 = 9; then: C06–C08, D01–D06 = 9
    "feedback.overdue_open": (9, 9),
    # NOW ≤ due ≤ Thu 26 10:20: B05–B10 (Thu 08:00), E1 (Thu 09:00), E2 (Wed 11:30) = 8;
    # then (≤ Mon 23 17:00): A1 (Mon 09:00), A5 (Mon 08:00) = 2
    "feedback.near_due": (8, 2),
    "feedback.on_time_rate": (10 / 16, 5 / 5),
    # responses: 0.3125×5 (F) + 0.375 (E2) + 1.125 (B04) + 1.6875×3 (A3 B05 B06)
    # + 1.8125×3 (B01–B03) + 2.25×2 (F06 F07) + 2.5625 (A4) + 5×3 (C06–C08) = 35.625 / 19;
    # before: 9.25 (A5) + 1.4375×4 (C01–C04) + 2 (C05) = 17 / 6
    "feedback.response_days_mean": (35.625 / 19, 17 / 6),
    # nearest rank ceil(0.9·19) = 18th of 19 → 5.0; ceil(0.9·6) = 6th of 6 → 9.25
    "feedback.response_days_p90": (5.0, 9.25),
    # closes: 1.8125×3 (B01–B03) + 1.875×5 (F01–F05) + 2.25×3 (B04 F06 F07) + 2.5625 (A4)
    # + 5×3 (C06–C08) + 11.6875 (A5) = 50.8125 / 16; before: 2×5 / 5
    "feedback.close_days_mean": (50.8125 / 16, 2.0),
    # ceil(0.9·16) = 15th of 16 → 5.0 (only A5's 11.6875 is above); before 2.0
    "feedback.close_days_p90": (5.0, 2.0),
    # rated A4 A5 B01–B03 C06–C08 F01–F04 F06 = 13, satisfied A4 B01 B02 C08 F01–F04 = 8;
    # before: rated C01–C04 = 4, satisfied C01–C03 = 3
    "feedback.satisfaction_rate": (8 / 13, 3 / 4),
    # ages at NOW: A3 2.73, B05–B10 2.29, E1 1.17, E2 1.85, F08 F09 2.35 → 11 ≤ 3;
    # A1 4.17 → 4–7; D01–D06 > 15. Then (office time of Fri 13 17:00): A1 1.81, A3 0.375,
    # A4 0.375 ≤ 3; C06–C08 3.81 → 4–7; A5 9.94 → 8–15; D01–D06 > 15
    "feedback.backlog_age_0_3": (11, 3),
    "feedback.backlog_age_4_7": (1, 3),
    "feedback.backlog_age_8_15": (0, 1),
    "feedback.backlog_age_over_15": (6, 6),
}


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, int) and not isinstance(want, bool):
        return isinstance(got, int) and got == want
    return got == pytest.approx(want, abs=1e-12)


def test_every_feedback_kpi_province_7d(scenario: Engine) -> None:
    assert set(PROVINCE_7D) == {k.code for k in FEEDBACK_KPIS}  # every KPI is asserted
    values = feedback_kpis(scenario, "province:25", resolve("7d", NOW), NOW)
    got = {v.kpi: (v.value, v.previous) for v in values if not v.by}
    wrong = [f"{code}: got {got[code]}, want {want}" for code, want in PROVINCE_7D.items()
             if not (_same(got[code][0], want[0]) and _same(got[code][1], want[1]))]
    assert not wrong, "\n".join(wrong)
    ratios = {v.kpi: (v.numerator, v.denominator) for v in values
              if v.unit == "ratio" and not v.by}
    assert ratios == {"feedback.on_time_rate": (10, 16),
                      "feedback.satisfaction_rate": (8, 13)}
    by = {(next(iter(v.by)), next(iter(v.by.values()))): (v.value, v.previous)
          for v in values if v.by}
    assert by == {
        # channels: B01–B05 zalo, B06–B10 web, E1 hotline, E2 facebook, F app; before A1 A4
        # hotline, A3 zalo
        ("channel", "app"): (9, 0), ("channel", "facebook"): (1, 0),
        ("channel", "hotline_1022"): (1, 2), ("channel", "web"): (5, 0),
        ("channel", "zalo"): (5, 1),
        ("category", "an ninh trật tự"): (9, 0), ("category", "trật tự đô thị"): (10, 0),
        ("category", "môi trường"): (1, 1), ("category", "điện nước"): (1, 0),
    }


def test_scopes_commune_agency_category(scenario: Engine) -> None:
    def kv(scope: str) -> dict[str, Any]:
        return {v.kpi: v.value for v in compute_kpis(scenario, scope, "7d", now=NOW)
                if v.kpi.startswith("feedback.") and not v.by}

    roads = kv("category:trật tự đô thị")  # B01–B10
    assert (roads["feedback.received"], roads["feedback.open"], roads["feedback.near_due"],
            roads["feedback.closed"], roads["feedback.closed_on_time"],
            roads["feedback.satisfaction_rate"]) == (10, 6, 6, 4, 4, 2 / 3)
    sxd = kv("agency:SXD-25")  # A3 only: received the week before, responded this week
    assert (sxd["feedback.received"], sxd["feedback.open"], sxd["feedback.responded"],
            sxd["feedback.response_days_mean"], sxd["feedback.backlog_age_0_3"]) == (
        0, 1, 1, 1.6875, 1)
    viet_tri = kv("commune:07900")  # E2
    assert (viet_tri["feedback.received"], viet_tri["feedback.near_due"],
            viet_tri["feedback.response_days_p90"]) == (1, 1, 0.375)
    both = kv("agency:SNNMT-25,category:môi trường")  # A1 E1 (A2 closed before)
    assert (both["feedback.received"], both["feedback.open"], both["feedback.overdue_open"],
            both["feedback.near_due"]) == (1, 2, 1, 1)


def test_breakdown_and_backlog_age(scenario: Engine) -> None:
    df = feedback_breakdown(scenario, "province:25", resolve("7d", NOW), "agency_code", NOW)
    rows = {r["agency_code"]: r for r in df.iter_rows(named=True)}
    cols = ("received", "closed", "closed_on_time", "on_time_rate", "rated", "satisfied",
            "satisfaction_rate", "open", "overdue", "previous_on_time_rate")
    got = {a: tuple(rows[a][c] for c in cols) for a in rows}
    assert got == {
        # F01–F09: 7 closed, F01–F05 on time; rated F01–F04 F06, satisfied F01–F04; open F08
        # F09 overdue
        "CAT-25": (9, 7, 5, 5 / 7, 5, 4, 4 / 5, 2, 2, None),
        # E2
        "SCT-25": (1, 0, 0, None, 0, 0, None, 1, 0, None),
        # E1 received; A5 closed late, unsatisfied; open A1 (overdue) and E1
        "SNNMT-25": (1, 1, 0, 0.0, 1, 0, 0.0, 2, 1, None),
        # D01–D06 open, overdue
        "SNV-25": (0, 0, 0, None, 0, 0, None, 6, 6, None),
        # A3 open
        "SXD-25": (0, 0, 0, None, 0, 0, None, 1, 0, None),
        # C06–C08 closed late this week; before C01–C05 on time
        "SYT-25": (0, 3, 0, 0.0, 3, 1, 1 / 3, 0, 0, 1.0),
        # B01–B10 + A4: 5 closed on time; rated A4 B01–B03, satisfied A4 B01 B02
        "UBND-08494": (10, 5, 5, 1.0, 4, 3, 3 / 4, 6, 0, None),
    }
    age = backlog_age(scenario, "province:25", NOW)
    assert age.to_dicts() == [{"band": "≤ 3", "count": 11}, {"band": "4–7", "count": 1},
                              {"band": "8–15", "count": 0}, {"band": "> 15", "count": 6}]
