"""The wall screen in Debian's chromium against the real UI server: the playlist rotates
through its pages in order, in kiosk chrome (no header, menu or sign-in link, no error); the
freshness strip turns red when the aggregator's heartbeat stops and green when it resumes,
and names the stream whose connector has failed for 10 minutes;
the wall comes back to its playlist by itself after the UI server restarts. Screenshots go to
docs/screenshots/ (wall_1920.png, wall_3840.png, wall_stale.png, wall_stream_stale.png)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from ioc.db import connector_heartbeats
from ioc.ui.wall.watchdog import SLOT_ID
from tests.browser.conftest import DWELL, PLAYLIST_PAGES, SHOTS, UiServer, wait_for

TITLES = {"overview": "Tổng quan", "dossiers": "Hồ sơ TTHC", "feedback": "Phản ánh kiến nghị",
          "social": "Lắng nghe mạng xã hội", "alerts": "Cảnh báo"}


def _view(page: Any) -> Any:
    """The document of the slot on screen: the host's full-screen iframe once the rotation
    has begun (the top document never navigates, ioc.ui.wall.watchdog), else the page."""
    if page.locator(f"#{SLOT_ID}").count():
        return page.frame_locator(f"#{SLOT_ID}")
    return page


def _page_of(page: Any) -> str | None:
    """The page of the slot on screen (the strip names it; drawn before the page runs)."""
    strip = _view(page).locator(".ioc-wall-strip")
    return strip.first.get_attribute("data-page") if strip.count() else None


def _heading(page: Any) -> str:
    heading = _view(page).locator(".ioc-title")
    return heading.first.inner_text() if heading.count() else ""


def _strip_state(page: Any) -> str | None:
    strip = _view(page).locator(".ioc-wall-strip")
    return strip.get_attribute("data-freshness") if strip.count() else None


def test_playlist_rotates_in_kiosk_chrome(ui_server: UiServer, wall_url: str,
                                          chromium: Any) -> None:
    page = chromium.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(ui_server.base + wall_url)
    seen: list[str] = []
    headings: set[str] = set()  # pages whose own title was on screen

    def next_page() -> bool:
        current = _page_of(page)
        if current and _heading(page).startswith(TITLES.get(current, "?")):
            headings.add(current)
        if current and current != "wall" and (not seen or seen[-1] != current):
            seen.append(current)
            if current == "overview" and len(seen) == 1:
                wait_for(lambda: _view(page).locator(".ioc-tile").count()
                         and _view(page).locator("[data-testid='stDeckGlJsonChart'] canvas")
                         .count(), 20, "the Overview's tiles and map")
                page.screenshot(path=str(SHOTS / "wall_1920.png"))
        assert _view(page).locator("[data-testid='stException']").count() == 0, current
        return len(seen) == len(PLAYLIST_PAGES) + 1

    wait_for(next_page, (len(PLAYLIST_PAGES) + 2) * (DWELL + 15), f"the rotation (seen {seen})")
    assert seen == [*PLAYLIST_PAGES, PLAYLIST_PAGES[0]]
    # Each page rendered its own title while on screen (a slow page may get its title after
    # the strip: allow one miss on a loaded machine, never more).
    assert len(headings) >= len(PLAYLIST_PAGES) - 1, headings
    # Kiosk chrome: no header bar (menu, toolbar), no sign-in link; the strip with the clock.
    # The slot is in the host's iframe now, and the top document was never replaced.
    assert page.locator(f"#{SLOT_ID}").count() == 1 and page.url.endswith(wall_url)
    view = _view(page)
    assert not view.locator("header[data-testid='stHeader']").is_visible()
    assert view.locator(".st-key-ioc_account").count() == 0
    assert re.fullmatch(r"\d\d:\d\d:\d\d", view.locator("[data-ioc-clock]").inner_text())
    assert not view.locator("[data-baseweb='modal']").is_visible()  # no "Page not found"
    assert _strip_state(page) == "live"
    page.close()


def test_type_scales_at_3840(ui_server: UiServer, overview_url: str, chromium: Any) -> None:
    sizes = {}
    for width, height in ((1920, 1080), (3840, 2160)):
        page = chromium.new_page(viewport={"width": width, "height": height})
        page.goto(ui_server.base + overview_url)
        wait_for(lambda p=page: p.locator(".ioc-tile").count()
                 and p.locator("[data-testid='stVegaLiteChart'] svg").count()
                 and p.locator("[data-testid='stDeckGlJsonChart'] canvas").count(),
                 40, "the Overview's tiles, trend and map")
        sizes[width] = page.evaluate(
            "parseFloat(getComputedStyle(document.documentElement).fontSize)")
        if width == 3840:
            page.screenshot(path=str(SHOTS / "wall_3840.png"))
        page.close()
    assert sizes[3840] >= 1.9 * sizes[1920] >= 1.9 * 17


def test_freshness_strip_red_when_aggregator_stops(ui_server: UiServer, heartbeat: Any,
                                                   overview_url: str, chromium: Any,
                                                   wall_db: tuple[str, Engine]) -> None:
    page = chromium.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(ui_server.base + overview_url)
    wait_for(lambda: _strip_state(page) == "live", 30, "a live strip")
    heartbeat.stop()
    wait_for(lambda: _strip_state(page) == "stale", 30, "the strip to turn stale")
    why = page.locator(".ioc-wall-strip .why").inner_text()
    assert "Aggregator silent since" in why and "Bộ tổng hợp ngừng báo từ" in why
    border = page.evaluate("getComputedStyle(document.body, '::after').borderTopColor")
    assert border == "rgb(198, 40, 40)"
    page.screenshot(path=str(SHOTS / "wall_stale.png"))
    heartbeat.start()
    wait_for(lambda: _strip_state(page) == "live", 30, "the strip to turn live again")
    assert page.evaluate("getComputedStyle(document.body, '::after').borderTopStyle") in (
        "none", "")
    # A connector whose polls fail for 10 minutes: the strip names its stream, then live.
    aged = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=10)
    connector_heartbeats.record(wall_db[1], "sim-feedback", "feedback", ok=False,
                                error="OSError: refused", now=aged)
    wait_for(lambda: _strip_state(page) == "stale", 30, "a stale stream on the strip")
    why = page.locator(".ioc-wall-strip .why").inner_text()
    assert "Luồng phản ánh (feedback) mất dữ liệu từ" in why and "sim-feedback" in why
    page.screenshot(path=str(SHOTS / "wall_stream_stale.png"))
    connector_heartbeats.prune(wall_db[1], expiry_seconds=60)  # the connector removed
    wait_for(lambda: _strip_state(page) == "live", 30, "the strip live without it")
    page.close()


def _assert_nothing_half_loaded_shows(page: Any) -> None:
    """While reconnecting, the slot (Streamlit's module-fetch errors of a half-loaded page)
    is hidden and Streamlit's own dialogs are styled away: only the overlay speaks."""
    assert page.evaluate(f"(() => {{ const s = document.getElementById('{SLOT_ID}');"
                         " return !s || getComputedStyle(s).visibility === 'hidden'; })()")
    assert page.evaluate("[...document.querySelectorAll('[data-testid=\"stDialog\"],"
                         " div[role=\"dialog\"]')].every(d => !d.checkVisibility())")


def test_wall_recovers_after_ui_server_restart(ui_server: UiServer, wall_url: str,
                                               chromium: Any) -> None:
    page = chromium.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(ui_server.base + wall_url)
    wait_for(lambda: _page_of(page) == "overview", 30, "the first slot")
    ui_server.stop()
    wait_for(lambda: page.locator("#ioc-offline").count(), 20, "the reconnecting overlay")
    assert "Mất kết nối · reconnecting" in page.locator("#ioc-offline").inner_text()
    _assert_nothing_half_loaded_shows(page)
    page.screenshot(path=str(SHOTS / "wall_reconnecting.png"))
    ui_server.start()
    wait_for(lambda: page.locator("#ioc-offline").count() == 0 and _strip_state(page),
             60, "the wall back after the restart")
    first = _page_of(page)
    # Two sessions reconnect after a restart (the slot and the host's hidden first page).
    wait_for(lambda: _page_of(page) not in (None, first), 3 * DWELL + 30,
             "the rotation to go on")
    assert _view(page).locator("[data-testid='stException']").count() == 0
    page.close()


def test_wall_survives_a_slot_load_that_fails(ui_server: UiServer, wall_url: str,
                                              chromium: Any) -> None:
    """The gap of a navigation-based rotation: the server dies between the health check and
    the next slot's load, so the load itself fails. Here the slot's iframe is sent to the
    dead server (chromium's error page inside it); the host document, never navigated, keeps
    its script: it shows the overlay and brings the wall back when the server returns."""
    page = chromium.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(ui_server.base + wall_url)
    wait_for(lambda: page.locator(f"#{SLOT_ID}").count() and _page_of(page), 60,
             "the first slot in the host's iframe")
    ui_server.stop()
    page.evaluate(f"u => {{ document.getElementById('{SLOT_ID}').src = u; }}",
                  ui_server.base + wall_url)
    wait_for(lambda: _page_of(page) is None, 20, "the slot's failed load")
    wait_for(lambda: page.locator("#ioc-offline").count(), 20, "the reconnecting overlay")
    assert page.url == ui_server.base + wall_url  # the top document was never replaced
    _assert_nothing_half_loaded_shows(page)
    # The overlay is on top of the slot's iframe, not hidden under it.
    assert page.evaluate("document.elementFromPoint(innerWidth / 2, innerHeight / 2)"
                         ".closest('#ioc-offline') !== null")
    ui_server.start()
    wait_for(lambda: page.locator("#ioc-offline").count() == 0 and _strip_state(page),
             60, "the wall back after the failed load")
    first = _page_of(page)
    wait_for(lambda: _page_of(page) not in (None, first), 3 * DWELL + 30,
             "the rotation to go on")
    assert _view(page).locator("[data-testid='stException']").count() == 0
    page.close()
