"""Feedback KPI values (ioc.kpis.feedback_values) on a handful of reports written through the
aggregator's decode → redact → apply path (tests.helpers.apply_events) into SQLite /
PostgreSQL; values counted by hand.

NOW = Wed 25 Feb 2026 10:20 local (03:20 UTC); times below are local (UTC+7).
- A (hotline, môi trường): received Mon 23 09:00, responded Mon 23 13:00, closed Tue 24 09:00
  (due Thu 26 09:00: on time), rated satisfied. Response 2.5 office hours = 0.3125 working
  days; close Mon 09:00 → Tue 09:00 = 1 working day.
- B (hotline, môi trường): received Thu 12 09:00 (previous 7d window), due Tue 24 09:00, open →
  overdue at NOW; age Thu 12 6.5 h + Fri 13 8 h + (Tết 16–20 Feb off) Mon 23 8 h + Tue 24 8 h +
  Wed 25 07:30 → 10:20 2 h 50 = 33 h 20 = 4.17 working days → band 4–7. At the previous
  instant (Wed 18 11:00, a Tết day → counts as Mon 23 07:30) it was 14.5 h = 1.81 → band ≤ 3.
- C (zalo, giao thông): received Wed 25 08:00, due Mon 2 Mar, open; age 2 h 20 → band ≤ 3.
- D (zalo, giao thông, agency SXD-25): received Tue 24 10:00, due Thu 26 09:00 ≤ NOW + 1
  working day (Thu 10:20) → near-due; age 1 day 0 h 20 → band ≤ 3.
- E (web, môi trường): received Tue 10 Feb 09:00 (before both 7d windows), responded and
  closed Thu 12 Feb 09:00 (previous 7d window [Wed 11 11:00, Wed 18 11:00)), due Fri 13 Feb:
  on time, rated unsatisfied; response and close 2 working days.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from ioc.kpis.feedback_kpis import FEEDBACK_KPIS
from ioc.kpis.feedback_values import backlog_age, feedback_breakdown, feedback_kpis
from ioc.kpis.values import compute_kpis
from ioc.kpis.windows import resolve
from ioc.reference.calendar import TZ
from streams.chaos.workload import feedback_event, iso
from tests.helpers import apply_events

NOW = datetime(2026, 2, 25, 10, 20, tzinfo=TZ)


def _t(day: int, hour: int, month: int = 2) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TZ).astimezone(UTC)


def _ev(fid: str, seq: int, type_: str, received: datetime, due: datetime, **kw) -> dict:
    return feedback_event(fid, seq, type_, received, due_at=iso(due), **kw)


EVENTS = [
    _ev("A", 3, "rated", _t(23, 9), _t(26, 9), responded_at=iso(_t(23, 13)),
        closed_at=iso(_t(24, 9)), rating="satisfied", occurred_at=iso(_t(24, 10))),
    _ev("B", 1, "received", _t(12, 9), _t(24, 9)),
    _ev("C", 1, "received", _t(25, 8), _t(2, 8, 3), channel="zalo", category="giao thông"),
    _ev("D", 1, "received", _t(24, 10), _t(26, 9), channel="zalo", category="giao thông",
        agency_code="SXD-25"),
    _ev("E", 2, "rated", _t(10, 9), _t(13, 9), channel="web", closed_at=iso(_t(12, 9)),
        responded_at=iso(_t(12, 9)), rating="unsatisfied", occurred_at=iso(_t(12, 9))),
]


@pytest.fixture()
def loaded(engine: Engine) -> Engine:
    apply_events(engine, EVENTS)
    return engine


def test_feedback_kpis_province_7d(loaded: Engine) -> None:
    period = resolve("7d", NOW)
    kv = {k.kpi: k for k in feedback_kpis(loaded, "province:25", period, NOW) if not k.by}
    got = {code: (v.value, v.previous) for code, v in kv.items()}
    assert got == {
        "feedback.received": (3, 1),  # A C D; before: B
        "feedback.responded": (1, 1),  # A; before: E
        "feedback.closed": (1, 1),  # A; before: E
        "feedback.closed_on_time": (1, 1),
        "feedback.open": (3, 1),  # B C D; at Wed 18 11:00: B (E closed on the 12th)
        "feedback.overdue_open": (1, 0),  # B (due Tue 24); then B's due was still ahead
        "feedback.near_due": (1, 0),  # D; then B's due Tue 24 > horizon Mon 23 17:00
        "feedback.on_time_rate": (1.0, 1.0),
        "feedback.response_days_mean": (0.3125, 2.0),  # A; E Tue 10 09:00 → Thu 12 09:00
        "feedback.response_days_p90": (0.3125, 2.0),
        "feedback.close_days_mean": (1.0, 2.0),
        "feedback.close_days_p90": (1.0, 2.0),
        "feedback.satisfaction_rate": (1.0, 0.0),  # A satisfied; E unsatisfied
        "feedback.backlog_age_0_3": (2, 1),  # C D; then B
        "feedback.backlog_age_4_7": (1, 0),  # B
        "feedback.backlog_age_8_15": (0, 0),
        "feedback.backlog_age_over_15": (0, 0),
    }
    assert kv["feedback.on_time_rate"].numerator == 1
    assert kv["feedback.on_time_rate"].denominator == 1
    by = {(tuple(k.by.items())[0]): (k.value, k.previous)
          for k in feedback_kpis(loaded, "province:25", period, NOW) if k.by}
    assert by == {("channel", "hotline_1022"): (1, 1), ("channel", "zalo"): (2, 0),
                  ("category", "môi trường"): (1, 1), ("category", "giao thông"): (2, 0)}


def test_category_and_agency_scopes_and_compute_kpis(loaded: Engine) -> None:
    rows = compute_kpis(loaded, "category:giao thông", "7d", now=NOW)
    assert {k.kpi for k in rows} and all(k.kpi.startswith("feedback.") for k in rows)
    kv = {k.kpi: k.value for k in rows if not k.by}
    assert (kv["feedback.received"], kv["feedback.open"], kv["feedback.near_due"]) == (2, 2, 1)
    agency = {k.kpi: k.value for k in compute_kpis(loaded, "agency:SXD-25", "7d", now=NOW)
              if k.kpi.startswith("feedback.") and not k.by}
    assert (agency["feedback.received"], agency["feedback.open"]) == (1, 1)  # D


def test_breakdown_and_backlog_age(loaded: Engine) -> None:
    period = resolve("30d", NOW)
    df = feedback_breakdown(loaded, "province:25", period, "category", NOW)
    rows = {r["category"]: r for r in df.iter_rows(named=True)}
    env = rows["môi trường"]  # A B E received; A E closed on time; A satisfied, E not
    assert (env["received"], env["closed"], env["closed_on_time"], env["on_time_rate"],
            env["rated"], env["satisfied"], env["satisfaction_rate"], env["open"],
            env["overdue"]) == (3, 2, 2, 1.0, 2, 1, 0.5, 1, 1)
    assert env["previous_on_time_rate"] is None  # nothing closed 27 Dec – 26 Jan
    age = backlog_age(loaded, "province:25", NOW)
    assert age.to_dicts() == [{"band": "≤ 3", "count": 2}, {"band": "4–7", "count": 1},
                              {"band": "8–15", "count": 0}, {"band": "> 15", "count": 0}]


def test_cli_kpi_json_feedback_stream_at_category_scope(loaded: Engine, db_url: str) -> None:
    # Custom window 18–24 Feb: [Wed 18 00:00, Wed 25 00:00) local, state at its end. Roads
    # (giao thông): D received Tue 24 (C only on Wed 25 08:00), D open then; D's due Thu 26
    # 09:00 is beyond the horizon Wed 25 17:00 (next opening 07:30 + 1 working day).
    env = {**os.environ, "IOC_DATABASE_URL": db_url}
    out = subprocess.run([sys.executable, "-m", "ioc.cli.main", "kpi", "--json", "--stream",
                          "feedback", "--scope", "category:giao thông", "--from", "18/02/2026",
                          "--to", "24/02/2026"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    rows = {r["kpi"]: r for r in json.loads(out.stdout) if "by" not in r}
    assert {r["kpi"] for r in json.loads(out.stdout)} == {k.code for k in FEEDBACK_KPIS}
    assert (rows["feedback.received"]["value"], rows["feedback.open"]["value"],
            rows["feedback.near_due"]["value"]) == (1, 1, 0)
    assert rows["feedback.received"]["window"] == "custom"
    assert rows["feedback.open"]["window"] == "now"
