"""Kiosk mode for wall screens: the one place that reads the kiosk URL, hides Streamlit's
chrome, scales the type with the screen, draws the wall strip (playlist position, data
freshness, clock) and drives the rotation. app.py calls `wall_state` before building the menu
and `run_page` instead of `page.run()`; nothing else of the app knows about walls.

URLs: `/wall?playlist=NAME&key=TOKEN` starts a playlist (the token from `ioc playlists add`),
`?kiosk=1` on any page shows that page alone in kiosk chrome. Each slot of a playlist is the
page's own URL plus playlist=, key=, step= (and alert=1 when a critical alert took the turn),
so the page renders itself with its own fresh data and the wall never depends on state kept
in one long session. A valid token lets the screen see the viewer's pages even where sign-in
is required (IOC_ANONYMOUS_ROLE=""); it can change nothing (no identity, so every
require_action refuses).
"""

from __future__ import annotations

import html
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from ioc.alerts.store import firing_now
from ioc.i18n import bilingual, fmt_age
from ioc.kpis.freshness import Freshness
from ioc.settings import Settings
from ioc.ui.components import load_freshness, local_now, stale_reasons
from ioc.ui.nav import PAGES
from ioc.ui.wall.watchdog import OFFLINE_TEXT, watchdog_html
from ioc.wall import store
from ioc.wall.playlists import Playlist, Slot, slot

log = logging.getLogger(__name__)

STATE_KEY = "ioc_wall_params"  # the kiosk parameters of this session's first run
PARAMS = ("kiosk", "playlist", "key", "step", "alert")
WALL_PAGE = "wall"
# Streamlit serves the default page at "/" (url_path ""): the strip names it anyway.
DEFAULT_PAGE = next((p.url_path for p in PAGES if p.default), "")
START_DWELL = 1  # seconds on the /wall entry before the first slot
RETRY_DWELL = 10  # seconds before a slot that failed (database away) is loaded again

KIOSK_CSS = """<style>
/* Kiosk: no menu, header, toolbar, sidebar or sign-in link; nothing to click on a wall. */
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"], [data-testid="stDecoration"],
[data-testid="stAppDeployButton"], [data-testid="stStatusWidget"], .st-key-ioc_account,
/* Streamlit's own "Connection error" / "Page not found" dialogs: the wall says it itself. */
[data-baseweb="modal"], [data-testid="stDialog"], div[role="dialog"]
{ display: none !important; }
/* Type scales with the screen: 16 px at 1280 wide, ~18 px at 1920, ~37 px at 3840 (5 m). */
html { font-size: clamp(16px, 0.96vw, 48px); }
[data-testid="stMainBlockContainer"], .block-container {
  padding-top: 1rem !important; padding-bottom: 4.6rem !important; max-width: none !important; }
.ioc-wall-strip { position: fixed; left: 0; right: 0; bottom: 0; z-index: 999990;
  display: flex; align-items: center; gap: 1.2rem; padding: .45rem 1.2rem;
  background: #12263a; color: #fff; font-size: 1.25rem; line-height: 1.3; }
.ioc-wall-strip .pl { font-weight: 700; white-space: nowrap; }
.ioc-wall-strip .pl .pos { opacity: .75; font-weight: 500; margin-left: .5rem; }
.ioc-wall-strip .fresh { flex: 1 1 auto; display: flex; align-items: center; gap: .6rem;
  min-width: 0; }
.ioc-wall-strip .fresh .state { border-radius: 999px; padding: .1rem .9rem; font-weight: 800;
  white-space: nowrap; background: #1b7f3b; }
.ioc-wall-strip[data-freshness="stale"] .fresh .state { background: #c62828; }
.ioc-wall-strip .fresh .why { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.ioc-wall-strip .clock { font-size: 1.7rem; font-weight: 800;
  font-variant-numeric: tabular-nums; white-space: nowrap; }
/* Stale data or no connection: the whole screen's border turns red, visible across a room. */
body:has(.ioc-wall-strip[data-freshness="stale"])::after,
body:has(#ioc-offline)::after {
  content: ""; position: fixed; inset: 0; pointer-events: none; z-index: 999995;
  border: max(10px, .7vw) solid #c62828; }
.ioc-wall-offline { border-radius: .8rem; background: #fdecea; border: 3px solid #c62828;
  color: #7f1d1d; padding: 1.2rem 1.6rem; margin: 1rem 0; }
.ioc-wall-offline .t { font-size: 2.4rem; font-weight: 800; }
.ioc-wall-offline .s { font-size: 1.3rem; }
#ioc-offline { position: fixed; inset: 0; z-index: 999994; display: flex;
  align-items: center; justify-content: center; background: rgba(18, 38, 58, .86); }
#ioc-offline .box { background: #fff; border-radius: 1rem; padding: 2rem 3rem;
  max-width: 70vw; text-align: center; border: 6px solid #c62828; }
#ioc-offline .t { font-size: 3rem; font-weight: 800; color: #c62828; }
#ioc-offline .s { font-size: 1.4rem; color: #12263a; margin-top: .6rem; }
</style>"""


