"""Alert banner, Alerts page and Thresholds page (AppTest on a real migrated database), plus
the pure builders behind them (banner and ticker HTML, data links, backtest chart).

Alert episodes are written straight into `alerts` (what the evaluator writes), rules through
`ioc.alerts.rule_store.save_rule`; identities are put where `ioc.ui.session` keeps them."""

from __future__ import annotations

import html
import sys
import time
import types
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
import streamlit as st
from sqlalchemy import Engine, insert, select
from streamlit.testing.v1 import AppTest

from ioc.alerts import rule_store
from ioc.alerts import store as alert_store
from ioc.alerts.rules import parse_rule
from ioc.alerts.text import comparison_text
from ioc.auth import Identity
from ioc.db import schema as s
from ioc.ui.alerts.banner import BANNER_CSS, banner_html
from ioc.ui.alerts.links import data_link
from ioc.ui.session import IDENTITY_KEY, LAST_SEEN_KEY, SIGNED_IN_AT_KEY
from ioc.ui.theme import SEVERITY_COLORS
from ioc.ui.thresholds.backtest import backtest_chart, firing_times_text
from tests import REPO_ROOT

ROOT = REPO_ROOT
APP = str(ROOT / "app.py")
ALERTS = str(ROOT / "pages" / "alerts.py")
THRESHOLDS = str(ROOT / "pages" / "thresholds.py")
WARD = "04792"  # Phường Tân Hòa (Phú Thọ, province 25)
RULE = {"rule_id": "ontime-tanhoa", "name": "Đúng hạn Tân Hòa", "kpi": "dossier.on_time_rate",
        "scope": f"province:25,commune:{WARD}", "window": "24h", "comparator": "<",
        "threshold": 0.95, "severity": "critical"}
VIEWER, OPERATOR, ADMIN = Identity("v", "viewer"), Identity("op1", "operator"), \
    Identity("boss", "admin")


@pytest.fixture()
def app_db(monkeypatch: pytest.MonkeyPatch, db_url: str, engine: Engine) -> Engine:
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    monkeypatch.setenv("IOC_PROVINCE_CODE", "25")
    for name in ("IOC_ANONYMOUS_ROLE", "IOC_AUTH"):
        monkeypatch.delenv(name, raising=False)
    st.cache_data.clear()
    return engine


def utc_naive() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def alert_row(alert_id: str = "ontime-tanhoa-1", state: str = "firing", **kw: object) -> dict:
    now = utc_naive()
    row = dict(alert_id=alert_id, rule_id=RULE["rule_id"], rule_version=1, kpi=RULE["kpi"],
               scope=RULE["scope"], window="24h", comparator="<", threshold=0.95,
               severity="critical", state=state, is_open=True, value=0.62,
               pending_since=None, fired_at=now - timedelta(minutes=30), acked_at=None,
               acked_by=None, ack_note=None, resolved_at=None, evaluated_at=now)
    row.update(kw)
    return row


def seed(engine: Engine, *rows: dict) -> None:
    rule_store.save_rule(engine, parse_rule(RULE), ADMIN)
    with engine.begin() as conn:
        conn.execute(insert(s.alerts), list(rows) or [alert_row()])


def state_of(engine: Engine, alert_id: str = "ontime-tanhoa-1") -> tuple:
    a = s.alerts.c
    with engine.connect() as conn:
        return tuple(conn.execute(select(a.state, a.acked_by, a.ack_note)
                                  .where(a.alert_id == alert_id)).one())


def run_page(path: str, identity: Identity | None = None) -> AppTest:
    at = AppTest.from_file(path, default_timeout=60)
    if identity is not None:  # signed in just now (the session timeouts need the times)
        at.session_state[IDENTITY_KEY] = identity
        at.session_state[SIGNED_IN_AT_KEY] = at.session_state[LAST_SEEN_KEY] = time.time()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table(at: AppTest, column: str) -> pl.DataFrame:
    for df in at.dataframe:
        value = df.value
        if column in value.columns:
            return pl.from_pandas(value)
    raise AssertionError(f"no table with column {column!r}")


