"""End-to-end check of the alert flow in a real browser, with screenshots.

The issue's "done when": an admin signs in, creates a rule on the Thresholds page (Cấu hình
ngưỡng) after reading its backtest; the wall screen shows the alert (banner on every page)
within one aggregation cycle of the crossing; an operator acknowledges it (Alerts page, Cảnh
báo, with a note); it resolves by itself when the KPI recovers; all of it is in the audit
trail (rule audit on the Thresholds page, alert history on the Alerts page).

The rule watches `dossier.overdue > 0` for one commune that has one (or a few) overdue open
dossiers in the live data (chosen from the SQLite database, confirmed with `ioc kpi`). The KPI
recovers when the script feeds `completed` events for those dossiers through `ioc ingest`
(same validation path as every connector; `seq` = stored seq + 1, so the events win).

It needs a running system (`ioc up`, with the simulators) and two accounts. Run it with a
Python that has Playwright (not the project's venv), driving Debian's chromium:

    python3 -m venv /tmp/pw && /tmp/pw/bin/pip install playwright
    export IOC_VAR_DIR=/tmp/ioc_e2e/var IOC_UI_PORT=8611 IOC_ADMIN_PASSWORD='Admin-e2e-2026!'
    setsid .venv/bin/ioc up > /tmp/ioc_e2e/up.log 2>&1 &       # wait for "IOC đang chạy"
    echo 'Operator-e2e-2026!' | .venv/bin/ioc users add vanhanh1 --role operator --password-stdin
    E2E_ADMIN_PASSWORD='Admin-e2e-2026!' E2E_OPERATOR_PASSWORD='Operator-e2e-2026!' \\
      /tmp/pw/bin/python scripts/e2e_alert_flow.py --base-url http://localhost:8611 \\
        --db-url sqlite:////tmp/ioc_e2e/var/ioc.db --ioc .venv/bin/ioc

Arguments: --base-url (the UI), --db-url (sqlite:///… of that system; read-only checks, and
given to `ioc` as IOC_DATABASE_URL), --ioc (the ioc executable), --var-dir (IOC_VAR_DIR of
the running system, where `ioc ingest` finds the embedded broker; default: the database's
folder), --out (screenshots, default docs/screenshots), --chromium (default /usr/bin/chromium),
--timeout (seconds to wait for the banner and for the resolution, default 120).
Passwords come from the environment, never argv: E2E_ADMIN_PASSWORD, E2E_OPERATOR_PASSWORD
(users E2E_ADMIN_USER, default admin, and E2E_OPERATOR_USER, default vanhanh1).

Exit status 0 when every check passed; the last line is a JSON summary with the timings.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, sync_playwright

WALL = (1920, 1080)
TABLET = (1024, 768)
NOTE = "Đã giao cán bộ một cửa xử lý ngay hồ sơ quá hạn (e2e)"


class CheckFailed(AssertionError):
    pass


def log(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", flush=True)


def check(cond: object, what: str) -> None:
    if not cond:
        raise CheckFailed(what)
    log(f"OK  {what}")


def wait_until(fn: Callable[[], Any], timeout: float, what: str, every: float = 0.5) -> Any:
    """Poll `fn` until it returns something truthy; the value, or CheckFailed at timeout."""
    end = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > end:
            raise CheckFailed(f"timed out after {timeout:.0f} s: {what}")
        time.sleep(every)


# --------------------------------------------------------------------------- database / ioc

class System:
    def __init__(self, db_url: str, ioc: str, var_dir: str | None) -> None:
        if not db_url.startswith("sqlite:///"):
            sys.exit("--db-url: only sqlite:///PATH is supported by this script")
        self.db_path = db_url[len("sqlite:///"):]
        if not Path(self.db_path).is_file():
            sys.exit(f"--db-url: no database at {self.db_path}")
        self.ioc = ioc
        self.env = {**os.environ, "IOC_DATABASE_URL": db_url,
                    "IOC_VAR_DIR": var_dir or str(Path(self.db_path).parent)}

    def query(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
        con.row_factory = sqlite3.Row
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def run(self, *args: str) -> str:
        out = subprocess.run([self.ioc, *args], env=self.env, capture_output=True, text=True,
                             timeout=300)
        if out.returncode != 0:
            raise CheckFailed(f"ioc {' '.join(args)} failed: {out.stderr[-2000:]}")
        return out.stdout

    def caught_up(self) -> bool:
        """The aggregator has read every stream record (rules are evaluated when it is not
        reading a backlog, e.g. the simulators' 30-day backfill at start)."""
        status = json.loads(self.run("status", "--json"))
        lag = status.get("consumer_lag", {}).get("total")
        ends = status.get("topics", {}).get("ioc.dossier.v1", {})
        return lag == 0 and sum(ends.values()) > 0

    def kpi(self, scope: str, code: str) -> float | None:
        rows = json.loads(self.run("kpi", "--json", "--scope", scope, "--window", "24h"))
        return next((r["value"] for r in rows if r["kpi"] == code and not r.get("by")), None)

    def commune_name(self, code: str) -> str:
        # The project's own names (the form's commune picker shows them): run its Python.
        shebang = Path(self.ioc).read_text(errors="replace").splitlines()[0]
        python = shebang[2:].strip() if shebang.startswith("#!") else sys.executable
        out = subprocess.run(
            [python, "-c", "import sys; from ioc.reference.admin_units import commune_names; "
             "print(commune_names(sys.argv[1])[sys.argv[2]])", self.province(), code],
            env=self.env, capture_output=True, text=True, timeout=60, check=True)
        return out.stdout.strip()

    def province(self) -> str:
        return os.environ.get("IOC_PROVINCE_CODE", "25")


OVERDUE_SQL = """
SELECT * FROM dossiers
WHERE is_open = 1 AND due_at < ? AND ward_code = ?
  AND NOT (supplement_requested_at IS NOT NULL AND supplement_received_at IS NULL)
"""


def choose_commune(system: System) -> tuple[str, list[sqlite3.Row]]:
    """A commune with 1-2 overdue open dossiers, the one whose next deadline is furthest away
    (so no other dossier turns overdue during the run), confirmed by `ioc kpi`."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    rows = system.query(
        """SELECT ward_code, count(*) AS n FROM dossiers
           WHERE is_open = 1 AND due_at < ? AND ward_code != ''
             AND NOT (supplement_requested_at IS NOT NULL AND supplement_received_at IS NULL)
           GROUP BY ward_code HAVING n BETWEEN 1 AND 2""", now)
    margin = []
    for r in rows:
        nxt = system.query("SELECT min(due_at) AS d FROM dossiers WHERE is_open = 1 "
                           "AND ward_code = ? AND due_at >= ?", r["ward_code"], now)[0]["d"]
        margin.append((nxt or "9999", r["ward_code"], r["n"]))
    busy = {r["scope"].rsplit("commune:", 1)[-1] for r in system.query(
        "SELECT scope FROM alerts WHERE is_open = 1 AND scope LIKE '%commune:%'")}
    for _, ward, n in sorted(margin, reverse=True)[:8]:
        if ward in busy:  # an earlier run's alert is still open there
            continue
        if system.kpi(f"commune:{ward}", "dossier.overdue") == n:
            return ward, system.query(OVERDUE_SQL, now, ward)
    raise CheckFailed("no commune with 1-2 overdue dossiers that `ioc kpi` confirms")


def iso(value: str | None) -> str | None:
    if not value:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat()


def completion_events(dossiers: list[sqlite3.Row]) -> list[dict[str, Any]]:
    """`completed` events (ioc.dossier.v1, state-carrying) that close these dossiers now."""
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    out = []
    for d in dossiers:
        seq = int(d["seq"]) + 1
        out.append({
            "schema": "ioc.dossier.v1", "event_id": f"{d['dossier_id']}:{seq}",
            "type": "completed", "occurred_at": now, "source": "e2e-alert-flow", "seq": seq,
            "province_code": d["province_code"], "ward_code": d["ward_code"] or None,
            **({} if d["ward_code"] else {"ward_code_reason": "unknown"}),
            "dossier_id": d["dossier_id"], "procedure_code": d["procedure_code"],
            "procedure_name": d["procedure_name"], "sector": d["sector"],
            "agency_code": d["agency_code"], "agency_name": d["agency_name"],
            "level": d["level"], "channel": d["channel"], "online_mode": d["online_mode"],
            "received_at": iso(d["received_at"]),
            # the source's deadline, without the supplement pause the aggregator adds
            "due_at": iso(d["due_at_legal"] or d["due_at"]),
            "completed_at": now, "digitized": bool(d["digitized"]) if d["digitized"]
            is not None else None, "e_result": True, "fee_vnd": d["fee_vnd"],
            "paid_online": bool(d["paid_online"]) if d["paid_online"] is not None else None,
            "rating": None, "applicant_kind": d["applicant_kind"],
            "supplement_requested_at": iso(d["supplement_requested_at"]),
            "supplement_received_at": iso(d["supplement_received_at"]),
            "online_eligible": bool(d["online_eligible"]) if d["online_eligible"]
            is not None else None,
            "status": "completed", "closed_at": None,
        })
    return out


# --------------------------------------------------------------------------- browser helpers

def settle(page: Page, quiet: float = 0.8, timeout: float = 30) -> None:
    """Wait until Streamlit has finished the current run: no 'Running…' status widget and no
    stale elements for `quiet` seconds in a row."""
    end = time.monotonic() + timeout
    calm_since = None
    while time.monotonic() < end:
        busy = page.evaluate("""() => !!document.querySelector('[data-testid="stStatusWidget"]')
            || document.querySelectorAll('[data-stale="true"]').length > 0
            || !!document.querySelector('[data-testid="stSpinner"]')""")
        if busy:
            calm_since = None
        elif calm_since is None:
            calm_since = time.monotonic()
        elif time.monotonic() - calm_since >= quiet:
            return
        time.sleep(0.1)


def textbox(page: Page, label: str) -> Locator:
    """A text input or text area by its label (get_by_label would also match its ? help)."""
    return page.get_by_role("textbox", name=label, exact=True)


def nav(page: Page, text: str, user: str | None = None) -> None:
    page.locator('[data-testid="stTopNavLink"]').filter(has_text=text).first.click()
    settle(page)
    if user:  # every page but the sign-in page names who is signed in, top right
        page.locator(".st-key-ioc_account").get_by_text(user).first.wait_for()
        log(f"OK  {text}: header shows {user}")


def select(page: Page, label: str, option_text: str, typed: str | None = None,
           scope: Locator | None = None) -> None:
    """Pick the option containing `option_text` in the selectbox labelled `label`."""
    root = scope or page.locator("body")
    box = root.locator('[data-testid="stSelectbox"]').filter(
        has=page.get_by_text(label, exact=True)).locator("visible=true").first
    box.locator('[role="combobox"], input').first.click()
    if typed:
        page.keyboard.type(typed)
    page.get_by_role("option").filter(has_text=option_text).first.click()
    settle(page)


def grid(page: Page, header: str) -> Locator:
    """The st.dataframe whose columns include `header`."""
    return page.locator('[data-testid="stDataFrame"]').filter(has_text=header).first


def grid_rows(page: Page, container: Locator) -> list[list[str]]:
    """Rows of an st.dataframe, from the grid's accessibility table (the cells are painted on
    a canvas; the table holds the columns in view): header first."""
    table = container.locator("table").first
    table.wait_for(state="attached")
    return table.evaluate("""t => [...t.querySelectorAll('tr')].map(
        tr => [...tr.querySelectorAll('th,td')].map(c => c.innerText.trim()))""")


def shot(page: Page, out: Path, name: str, size: tuple[int, int]) -> Path:
    """A full-page screenshot at `size`: Streamlit scrolls inside its main container, so the
    viewport is grown to the content's height for the capture, then set back."""
    w, h = size
    page.set_viewport_size({"width": w, "height": h})
    settle(page)
    needed = h
    for _ in range(4):  # the layout reflows after each resize
        content = page.evaluate("""() => {
            const m = document.querySelector('[data-testid="stMain"]');
            return m ? m.scrollHeight : document.documentElement.scrollHeight; }""")
        if content <= needed:
            break
        needed = content
        page.set_viewport_size({"width": w, "height": needed})
        settle(page, quiet=0.5)
    path = out / name
    page.screenshot(path=str(path), full_page=True)  # the ticker keeps scrolling
    page.set_viewport_size({"width": WALL[0], "height": WALL[1]})
    settle(page, quiet=0.3)
    log(f"screenshot {path} ({w}x{needed})")
    return path


