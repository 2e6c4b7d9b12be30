"""Feedback SLA per category and agency: pure resolution (ioc.feedback.sla), the append-only
store on SQLite / PostgreSQL (ioc.feedback.sla_store), `ioc sla list|set`, and the connectors'
deadline through the installed policy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from connectors.files.mapping import ColumnMapping
from connectors.files.one_stop import OneStopFileSource
from ioc.db import schema as s
from ioc.feedback import sla
from ioc.feedback.sla import SlaPolicy, SlaRule, due_at, install_policy, seed_rules
from ioc.feedback.sla_store import history, load_policy, policy_provider, set_rule
from ioc.reference.calendar import TZ

T0 = datetime(2020, 1, 1)
MAPPING = Path(__file__).resolve().parents[3] / "connectors/files/mappings/hotline_vi.yaml"


def _rule(cat: str, days: float, start: datetime, agency: str = "",
          set_at: datetime | None = None) -> SlaRule:
    return SlaRule(cat, agency, days, start, "test", set_at or start)


def test_resolution_order_agency_then_category_then_default() -> None:
    p = SlaPolicy([
        _rule("giao thông", 3, T0),
        _rule("giao thông", 5, datetime(2026, 3, 1)),
        _rule("giao thông", 1, datetime(2026, 3, 10), agency="SXD-25"),
        # the same start set twice: the later edit wins
        _rule("y tế", 4, datetime(2026, 3, 1), set_at=datetime(2026, 2, 1)),
        _rule("y tế", 6, datetime(2026, 3, 1), set_at=datetime(2026, 2, 2)),
    ])
    assert p.days("giao thông", "SXD-25", datetime(2026, 2, 28, 23)) == 3
    assert p.days("giao thông", "SXD-25", datetime(2026, 3, 1)) == 5  # valid_from ≤ received
    assert p.days("giao thông", "SXD-25", datetime(2026, 3, 10)) == 1  # agency rule
    assert p.days("giao thông", "UBND-08494", datetime(2026, 3, 10)) == 5  # other agency
    assert p.days("giao thông", None, datetime(2026, 3, 10)) == 5
    assert p.days("y tế", None, datetime(2026, 3, 2)) == 6
    assert p.days("y tế", None, datetime(2026, 2, 27)) == 3  # nothing yet: the default
    assert p.days("không có", "SXD-25", datetime(2026, 3, 10)) == 3
    # in force on 10 Mar: one version per (category, agency)
    assert [(r.category, r.agency_code, r.days) for r in p.in_force(datetime(2026, 3, 10))] == [
        ("giao thông", "", 5), ("giao thông", "SXD-25", 1), ("y tế", "", 6)]


def test_deadline_counts_working_days_across_tet_and_weekends() -> None:
    try:
        install_policy(lambda: SlaPolicy([_rule("giao thông", 3, T0)]))
        # Fri 13 Feb 2026 15:00 local: Fri 2 office hours left, Tết 16–20 Feb and both
        # weekends off → Mon 23 (8 h), Tue 24 (8 h), Wed 25 6 h → Wed 25 Feb 15:00.
        got = due_at("giao thông", None, datetime(2026, 2, 13, 15, tzinfo=TZ))
        assert got == datetime(2026, 2, 25, 15, tzinfo=TZ)
    finally:
        install_policy(None)
    # Without an installed policy: the catalogue's values (đất đai 10 working days).
    assert sla.sla_days("đất đai", None, datetime(2026, 5, 4, tzinfo=TZ)) == 10


def test_validation_messages() -> None:
    errors = sla.validate("bầu trời", 0.4, "", "")
    assert len(errors) == 3
    assert "unknown category 'bầu trời'" in errors[0]
    assert "between 0.5 and 60, got 0.4" in errors[1]
    assert "actor" in errors[2]
    assert sla.validate("y tế", 60, "SYT-25", "an") == []
    assert sla.validate("y tế", 60.5, "", "an")


def test_store_is_append_only_and_seeded_from_the_catalogue(engine: Engine,
                                                            tmp_path: Path) -> None:
    now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Mon 2 Mar 09:00 local
    seeded = load_policy(engine).in_force(now)
    assert [(r.category, r.days) for r in seeded] == sorted(
        (r.category, r.days) for r in seed_rules())
    rule = set_rule(engine, "giao thông", 5, "lan.nguyen", valid_from=date(2026, 3, 5),
                    reason="Quy chế mới", now=now)
    assert rule.valid_from == datetime(2026, 3, 4, 17)  # local midnight 5 Mar in UTC
    set_rule(engine, "giao thông", 1.5, "lan.nguyen", agency_code="SXD-25", now=now)
    with pytest.raises(ValueError, match="in the past"):
        set_rule(engine, "giao thông", 4, "lan.nguyen", valid_from=date(2026, 3, 1), now=now)
    with pytest.raises(ValueError, match="between 0.5 and 60"):
        set_rule(engine, "giao thông", 61, "lan.nguyen", now=now)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.feedback_sla_rules)).scalar() \
            == len(seed_rules()) + 2
    hist = history(engine)
    assert (hist[0].set_by, hist[0].agency_code, hist[0].days) in (
        ("lan.nguyen", "SXD-25", 1.5), ("lan.nguyen", "", 5.0))
    p = load_policy(engine)
    assert p.days("giao thông", "SXD-25", datetime(2026, 3, 2, 3)) == 1.5
    assert p.days("giao thông", "SYT-25", datetime(2026, 3, 4, 16)) == 3  # before 5 Mar
    assert p.days("giao thông", "SYT-25", datetime(2026, 3, 4, 17)) == 5
    # Connectors see it through the installed provider; the export's own deadline wins.
    try:
        install_policy(policy_provider(engine))
        got = due_at("giao thông", "SYT-25", datetime(2026, 3, 9, 9, tzinfo=TZ))
        assert got == datetime(2026, 3, 16, 9, tzinfo=TZ)  # Mon + 5 working days
        csv = tmp_path / "hotline.csv"
        csv.write_text(
            "Mã phản ánh,Ngày tiếp nhận,Kênh,Lĩnh vực,Đơn vị xử lý,Hạn xử lý,Địa chỉ\n"
            "PA-1,09/03/2026 09:00,Zalo,Giao thông,SYT-25,,\"xã Lâm Thao, tỉnh Phú Thọ\"\n"
            "PA-2,09/03/2026 09:00,Zalo,Giao thông,SYT-25,11/03/2026 17:00,"
            "\"xã Lâm Thao, tỉnh Phú Thọ\"\n", encoding="utf-8")
        batch = OneStopFileSource(csv, ColumnMapping.load(MAPPING)).poll(None)
        assert batch is not None
        due = {r.event["feedback_id"]: r.event["due_at"] for r in batch.records if r.event}
        # PA-1: no deadline in the export → the rule (5 days); PA-2: the export's own wins.
        assert due == {"PA-1": "2026-03-16T09:00:00+07:00",
                       "PA-2": "2026-03-11T17:00:00+07:00"}
    finally:
        install_policy(None)


@pytest.fixture()
def cli_env(engine: Engine, db_url: str) -> Iterator[dict[str, str]]:
    yield {**os.environ, "IOC_DATABASE_URL": db_url}


def _ioc(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ioc.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_list_and_set(cli_env: dict[str, str], engine: Engine) -> None:
    bad = _ioc(cli_env, "sla", "set", "bầu trời", "0.2", "--actor", "an")
    assert bad.returncode != 0
    assert "unknown category" in bad.stderr and "between 0.5 and 60" in bad.stderr
    missing = _ioc(cli_env, "sla", "set", "y tế", "4")
    assert missing.returncode != 0 and "--actor NAME" in missing.stderr
    ok = _ioc(cli_env, "sla", "set", "y tế", "4,5", "--agency", "SYT-25", "--reason",
              "Sở Y tế đề nghị", "--actor", "an", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["days"] == 4.5
    listed = json.loads(_ioc(cli_env, "sla", "list", "--json").stdout)
    assert {"category": "y tế", "agency_code": "SYT-25", "days": 4.5, "set_by": "an",
            "reason": "Sở Y tế đề nghị"}.items() <= listed["in_force"][
        [r["agency_code"] for r in listed["in_force"]].index("SYT-25")].items()
    assert len(listed["history"]) == len(seed_rules()) + 1
    text = _ioc(cli_env, "sla", "list").stdout
    assert "SYT-25" in text and "4.5 ngày" in text


def test_open311_deadline_from_the_rule_unless_the_server_gives_one() -> None:
    from connectors.open311.config import Open311Config
    from connectors.open311.source import Open311Source

    cfg = Open311Config.from_dict({
        "base_url": "http://127.0.0.1:9", "name": "t", "province_code": "25",
        "start": "2026-03-01T00:00:00+07:00", "services": {"001": {"category": "giao thông",
                                                                   "agency": "SXD"}}})
    item = {"service_request_id": "1", "status": "open", "service_code": "001",
            "requested_datetime": "2026-03-06T15:00:00+07:00",
            "updated_datetime": "2026-03-06T15:00:00+07:00", "lat": 21.3, "long": 105.3}
    try:
        install_policy(lambda: SlaPolicy([_rule("giao thông", 1.5, T0, agency="SXD-25")]))
        src = Open311Source(cfg)
        # Fri 15:00 + 1.5 working days: Fri 2 h, Mon 9 8 h, Tue 10 2 h → Tue 10 Mar 09:30
        assert src.map_request(item)["due_at"] == "2026-03-10T09:30:00+07:00"
        given = {**item, "expected_datetime": "2026-03-20T17:00:00+07:00"}
        assert src.map_request(given)["due_at"] == "2026-03-20T17:00:00+07:00"
    finally:
        install_policy(None)