def click(at: AppTest, label_start: str) -> AppTest:
    buttons = [b for b in at.button if b.label.startswith(label_start)]
    assert buttons, f"no button {label_start!r}: {[b.label for b in at.button]}"
    buttons[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# --- banner (pure) ---------------------------------------------------------------------------

def test_banner_is_empty_when_nothing_fires() -> None:
    assert banner_html([]) == ""
    assert banner_html([alert_row(state="pending")]) == ""  # pending is not shown yet


def test_banner_shows_the_firing_alert_most_severe_first() -> None:
    info = alert_row("info-1", severity="info", kpi="feedback.open", scope="province:25",
                     comparator=">", threshold=10, value=14)
    acked = alert_row("warn-1", state="acknowledged", severity="warning", acked_by="op1",
                      acked_at=utc_naive())
    crit = alert_row("crit-1", scope=f"province:25,commune:{WARD}")
    out = html.unescape(banner_html([info, acked, crit], {WARD: "Phường Tân Hòa",
                                                             "province:25": "Tỉnh Phú Thọ"}))
    assert 'data-severity="critical"' in out and 'data-count="3"' in out
    assert SEVERITY_COLORS["critical"] in out
    # The banner lists the worst severity's messages in large type…
    top = out.split('<ul class="top">')[1].split("</ul>")[0]
    assert "Tỷ lệ đúng hạn (Tỉnh Phú Thọ › Phường Tân Hòa, 24 giờ): 62,0 % < 95,0 %" in top
    assert "Phản ánh" not in top
    # …and the ticker every alert, critical first, the acknowledged one marked with who.
    ticker = out.split('class="ioc-ticker-track"')[1]
    assert ticker.index('data-alert-id="crit-1"') < ticker.index('data-alert-id="warn-1"') \
        < ticker.index('data-alert-id="info-1"')
    assert "đã xác nhận · acknowledged by op1" in ticker
    assert "Phản ánh đang xử lý (Tỉnh Phú Thọ, 24 giờ): 14 > 10" in ticker
    assert "1 chưa xác nhận" not in out and "2 chưa xác nhận" in out
    assert "animation-play-state: paused" in BANNER_CSS


def test_banner_sums_reminder_episodes_up_instead_of_one_line_per_agency() -> None:
    def rem(agency: str, kind: str, n: int, state: str = "firing", stream: str = "dossier"
            ) -> dict:
        return alert_row(f"rem-{stream}-{kind}-{agency}", state=state,
                         rule_id=f"rem.{stream}.{kind}.{agency}", kpi=f"{stream}.{kind}",
                         scope=f"agency:{agency}", window="now", comparator=">", threshold=0,
                         value=n, severity="critical" if kind == "overdue" else "warning")
    reminders = [rem(f"UBND-{i:05d}", "overdue", 2) for i in range(40)] + \
        [rem("SYT-25", "overdue", 5, state="acknowledged"), rem("SYT-25", "near_due", 3),
         rem("UBND-08494", "overdue", 1, stream="feedback")]
    warn = alert_row("warn-1", severity="warning")
    out = html.unescape(banner_html([warn, *reminders]))
    # The rule alert is counted and spelled out; the 43 reminder episodes are 4 lines.
    assert "1 cảnh báo đang hoạt động" in out and 'data-count="44"' in out
    assert 'data-severity="critical"' in out  # overdue reminders are critical
    top = out.split('<ul class="top">')[1].split("</ul>")[0]
    assert top.count("<li") == 3 and 'data-alert-id="warn-1"' in top  # the rule first
    assert "Nhắc hạn: 85 hồ sơ quá hạn tại 41 cơ quan" in top
    assert "(1 đã xác nhận · acknowledged)" in top
    ticker = out.split('class="ioc-ticker-track"')[1]
    assert ticker.count('class="item"') == 4
    assert "Nhắc hạn: 1 phản ánh quá hạn tại 1 cơ quan" in ticker
    assert "Nhắc hạn: 3 hồ sơ sắp đến hạn tại 1 cơ quan" in ticker
    # Only reminders: the banner still shows, headed as reminders.
    only = html.unescape(banner_html(reminders[:2]))
    assert "Nhắc hạn xử lý" in only and "Nhắc hạn: 4 hồ sơ quá hạn tại 2 cơ quan" in only


def test_a_closed_alert_shows_its_value_beside_the_threshold() -> None:
    assert comparison_text(alert_row()) == "62,0 % < 95,0 %"
    closed = alert_row(state="resolved", value=0.97, is_open=False)
    assert comparison_text(closed) == "97,0 % (ngưỡng < 95,0 %)"


def test_banner_escapes_text_from_the_database() -> None:
    out = banner_html([alert_row(scope="agency:<script>x</script>", acked_by="<b>")])
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_data_link_carries_the_scope_to_the_dossiers_page() -> None:
    assert data_link("dossier.on_time_rate", f"province:25,commune:{WARD},agency:UB-1",
                        "7d") == f"/dossiers?window=7d&commune={WARD}&agency=UB-1"
    assert data_link("dossier.overdue", "procedure:1.001", "24h") == \
        "/dossiers?window=today&procedure=1.001"
    assert data_link("social.posts", "province:25", "24h") == "/"


def test_data_link_carries_the_scope_to_the_feedback_page() -> None:
    assert data_link("feedback.open", "province:25", "24h") == "/feedback?window=today"
    # The category travels URL-encoded; a procedure is not a feedback level and stays out.
    assert data_link("feedback.overdue_open",
                     f"province:25,commune:{WARD},category:môi trường,procedure:1.001",
                     "7d") == (f"/feedback?window=7d&commune={WARD}"
                               "&category=m%C3%B4i+tr%C6%B0%E1%BB%9Dng")


def test_backtest_chart_marks_firings_at_their_values() -> None:
    t0 = datetime(2026, 11, 1, 0, 0)
    series = pl.DataFrame({"hour": [t0 + timedelta(hours=i) for i in range(4)],
                           "value": [0.97, 0.9, None, 0.8],
                           "state": ["ok", "firing", "firing", "firing"]})
    spec = backtest_chart(series, [t0 + timedelta(hours=1)], 0.95,
                             "dossier.on_time_rate").to_dict()
    datasets = list(spec["datasets"].values())
    assert [95.0] in [[r.get("y") for r in d] for d in datasets]  # threshold line, in %
    points = [d for d in datasets if d and set(d[0]) == {"t", "v"} and len(d) == 1]
    assert points and points[0][0]["v"] == pytest.approx(90.0)
    assert points[0][0]["t"].startswith("2026-11-01T08:00")  # Vietnam time (UTC+7)
    assert firing_times_text([t0 + timedelta(hours=1)]) == "01/11 08:00"
    assert firing_times_text([]) == "—"


# --- banner in Streamlit -------------------------------------------------------------------

def test_render_alert_banner_reads_firing_alerts(app_db: Engine) -> None:
    script = ("from ioc.settings import load_settings\n"
              "from ioc.ui.alerts.banner import render_alert_banner\n"
              "from ioc.ui.components import get_engine\n"
              "render_alert_banner(get_engine(load_settings().database_url))\n")
    at = AppTest.from_string(script, default_timeout=60).run()
    assert not at.exception and not [m for m in at.markdown if "ioc-alert-banner" in m.value]
    seed(app_db)
    at.run()
    banner = [m.value for m in at.markdown if "ioc-alert-banner" in m.value]
    assert len(banner) == 1 and "62,0 % &lt; 95,0 %" in banner[0] and "Phường Tân Hòa" in banner[0]


# --- Alerts page ---------------------------------------------------------------------------

def test_alerts_page_lists_the_alert_with_a_link_to_its_data(app_db: Engine) -> None:
    seed(app_db, alert_row(), alert_row("old-1", state="resolved", is_open=False,
                                        resolved_at=utc_naive() - timedelta(days=1)))
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()  # through app.py, as a browser session reaches it
    at.switch_page("pages/alerts.py").run()
    assert not at.exception, [e.value for e in at.exception]
    listed = table(at, "alert_id")
    assert listed["alert_id"].to_list() == ["ontime-tanhoa-1"]  # open only by default
    row = listed.row(0, named=True)
    assert row["rule"] == "Đúng hạn Tân Hòa (ontime-tanhoa)"
    assert row["kpi"] == "Tỷ lệ đúng hạn" and row["value_vs_threshold"] == "62,0 % < 95,0 %"
    assert row["scope"] == "Tỉnh Phú Thọ › Phường Tân Hòa"
    assert row["state"] == "Đang cảnh báo · Firing"
    assert row["data"] == f"/dossiers?window=today&commune={WARD}"
    at.segmented_control(key="alerts_state").set_value("all").run()
    assert set(table(at, "alert_id")["alert_id"]) == {"ontime-tanhoa-1", "old-1"}


def test_rules_and_deadline_reminders_apart(app_db: Engine) -> None:
    reminder = alert_row("rem-x-1", rule_id="rem.dossier.overdue.UBND-04792",
                         kpi="dossier.overdue", scope="agency:UBND-04792", window="now",
                         comparator=">", threshold=0, value=3)
    seed(app_db, alert_row(), reminder)
    with app_db.begin() as conn:
        conn.execute(insert(s.alert_history), [
            dict(alert_id="ontime-tanhoa-1", rule_id="ontime-tanhoa", at=utc_naive(),
                 transition="fire", actor="evaluator", value=0.62),
            dict(alert_id="rem-x-1", rule_id="rem.dossier.overdue.UBND-04792", at=utc_naive(),
                 transition="fire", actor="evaluator", value=3)])
    at = run_page(ALERTS, OPERATOR)
    listed = table(at, "alert_id")
    # Same severity: the rule ops staff set comes before the reminder.
    assert listed["alert_id"].to_list() == ["ontime-tanhoa-1", "rem-x-1"]
    assert listed.row(1, named=True)["rule"] == \
        "Nhắc hạn · Reminder: hồ sơ quá hạn (rem.dossier.overdue.UBND-04792)"
    assert listed.row(1, named=True)["data"] == "/dossiers?window=30d&agency=UBND-04792"
    assert listed.row(1, named=True)["scope"] == "UBND phường Tân Hòa"  # the agency's name
    at.segmented_control(key="alerts_kind").set_value("reminder").run()
    assert table(at, "alert_id")["alert_id"].to_list() == ["rem-x-1"]
    assert table(at, "rule_id")["rule_id"].to_list() == ["rem.dossier.overdue.UBND-04792"]
    picks = at.selectbox(key="alerts_ack_id").options  # only reminders to acknowledge
    assert len(picks) == 1 and "rem.dossier.overdue.UBND-04792" in picks[0], picks
    at.segmented_control(key="alerts_kind").set_value("rule").run()
    assert table(at, "alert_id")["alert_id"].to_list() == ["ontime-tanhoa-1"]
    assert table(at, "rule_id")["rule_id"].to_list() == ["ontime-tanhoa"]


def test_a_viewer_cannot_acknowledge(app_db: Engine) -> None:
    seed(app_db)
    at = run_page(ALERTS, VIEWER)
    at.text_area(key="alerts_ack_note").input("đang kiểm tra")
    click(at, "Xác nhận")
    assert any("may not do 'alert.ack'" in e.value for e in at.error), \
        [e.value for e in at.error]
    assert state_of(app_db) == ("firing", None, None)


def test_an_operator_acknowledges_with_a_note_only(app_db: Engine) -> None:
    seed(app_db)
    at = run_page(ALERTS, OPERATOR)
    click(at, "Xác nhận")  # no note
    assert any("note:" in e.value for e in at.error), [e.value for e in at.error]
    assert state_of(app_db)[0] == "firing"
    at.text_area(key="alerts_ack_note").input("đã gọi UBND phường")
    click(at, "Xác nhận")
    assert not at.error
    assert state_of(app_db) == ("acknowledged", "op1", "đã gọi UBND phường")
    hist = alert_store.history(app_db)
    assert [(h["transition"], h["actor"]) for h in hist] == [("ack", "op1")]


def test_after_an_ack_the_note_is_cleared_for_the_next_alert(app_db: Engine) -> None:
    # Two rules on the same KPI and scope: the picker tells them apart by the rule.
    other = {**RULE, "rule_id": "ontime-tanhoa-b", "name": "Đúng hạn Tân Hòa (B)"}
    rule_store.save_rule(app_db, parse_rule(other), ADMIN)
    seed(app_db, alert_row(), alert_row("ontime-tanhoa-b-1", rule_id="ontime-tanhoa-b",
                                        fired_at=utc_naive() - timedelta(minutes=5)))
    at = run_page(ALERTS, OPERATOR)
    picker = at.selectbox(key="alerts_ack_id")
    labels = picker.options  # AppTest gives the shown labels
    assert any("Đúng hạn Tân Hòa (B) (ontime-tanhoa-b)" in x for x in labels), labels
    assert any("Đúng hạn Tân Hòa (ontime-tanhoa) ·" in x for x in labels), labels
    picker.set_value("ontime-tanhoa-1")
    at.text_area(key="alerts_ack_note").input("đã gọi UBND phường")
    click(at, "Xác nhận")
    assert state_of(app_db) == ("acknowledged", "op1", "đã gọi UBND phường")
    assert any("Đã xác nhận" in m.value and "ontime-tanhoa-1" in m.value for m in at.success)
    assert at.text_area(key="alerts_ack_note").value == ""  # not reused for the next one
    left = at.selectbox(key="alerts_ack_id").options  # only the other alert is firing
    assert len(left) == 1 and "(ontime-tanhoa-b)" in left[0], left
    click(at, "Xác nhận")  # a second click without a new note acknowledges nothing
    assert any("note:" in e.value for e in at.error), [e.value for e in at.error]
    assert state_of(app_db, "ontime-tanhoa-b-1")[0] == "firing"


def test_a_viewer_cannot_silence(app_db: Engine) -> None:
    seed(app_db)
    at = run_page(ALERTS, VIEWER)
    at.text_input(key="alerts_silence_reason").input("bảo trì")
    click(at, "Tạm ẩn")
    assert any("may not do 'alert.silence'" in e.value for e in at.error)
    with app_db.connect() as conn:
        assert conn.execute(select(s.silences)).first() is None


# --- Thresholds page -----------------------------------------------------------------------

def fill_new_rule(at: AppTest, threshold: str, rule_id: str = "ontime-province") -> AppTest:
    at.text_input(key="thr_rule_id_new").input(rule_id)
    at.text_input(key="thr_name_new").input("Đúng hạn toàn tỉnh")
    at.text_input(key="thr_threshold_new").input(threshold)
    return click(at, "Kiểm tra")


def test_a_malformed_threshold_is_refused_naming_the_field(app_db: Engine) -> None:
    at = run_page(THRESHOLDS, ADMIN)
    fill_new_rule(at, "chín mươi")
    assert any("threshold: must be a number" in e.value for e in at.error), \
        [e.value for e in at.error]
    fill_new_rule(at, "150")  # a ratio in %: 150 % is 1.5, out of 0..1
    assert any("threshold: dossier.on_time_rate is a ratio" in e.value for e in at.error)
    assert not [b for b in at.button if b.label.startswith("Lưu")]
    assert rule_store.list_stored(app_db) == []


def test_an_admin_creates_a_burst_rule_with_its_parameters(app_db: Engine) -> None:
    at = run_page(THRESHOLDS, ADMIN)
    at.radio(key="thr_kind_new").set_value("burst")
    at.text_input(key="thr_rule_id_new").input("pakn-dot-bien")
    at.text_input(key="thr_name_new").input("Phản ánh tăng đột biến")
    at.text_input(key="thr_threshold_new").input("0")
    click(at, "Kiểm tra")  # the default KPI is a ratio: a burst needs a count
    assert any("kpi: kind 'burst' needs a count KPI" in e.value for e in at.error), \
        [e.value for e in at.error]
    at.selectbox(key="thr_kpi_new").set_value("feedback.received")
    at.selectbox(key="thr_window_new").set_value("1h")
    at.selectbox(key="thr_comparator_new").set_value(">")
    at.number_input(key="thr_weeks_new").set_value(2)
    at.number_input(key="thr_min_new").set_value(3)
    at.number_input(key="thr_factor_new").set_value(2.5)
    click(at, "Kiểm tra")
    assert not at.error, [e.value for e in at.error]
    click(at, "Lưu quy tắc")
    (stored,) = rule_store.list_stored(app_db)
    assert (stored.rule.kind, stored.rule.kpi, stored.rule.window) == ("burst",
                                                                       "feedback.received", "1h")
    assert dict(stored.rule.params) == {"baseline_weeks": 2, "min_count": 3, "factor": 2.5}


def test_a_viewer_cannot_save_a_rule(app_db: Engine) -> None:
    at = run_page(THRESHOLDS, VIEWER)
    fill_new_rule(at, "90")
    assert any("hợp lệ" in m.value for m in at.success)
    assert any("Chạy thử 30 ngày chưa có" in i.value for i in at.info) or "ioc.alerts.backtest" in \
        sys.modules
    click(at, "Lưu quy tắc")
    assert any("may not do 'rule.create'" in e.value for e in at.error), \
        [e.value for e in at.error]
    assert rule_store.list_stored(app_db) == []
    assert rule_store.audit_trail(app_db) == []


def test_an_admin_saves_after_a_backtest_and_sees_the_audit_trail(
        app_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    @dataclass
    class Result:
        firings: list
        count: int
        series: pl.DataFrame

    t0 = utc_naive().replace(minute=0, second=0) - timedelta(days=2)
    calls = []

    def backtest(engine: Engine, rule: object, now: object = None, days: int = 30) -> Result:
        calls.append((rule, days))
        series = pl.DataFrame({"hour": [t0, t0 + timedelta(hours=1)], "value": [0.95, 0.8],
                               "state": ["ok", "firing"]})
        return Result([t0 + timedelta(hours=1)], 1, series)

    fake = types.ModuleType("ioc.alerts.backtest")
    fake.backtest = backtest
    monkeypatch.setitem(sys.modules, "ioc.alerts.backtest", fake)

    at = run_page(THRESHOLDS, ADMIN)
    fill_new_rule(at, "90")
    assert calls and calls[0][0].threshold == pytest.approx(0.9) and calls[0][1] == 30
    assert any("would have fired **1** time" in m.value for m in at.markdown)
    assert len(at.get("vega_lite_chart")) == 1
    at.run()  # any rerun (a fragment, a click elsewhere) shows the same backtest …
    assert len(calls) == 1 and any("would have fired **1** time" in m.value for m in at.markdown)
    click(at, "Lưu quy tắc")
    assert len(calls) == 1  # … and the Save click does not wait for it a second time
    stored = rule_store.list_stored(app_db)
    assert [(sr.rule.rule_id, sr.rule.threshold, sr.updated_by) for sr in stored] == [
        ("ontime-province", 0.9, "boss")]
    assert stored[0].rule.scope == "province:25"
    assert at.selectbox(key="thr_pick").value == "ontime-province"
    audit = table(at, "Thao tác · Action")
    assert audit["Thao tác · Action"].to_list() == ["Tạo mới · create"]
    # Disable: audited as well.
    click(at, "Tắt quy tắc")
    assert rule_store.get_rule(app_db, "ontime-province").enabled is False
    assert table(at, "Thao tác · Action")["Thao tác · Action"].to_list() == [
        "Tắt · disable", "Tạo mới · create"]