def both_sizes(page: Page, out: Path, stem: str) -> list[Path]:
    """Wall screen (1920×1080) and tablet (1024×768), full page, named like the other
    screenshots in docs/screenshots: STEM-1920.png, STEM-1024.png."""
    return [shot(page, out, f"{stem}-{WALL[0]}.png", WALL),
            shot(page, out, f"{stem}-{TABLET[0]}.png", TABLET)]


def sign_in(page: Page, user: str, password: str) -> None:
    textbox(page, "Tên đăng nhập · Username").fill(user)
    textbox(page, "Mật khẩu · Password").fill(password)
    page.get_by_role("button", name="Đăng nhập · Sign in").click()
    page.get_by_text(f"Đã đăng nhập: {user}").wait_for(timeout=30000)
    settle(page)
    check(user in page.get_by_text("Đang đăng nhập · Signed in as").first.inner_text(),
          f"signed in as {user}")


def sign_out(page: Page) -> None:
    page.locator(".st-key-ioc_account a").first.click()
    settle(page)
    page.get_by_role("button", name="Đăng xuất · Sign out").click()
    page.get_by_text("Đã đăng xuất · Signed out").wait_for(timeout=30000)
    settle(page)
    check(textbox(page, "Tên đăng nhập · Username").count() == 1, "signed out")