@dataclass(frozen=True)
class WallState:
    kiosk: bool = False
    playlist: Playlist | None = None  # set only when the token matched
    key: str = ""
    step: int = 0
    interrupt: bool = False
    problem: str = ""  # "token" (wrong or renewed key) | "db" (database away)
    params: dict[str, str] = field(default_factory=dict)  # the kiosk parameters as given

    @property
    def role(self) -> str | None:
        """The menu role a valid playlist token gives: the viewer's pages."""
        return "viewer" if self.playlist is not None else None


def kiosk_params(query: dict[str, str]) -> dict[str, str]:
    """The kiosk parameters of a URL's query (pure)."""
    return {k: query[k] for k in PARAMS if query.get(k)}


def _int(text: str | None) -> int:
    try:
        return max(0, int(text or 0))
    except ValueError:
        return 0


def wall_state(engine: Engine) -> WallState:
    """This session's kiosk state. The parameters of the first run are kept for the session:
    pages rewrite their own query parameters (window, drill-down) and would drop ours."""
    params = kiosk_params(st.query_params.to_dict()) or st.session_state.get(STATE_KEY, {})
    if not params:
        return WallState()
    st.session_state[STATE_KEY] = params
    common = {"kiosk": True, "key": params.get("key", ""), "step": _int(params.get("step")),
              "interrupt": params.get("alert") == "1", "params": params}
    name = params.get("playlist", "")
    if not name:
        return WallState(**common)
    try:
        playlist = store.check_token(engine, name, common["key"])
    except SQLAlchemyError:
        return WallState(**common, problem="db")
    return WallState(**common, playlist=playlist, problem="" if playlist else "token")


def slot_url(wall: WallState, s: Slot | None, step: int, interrupt: bool) -> str:
    """The URL of a slot: the page with its own parameters and the kiosk ones."""
    assert wall.playlist is not None
    page = s.page if s is not None else WALL_PAGE
    page = "" if page == DEFAULT_PAGE else page  # served at "/" only
    query = {**(s.params if s is not None else {}), "playlist": wall.playlist.name,
             "key": wall.key, "step": str(step)}
    if interrupt:
        query["alert"] = "1"
    return f"/{page}?{urlencode(query)}"


def critical_firing(engine: Engine) -> bool:
    return any(r.get("severity") == "critical" and r.get("state") == "firing"
               for r in firing_now(engine))


# --- the strip ----------------------------------------------------------------------------

def stale_reason(fr: Freshness, now: datetime | None = None) -> str:
    """Which part stopped (broker, aggregator, each stream's connector) and since when, in
    both languages: the badge's reasons (components.stale_reasons), joined (pure)."""
    return " · ".join(stale_reasons(fr, now))


