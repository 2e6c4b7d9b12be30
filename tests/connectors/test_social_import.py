"""Import of social-listening vendor exports (CSV, XLSX, JSONL) with the bundled
`social_vi.yaml` mapping, through the real broker and database: good rows flow as
`ioc.social.v1`, bad rows go to `ioc.dlq` with file, row and a reason naming the column;
personal data is redacted before Kafka and authors are only pseudonyms."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.files.jsonl import JsonlFileSource
from connectors.files.mapping import ColumnMapping, MappingError
from connectors.files.one_stop import OneStopFileSource
from connectors.files.social import social_post_id
from connectors.runtime import ConnectorRuntime, run_until_idle
from ioc.events.contracts import SOCIAL_CONTRACT, validate_event
from ioc.events.redact import pseudonym
from streams.clients import make_producer
from tests import REPO_ROOT
from tests.helpers import read_topic

MAPPING = REPO_ROOT / "connectors" / "files" / "mappings" / "social_vi.yaml"
SAMPLE = Path(__file__).parent / "data" / "social" / "social_export.csv"
PHONE = "0912345678"


@pytest.fixture()
def mapping() -> ColumnMapping:
    return ColumnMapping.load(MAPPING)


def test_rows_mapped(mapping):
    batch = OneStopFileSource(SAMPLE, mapping).poll(None)
    assert batch is not None
    good = {r.headers["row"]: r.event for r in batch.records if r.event}
    bad = {r.headers["row"]: r.error for r in batch.records if r.error}
    assert sorted(good) == ["2", "3", "4"] and sorted(bad) == ["5", "6", "7"]
    fb = good["2"]
    assert validate_event(SOCIAL_CONTRACT, fb) == []
    assert (fb["platform"], fb["published_at"]) == ("facebook", "2026-12-06T08:12:00+07:00")
    assert fb["engagement"] == {"likes": 1204, "shares": 87, "comments": 156}  # "1.204"
    assert fb["author_ref"] == pseudonym("Nguyễn Văn An")  # never the name itself
    assert fb["url"] == "https://www.facebook.com/groups/phutho/posts/1122334455"
    assert fb["post_id"] == social_post_id("facebook", None, fb["url"])  # no id column
    assert fb["ward_code"] == "08494"  # "xã Lâm Thao"
    news = good["3"]  # names the province only: not phường Phú Thọ
    assert news["platform"] == "news" and news["ward_code"] is None and news["ward_code_reason"]
    assert good["4"]["ward_code"] == "07900" and good["4"]["author_ref"] is None
    assert bad["5"].startswith("column 'Thời gian đăng' (published_at): cannot read date")
    assert "both empty" in bad["6"] and "(url)" in bad["6"]
    assert bad["7"] == "column 'Lượt thích' (likes): negative count"
    assert all("Trần" not in e and "hôm qua" not in e.split(":")[0] for e in bad.values())


def test_export_id_column_wins(mapping):
    ev = mapping.map_record({"ID": "1234_5678", "Nền tảng": "Fanpage",
                             "Thời gian đăng": "2026-12-06 10:00:00",
                             "Đường dẫn": "https://facebook.com/x/posts/5678",
                             "Nội dung": "Phường Việt Trì hôm nay"})
    assert ev["post_id"] == "facebook-1234_5678" and ev["event_id"] == \
        "social-import:facebook-1234_5678:1"
    with pytest.raises(MappingError, match="Nền tảng.*unknown value"):
        mapping.map_record({"ID": "1", "Nền tảng": "MySpace", "Thời gian đăng": "06/12/2026"})


def test_mapping_needs_an_identity():
    with pytest.raises(MappingError, match="fields.post_id is required"):
        ColumnMapping.from_dict({"contract": "ioc.social.v1",
                                 "fields": {"published_at": "Ngày", "platform": "Kênh"}})


def _events(bootstrap: str, expect: int) -> list[dict]:
    return [json.loads(r.value) for r in read_topic(bootstrap, "ioc.social.v1", expect)]


def test_csv_xlsx_and_jsonl_through_broker(broker, engine, mapping, tmp_path):
    from openpyxl import Workbook

    rows = list(csv.reader(SAMPLE.open(encoding="utf-8")))
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    xlsx = tmp_path / "social_export.xlsx"
    wb.save(xlsx)
    header = rows[0]
    jsonl = tmp_path / "social_export.jsonl"
    lines = [json.dumps(dict(zip(header, r, strict=True)), ensure_ascii=False) for r in rows[1:4]]
    jsonl.write_text("\n".join([lines[0], "{not json", lines[1], "[1, 2]", lines[2]]) + "\n",
                     encoding="utf-8")

    producer = make_producer(broker.bootstrap)
    try:
        csv_stats = run_until_idle(ConnectorRuntime(OneStopFileSource(SAMPLE, mapping),
                                                    producer, engine), timeout=60)
        assert (csv_stats.produced, csv_stats.dead) == (3, 3)
        events = _events(broker.bootstrap, 3)
        assert len(events) == 3 and all(validate_event(SOCIAL_CONTRACT, e) == []
                                        for e in events)
        fb = next(e for e in events if e["platform"] == "facebook")
        assert PHONE not in fb["text"] and "Lâm Thao" in fb["text"]  # redacted before Kafka
        dead = read_topic(broker.bootstrap, "ioc.dlq", 3)
        assert sorted(dict(d.headers)["row"] for d in dead) == [b"5", b"6", b"7"]
        assert {dict(d.headers)["file"] for d in dead} == {b"social_export.csv"}
        assert all(dict(d.headers)["reason"].startswith(b"column ") for d in dead)
        assert all(b"Tr\xe1\xba\xa7n Th\xe1\xbb\x8b B\xc3\xacnh" not in d.value for d in dead)

        again = run_until_idle(ConnectorRuntime(OneStopFileSource(SAMPLE, mapping), producer,
                                                engine), timeout=60)
        assert (again.produced, again.dead) == (0, 0)  # the same file again: resumes, done

        xl = run_until_idle(ConnectorRuntime(OneStopFileSource(xlsx, mapping), producer,
                                             engine), timeout=60)
        assert (xl.produced, xl.dead) == (3, 3)
        js = run_until_idle(ConnectorRuntime(JsonlFileSource(jsonl, SOCIAL_CONTRACT,
                                                             mapping=mapping),
                                             producer, engine), timeout=60)
        assert (js.produced, js.dead) == (3, 2)
        events = _events(broker.bootstrap, 9)
        # The same posts from three files: the same post_id and event_id each time, so the
        # aggregator (dedupe by post_id) counts three posts.
        assert len(events) == 9 and len({e["event_id"] for e in events}) == 3
        dead = read_topic(broker.bootstrap, "ioc.dlq", 8)
        js_dead = [dict(d.headers) for d in dead if dict(d.headers)["file"] == jsonl.name.encode()]
        assert sorted((h["row"], h["reason"]) for h in js_dead) == [
            (b"2", b"line is not valid JSON"), (b"4", b"line is not a JSON object")]
    finally:
        producer.close()


def test_cli_import_social(broker, db_url, engine, tmp_path):  # engine: a fresh schema
    env = {**os.environ, "IOC_KAFKA_BOOTSTRAP": broker.bootstrap, "IOC_DATABASE_URL": db_url,
           "IOC_VAR_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "ioc.cli.main", "import", str(SAMPLE),
                          "--mapping", str(MAPPING)], env=env, cwd=REPO_ROOT,
                         capture_output=True, timeout=180)
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")[-2000:]
    summary = json.loads(out.stdout.decode().strip().splitlines()[-1])
    assert (summary["produced"], summary["dead_lettered"]) == (3, 3)
    assert PHONE.encode() not in out.stdout + out.stderr