def banner_item(page: Page, rule_id: str) -> Locator:
    """The banner's line for the episode of this rule (alert ids are '<rule_id>-<hex>')."""
    return page.locator(f'.ioc-alert-banner ul.top li[data-alert-id^="{rule_id}-"]')


# --------------------------------------------------------------------------- the flow

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--db-url", required=True)
    ap.add_argument("--ioc", required=True)
    ap.add_argument("--var-dir")
    ap.add_argument("--out", default="docs/screenshots")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    admin = os.environ.get("E2E_ADMIN_USER", "admin")
    operator = os.environ.get("E2E_OPERATOR_USER", "vanhanh1")
    admin_pw = os.environ.get("E2E_ADMIN_PASSWORD")
    operator_pw = os.environ.get("E2E_OPERATOR_PASSWORD")
    if not admin_pw or not operator_pw:
        sys.exit("set E2E_ADMIN_PASSWORD and E2E_OPERATOR_PASSWORD")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    system = System(args.db_url, args.ioc, args.var_dir)
    summary: dict[str, Any] = {"screenshots": []}

    wait_until(system.caught_up, 600, "aggregator caught up (ioc status: lag 0)", every=3)

    def commune_or_none() -> tuple[str, list[sqlite3.Row]] | None:
        # Lag 0 can be seen between two backfill bursts of the simulators, before any
        # dossier is overdue: look again until the state has them.
        try:
            return choose_commune(system)
        except CheckFailed:
            return None

    ward, overdue = wait_until(commune_or_none, 300, "a commune with 1-2 overdue dossiers",
                               every=5)
    commune = system.commune_name(ward)
    rule_id = f"e2e-overdue-{ward}-{datetime.now().strftime('%H%M%S')}"
    log(f"target: {commune} ({ward}), overdue dossiers {[d['dossier_id'] for d in overdue]}")
    summary.update(commune=f"{commune} ({ward})", rule_id=rule_id,
                   dossiers=[d["dossier_id"] for d in overdue])

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium,
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        ctx = browser.new_context(viewport={"width": WALL[0], "height": WALL[1]},
                                  locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                                  accept_downloads=True)
        page = ctx.new_page()
        page.set_default_timeout(30000)
        try:
            run_flow(page, args, system, summary, out, ward, commune, overdue, rule_id,
                     (admin, admin_pw), (operator, operator_pw))
        except Exception:
            failure = Path(tempfile.gettempdir()) / "e2e_alert_flow_failure.png"
            page.screenshot(path=str(failure), full_page=True)
            log(f"failure screenshot: {failure}")
            raise
        finally:
            browser.close()

    summary["screenshots"] = [str(s) for s in summary["screenshots"]]
    print(json.dumps(summary, ensure_ascii=False, default=str))
    return 0