def strip_html(title: str, position: str, fr: Freshness | None, db_ok: bool,
               now: datetime | None = None, page: str = "") -> str:
    """The bottom strip of a wall screen (pure): playlist, position and page, freshness,
    clock."""
    if not db_ok:
        state, label, why = "stale", bilingual(*OFFLINE_TEXT), bilingual(
            "Không đọc được cơ sở dữ liệu", "database unreachable")
    elif fr is None or fr.stale:
        state, label = "stale", bilingual("Dữ liệu cũ", "Stale")
        why = stale_reason(fr, now) if fr is not None else ""
    else:
        state, label = "live", bilingual("Trực tiếp", "Live")
        why = f"cập nhật {fmt_age(fr.age_seconds)} trước · updated"
    clock = local_now(now).strftime("%H:%M:%S")
    streams = " ".join(s.stream for s in fr.stale_streams) if fr is not None and db_ok else ""
    return (f'<div class="ioc-wall-strip" data-freshness="{state}" '
            f'data-page="{html.escape(page)}" data-stale-streams="{html.escape(streams)}">'
            f'<span class="pl">{html.escape(title)}<span class="pos">{html.escape(position)}'
            f'</span></span><span class="fresh"><span class="state">{html.escape(label)}'
            f'</span><span class="why">{html.escape(why)}</span></span>'
            f'<span class="clock" data-ioc-clock="1">{clock}</span></div>')


def render_strip(engine: Engine, settings: Settings, title: str, position: str,
                 page: str) -> None:
    @st.fragment(run_every=settings.refresh_seconds)
    def wall_strip() -> None:
        try:
            fr, ok = load_freshness(engine, settings.freshness_seconds), True
        except SQLAlchemyError:
            fr, ok = None, False
        st.html(strip_html(title, position, fr, ok, page=page))

    wall_strip()


def render_offline(what_vi: str, what_en: str) -> None:
    st.html(f'<div class="ioc-wall-offline" role="alert" data-offline="{what_en}">'
            f'<div class="t">{bilingual(*OFFLINE_TEXT)}</div>'
            f'<div class="s">{html.escape(what_vi)} · {html.escape(what_en)}</div></div>')


# --- the app hook -------------------------------------------------------------------------

def _here(url_path: str) -> str:
    query = st.query_params.to_dict()
    query.update(st.session_state.get(STATE_KEY, {}))
    return f"/{url_path}?{urlencode(query)}"


def run_page(page: Any, wall: WallState, engine: Engine, settings: Settings) -> None:
    """Run the page; in kiosk mode with the wall's chrome and rotation, and with any error
    shown as the reconnecting state (never a stack trace) and retried."""
    if not wall.kiosk:
        page.run()
        return
    st.html(KIOSK_CSS)
    current: Slot | None = None
    if wall.playlist is not None and page.url_path != WALL_PAGE:
        try:
            current = slot(wall.playlist, wall.step, wall.interrupt, critical_firing(engine))
        except SQLAlchemyError:
            current = slot(wall.playlist, wall.step, wall.interrupt, False)
    title = wall.playlist.title or wall.playlist.name if wall.playlist else ""
    position = (f"{wall.step % len(wall.playlist.items) + 1}/{len(wall.playlist.items)} · "
                if wall.playlist and current else "") + page.title
    name = page.url_path or DEFAULT_PAGE
    render_strip(engine, settings, title, position, name)
    here = _here(page.url_path)
    seq = time.time_ns()
    if wall.playlist is None:
        nxt, dwell = None, 0
    elif current is None:  # the /wall entry: straight to the first slot
        nxt, dwell = slot_url(wall, slot(wall.playlist, wall.step, False, False), wall.step,
                              False), START_DWELL
    else:
        nxt = slot_url(wall, slot(wall.playlist, current.next_step, current.next_interrupt,
                                  False), current.next_step, current.next_interrupt)
        dwell = current.dwell
    # Before the page: a page that ends its run early (st.stop) still rotates.
    st.iframe(watchdog_html(here, nxt, dwell, seq), height=1)
    ok = wall.problem != "db"
    if wall.problem == "token":
        st.error(bilingual("Mã trình chiếu không đúng hoặc đã được cấp lại",
                           "Wall key wrong or renewed") + f": {wall.params.get('playlist')}")
    elif ok:
        try:
            page.run()
        except ScriptControlException:
            raise
        except SQLAlchemyError:
            ok = False
        except Exception:  # a wall shows a state, never a traceback
            log.exception("page %s failed on a wall screen", page.url_path)
            ok = False
    if not ok:  # this slot again after RETRY_DWELL instead of the next one
        render_offline("Không đọc được dữ liệu, sẽ thử lại", "data unavailable, retrying")
        st.iframe(watchdog_html(here, here, RETRY_DWELL, seq + 1), height=1)
