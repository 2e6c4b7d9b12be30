"""Tablets and scoped accounts in Debian's chromium against the real UI server (issue 14 §4,
§5): each page at 1024×768 and 768×1024 has no sideways scroll of the page and its buttons
and pickers are at least 44 px tall; a commune-scoped leader who edits the URL to another
commune's dossier list gets "out of your scope" and none of its rows. Screenshots:
docs/screenshots/tablet_<page>_1024.png (and _768 portrait)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from ioc.auth import create_user, set_scope
from ioc.auth.scopes import OUT_OF_SCOPE
from ioc.db import schema as s
from streams.chaos.workload import dossier_event
from tests.browser.conftest import SHOTS, UiServer, wait_for
from tests.browser.test_wall import TITLES as WALL_TITLES
from tests.helpers import apply_events
from tests.pages.test_alert_pages import alert_row

PW = "Tablet-Leader-42"
TITLES = {**WALL_TITLES, "thresholds": "Cấu hình ngưỡng"}
PAGES = ("overview", "dossiers", "feedback", "social", "alerts", "thresholds")
# What a tablet must be able to touch: Streamlit's buttons, pickers, tabs, links, our banner.
TOUCH = ("button:visible, [data-baseweb='select'] > div:visible, [role='tab']:visible, "
         "[data-testid='stPageLink'] a:visible, .ioc-alert-compact > summary:visible")
# Controls inside a control already checked (a picker's chevron, a chosen item's ×, a date
# field's calendar), "?" help marks beside labels, and the table toolbar that shows on touch
# of the table: each sits in or beside a target of at least 44 px.
INNER = ("Open", "Remove ", "Clear all", "Choose date", "Help for ")


@pytest.fixture(scope="module")
def accounts(wall_db: tuple[str, Engine]) -> tuple[str, str]:
    """An admin (every page) and a leader scoped to the workload's commune; returns that
    commune's code and another commune's, given dossiers of its own here."""
    engine = wall_db[1]
    other = "04792"  # Phường Tân Hòa
    now = datetime.now(UTC)
    apply_events(engine, [dossier_event(f"TANHOA-{i}", 1, "received",
                                        now - timedelta(hours=3 + i), ward=other)
                          for i in range(5)])
    with engine.connect() as conn:
        mine = conn.execute(select(s.dossiers.c.ward_code)
                            .where(s.dossiers.c.ward_code != other)).scalars().first()
    assert mine
    # Two firing alerts, so every page carries the deadline banner a tablet must fold.
    with engine.begin() as conn:
        conn.execute(insert(s.alerts), [
            alert_row("tablet-1", scope=f"province:25,commune:{mine}"),
            alert_row("tablet-2", scope=f"province:25,commune:{other}", severity="warning")])
    create_user(engine, "tablet-admin", PW, "admin")
    create_user(engine, "chutich", PW, "viewer")
    set_scope(engine, "chutich", f"commune:{mine}", by="test")
    return mine, other


def sign_in(page: Any, base: str, name: str) -> None:
    page.goto(base + "/")  # sign-in required on this server: the sign-in page is the default
    page.get_by_label("Tên đăng nhập · Username").fill(name)
    page.get_by_label("Mật khẩu · Password").fill(PW)
    page.get_by_role("button", name="Đăng nhập · Sign in").click()
    wait_for(lambda: page.get_by_text(f"Đã đăng nhập: {name}").count(), 30, "the sign-in")


def go(page: Any, path: str) -> None:
    """Change the URL inside the signed-in session (as the back button does; a full reload
    would start a new, anonymous session) and wait for that page's own title. A change that
    lands while a fragment reruns can be dropped: it is sent again."""
    name = path.strip("/").split("?")[0]

    def shown() -> bool:
        title = page.locator(".ioc-title")
        return bool(title.count() and title.first.inner_text().startswith(TITLES[name]))

    for attempt in range(3):
        page.evaluate("p => { history.pushState({}, '', p); "
                      "window.dispatchEvent(new PopStateEvent('popstate')); }", path)
        try:
            wait_for(shown, 20, f"{path} to render")
            return
        except AssertionError:
            if attempt == 2:
                raise


def overflow(page: Any) -> dict[str, int]:
    """How far the page, and Streamlit's scrolling main area, reach past the window."""
    return page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        return {page: document.documentElement.scrollWidth - window.innerWidth,
                main: main ? main.scrollWidth - main.clientWidth : 0};
    }""")


def small_targets(page: Any) -> list[str]:
    out = []
    for el in page.locator(TOUCH).all():
        label = el.get_attribute("aria-label") or el.get_attribute("title") or ""
        if (el.get_attribute("data-testid") == "stBaseButton-elementToolbar"
                or label.startswith(INNER) or (el.inner_text() or "").startswith(INNER)):
            continue
        box = el.bounding_box()
        if box and box["width"] > 0 and box["height"] < 44:
            what = el.evaluate("e => e.tagName + '.' + (e.dataset.testid || e.getAttribute("
                               "'kind') || e.getAttribute('role') || '')")
            text = (el.inner_text() or el.get_attribute("aria-label") or "?")[:24]
            out.append(f"{what} {text!r} {box['height']:.0f}px")
    return out


@pytest.mark.parametrize("width,height", [(1024, 768), (768, 1024)])
def test_every_page_fits_a_tablet(ui_server: UiServer, accounts: tuple[str, str],
                                  chromium: Any, width: int, height: int) -> None:
    page = chromium.new_page(viewport={"width": width, "height": height}, has_touch=True)
    sign_in(page, ui_server.base, "tablet-admin")
    problems = {}
    for name in PAGES:
        go(page, f"/{name}")
        page.wait_for_timeout(1500)  # charts and maps lay out after the script run
        page.screenshot(path=str(SHOTS / f"tablet_{name}_{width}.png"))
        # The alert banner is one line that opens on touch; the full one is hidden.
        line = page.locator(".ioc-alert-compact > summary")
        assert line.is_visible() and not page.locator(".ioc-alert-banner.ioc-wide").is_visible()
        assert 44 <= line.bounding_box()["height"] <= 60, name
        wide = overflow(page)
        small = small_targets(page)
        if wide["page"] > 0 or wide["main"] > 0 or small:
            problems[name] = (wide, small)
        assert page.locator("[data-testid='stException']").count() == 0, name
    line = page.locator(".ioc-alert-compact > summary")
    line.tap()
    wait_for(lambda: page.locator(".ioc-alert-compact[open] ul.top li").first.is_visible(),
             10, "the banner to open on touch")
    page.screenshot(path=str(SHOTS / f"tablet_banner_open_{width}.png"))
    page.close()
    assert problems == {}


def test_commune_leader_cannot_reach_another_communes_dossiers_by_url(
        ui_server: UiServer, accounts: tuple[str, str], chromium: Any) -> None:
    mine, other = accounts
    page = chromium.new_page(viewport={"width": 1024, "height": 768}, has_touch=True)
    sign_in(page, ui_server.base, "chutich")
    # The URL of another commune's dossier list, opened in his signed-in session.
    go(page, f"/dossiers?window=30d&commune={other}")
    wait_for(lambda: page.get_by_text(OUT_OF_SCOPE).count(), 60, "the out-of-scope message")
    assert page.locator(".ioc-dboard").count() == 0  # no tiles
    assert page.locator("[data-testid='stDataFrame']").count() == 0  # no list, no ranking
    page.screenshot(path=str(SHOTS / "tablet_out_of_scope_1024.png"))
    # His own commune, through the menu's page and the URL, shows his tiles.
    go(page, "/overview")
    go(page, f"/dossiers?window=30d&commune={mine}")
    wait_for(lambda: page.locator(".ioc-dboard").count(), 60, "his commune's tiles")
    assert page.get_by_text(OUT_OF_SCOPE).count() == 0
    # A full reload with that URL starts a new session: anonymous, so the sign-in page.
    page.goto(ui_server.base + f"/dossiers?commune={other}")
    wait_for(lambda: page.get_by_label("Mật khẩu · Password").count(), 30, "the sign-in form")
    assert page.locator(".ioc-dboard").count() == 0
    page.close()