def run_flow(page: Page, args: argparse.Namespace, system: System, summary: dict[str, Any],
             out: Path, ward: str, commune: str, overdue: list[sqlite3.Row], rule_id: str,
             admin_account: tuple[str, str], operator_account: tuple[str, str]) -> None:
    admin, admin_pw = admin_account
    operator, operator_pw = operator_account
    scope = f"province:{system.province()},commune:{ward}"

    # 1. sign-in page (anonymous visitor), then the admin signs in
    page.goto(f"{args.base_url}/login")
    textbox(page, "Tên đăng nhập · Username").wait_for()
    settle(page)
    summary["screenshots"] += both_sizes(page, out, "signin")
    sign_in(page, admin, admin_pw)
    check(page.locator('[data-testid="stTopNavLink"]').filter(
        has_text="Ngưỡng cảnh báo").count() == 1, "admin menu has the Thresholds page")

    # 2. Thresholds: fill the form, backtest, read it, save
    nav(page, "Ngưỡng cảnh báo", admin)
    page.get_by_text("Cấu hình ngưỡng · Thresholds").wait_for()
    textbox(page, "Mã quy tắc · Rule id").fill(rule_id)
    textbox(page, "Tên · Name").fill(f"Hồ sơ quá hạn tại {commune}")
    select(page, "Chỉ số · KPI", "(dossier.overdue)", typed="dossier.overdue")
    select(page, "Xã/phường · Commune", commune, typed=commune)
    select(page, "So sánh · Comparator", "> lớn hơn", typed="lớn hơn")
    textbox(page, "Ngưỡng · Threshold").fill("0")
    select(page, "Mức độ · Severity", "Nghiêm trọng · Critical", typed="Nghiêm")
    page.get_by_role("button", name="Kiểm tra và chạy thử 30 ngày").click()
    page.get_by_text("Quy tắc hợp lệ · The rule is valid").wait_for()
    backtest = page.get_by_text("Chạy thử 30 ngày qua · Backtest, last 30 days")
    backtest.wait_for()
    settle(page)
    text = backtest.locator("xpath=ancestor::*[@data-testid='stMarkdown'][1]").inner_text()
    fired = re.search(r"sẽ cảnh báo \**(\d+)\** lần", text)
    check(fired, f"backtest count shown: {text.strip()!r}")
    summary["backtest_fired"] = int(fired.group(1))
    chart = page.locator('[data-testid="stVegaLiteChart"], .vega-embed').first
    chart.wait_for()
    check(chart.locator("canvas, svg").count() > 0, "backtest chart drawn")
    summary["screenshots"] += both_sizes(page, out, "thresholds-backtest")
    save = page.get_by_role("button", name="Lưu quy tắc · Save rule")
    save.click()
    t_saved = time.monotonic()
    saved_wall = datetime.now(UTC)
    page.get_by_text(f"Đã lưu · Saved: {rule_id}").wait_for()
    log(f"rule {rule_id} saved")

    # 3. Overview: the banner, polled (it refreshes itself every IOC_REFRESH_SECONDS)
    nav(page, "Tổng quan")
    item = banner_item(page, rule_id)
    wait_until(lambda: item.count() > 0, args.timeout, "alert in the banner")
    summary["saved_to_banner_s"] = round(time.monotonic() - t_saved, 1)
    banner_text = item.first.inner_text()
    check("Hồ sơ quá hạn đang xử lý" in banner_text and "> 0" in banner_text,
          f"banner on the Overview after {summary['saved_to_banner_s']} s: {banner_text!r}")
    alert_id = item.first.get_attribute("data-alert-id")
    row = system.query("SELECT * FROM alerts WHERE alert_id = ?", alert_id)[0]
    check(row["rule_id"] == rule_id and row["scope"] == scope and row["state"] == "firing",
          f"alert {alert_id} is the new rule's, scope {scope}, firing")
    fired_at = datetime.fromisoformat(row["fired_at"]).replace(tzinfo=UTC)
    summary["alert_id"] = alert_id
    summary["saved_to_fired_s"] = round((fired_at - saved_wall).total_seconds(), 1)
    log(f"alert {alert_id}: fired {summary['saved_to_fired_s']} s after the save "
        "(database time)")
    summary["screenshots"] += both_sizes(page, out, "overview-alert-banner")
    sign_out(page)

    # 4. the operator acknowledges it on the Alerts page, with a note
    sign_in(page, operator, operator_pw)
    check(page.locator('[data-testid="stTopNavLink"]').filter(
        has_text="Ngưỡng cảnh báo").count() == 0, "operator menu has no Thresholds page")
    nav(page, "Cảnh báo", operator)
    page.get_by_text("Cán bộ vận hành trở lên xác nhận").wait_for()
    ack_tab = page.get_by_role("tabpanel").filter(has=page.get_by_text(
        "Cán bộ vận hành trở lên xác nhận"))
    select(page, "Cảnh báo · Alert", f"({rule_id})", typed=rule_id, scope=ack_tab)
    textbox(page, "Ghi chú (đang làm gì) · Note (what is being done)").fill(NOTE)
    page.get_by_role("button", name="Xác nhận · Acknowledge").click()
    page.get_by_text(f"Đã xác nhận · Acknowledged: {alert_id}").wait_for()
    settle(page)
    row = system.query("SELECT * FROM alerts WHERE alert_id = ?", alert_id)[0]
    check(row["state"] == "acknowledged" and row["acked_by"] == operator
          and row["ack_note"] == NOTE, f"alert acknowledged by {operator} with the note")
    select(page, "Quy tắc · Rule", rule_id, typed=rule_id)
    table = grid(page, "Trạng thái · State")

    def list_says(state_text: str) -> bool:
        rows = grid_rows(page, table) if table.count() else []
        return any(state_text in r and any(f"({rule_id})" in c for c in r) for r in rows)

    wait_until(lambda: list_says("Đã xác nhận · Acknowledged"), 30,
               "acknowledged in the live list")
    check(any(f"{operator}: {NOTE}" in r for r in grid_rows(page, table)),
          "live list shows who acknowledged and the note")
    check("đã xác nhận · acknowledged by " + operator in banner_item(
        page, rule_id).first.inner_text(), "banner says who acknowledged it")
    page.get_by_role("tab", name="Lịch sử · History").click()
    settle(page)
    summary["screenshots"] += both_sizes(page, out, "alerts-acknowledged")

    # 5. the KPI recovers: complete the overdue dossiers through `ioc ingest`
    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp) / f"e2e_recover_{ward}_{int(time.time())}.jsonl"
        feed.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n"
                                for e in completion_events(overdue)), encoding="utf-8")
        t_ingest = time.monotonic()
        result = json.loads(system.run("ingest", "--topic", "ioc.dossier.v1",
                                       str(feed)).strip().splitlines()[-1])
    check(result["produced"] == len(overdue) and result["dead_lettered"] == 0,
          f"ingest produced {result}")
    page.locator('[data-testid="stButtonGroup"]').get_by_role(
        "radio", name="Tất cả · All").first.click()
    settle(page)
    wait_until(lambda: list_says("Đã trở lại bình thường · Resolved"), args.timeout,
               "resolved in the live list")
    summary["ingest_to_resolved_s"] = round(time.monotonic() - t_ingest, 1)
    wait_until(lambda: banner_item(page, rule_id).count() == 0, 30,
               "alert gone from the banner")
    summary["ingest_to_banner_gone_s"] = round(time.monotonic() - t_ingest, 1)
    row = system.query("SELECT * FROM alerts WHERE alert_id = ?", alert_id)[0]
    check(row["state"] == "resolved" and not row["is_open"],
          f"resolved by itself {summary['ingest_to_resolved_s']} s after the ingest "
          f"(value {row['value']})")
    check(system.kpi(f"commune:{ward}", "dossier.overdue") == 0, "KPI back to 0")

    # 6. audit trail: alert history on the Alerts page (table and its CSV export)
    page.get_by_role("tab", name="Lịch sử · History").click()
    settle(page)
    with page.expect_download() as dl:
        page.get_by_role("button", name="⬇ Tải CSV").click()
    raw = Path(dl.value.path()).read_bytes().decode("utf-8-sig")
    hist = [r for r in csv.DictReader(io.StringIO(raw)) if r.get("Mã cảnh báo") == alert_id]
    events = {r["Sự kiện"].split(" · ")[0]: r for r in hist}
    summary["history"] = [{k: r[k] for k in ("Thời điểm", "Sự kiện", "Người/hệ thống",
                                             "Ghi chú")} for r in reversed(hist)]
    for vi_label in ("Phát cảnh báo", "Xác nhận", "Trở lại bình thường"):
        check(vi_label in events and events[vi_label]["Thời điểm"],
              f"history: {vi_label} by {events.get(vi_label, {}).get('Người/hệ thống')} "
              f"at {events.get(vi_label, {}).get('Thời điểm')}")
    check(events["Xác nhận"]["Người/hệ thống"] == operator
          and events["Xác nhận"]["Ghi chú"] == NOTE, "history: the ack names who and why")
    hist_grid = grid_rows(page, grid(page, "Sự kiện"))
    check(sum(rule_id in r for r in hist_grid) >= 3,
          "history table on the page lists the fire, ack and resolve rows")
    summary["screenshots"] += both_sizes(page, out, "alerts-resolved-history")
    sign_out(page)

    # 7. rule audit on the Thresholds page (admin)
    sign_in(page, admin, admin_pw)
    nav(page, "Ngưỡng cảnh báo")
    select(page, "Quy tắc · Rule", rule_id, typed=rule_id)
    page.get_by_text("Nhật ký thay đổi · Audit trail").wait_for()
    settle(page)
    audit = grid_rows(page, grid(page, "Thao tác · Action"))
    created = [r for r in audit[1:] if "Tạo mới · create" in r]
    check(created and admin in created[0] and created[0][0],
          f"rule audit: create by {admin} at {created[0][0] if created else '?'}")
    summary["rule_audit"] = audit
    summary["screenshots"] += both_sizes(page, out, "thresholds-audit")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CheckFailed as exc:
        log(f"FAIL {exc}")
        sys.exit(1)
