"""The alert banner and ticker on top of every page (app.py draws it before the page runs):
a pure HTML builder that the tests call directly, and `render_alert_banner`, the fragment that
re-reads the firing alerts. Alert rows are the dicts of `ioc.alerts.store` (naive UTC times).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ioc.alerts.reminders import is_reminder
from ioc.alerts.store import firing_now
from ioc.alerts.text import (
    SEVERITY_LABELS,
    SEVERITY_RANK,
    alert_message,
    area_names,
    local_time,
    reminder_key,
    reminder_text,
)
from ioc.settings import load_settings
from ioc.ui.alerts.order import by_severity, since_of
from ioc.ui.scoping import in_scope
from ioc.ui.theme import SEVERITY_COLORS, icon_html

BANNER_TOP = 3  # messages spelled out in the banner; the ticker carries all of them
BANNER_CSS = """<style>
.ioc-alert-banner { border-radius: .6rem; color: #fff; padding: .55rem 1rem .5rem 1rem;
  margin: 0 0 .6rem 0; box-shadow: 0 1px 3px rgba(0,0,0,.25); }
.ioc-alert-banner .head { font-size: 1.6rem; font-weight: 800; line-height: 1.2; }
.ioc-alert-banner .head .en { font-weight: 600; opacity: .9; font-size: 1.2rem; }
.ioc-alert-banner .counts { font-size: 1.05rem; font-weight: 600; margin-left: .6rem; }
.ioc-alert-banner .counts span { background: rgba(255,255,255,.22); border-radius: 999px;
  padding: .05rem .6rem; margin-right: .3rem; white-space: nowrap; }
.ioc-alert-banner ul.top { margin: .25rem 0 .3rem 0; padding-left: 1.3rem; }
.ioc-alert-banner ul.top li { font-size: 1.35rem; font-weight: 600; line-height: 1.35;
  color: #fff; }
.ioc-alert-banner .ack { font-weight: 500; font-style: italic; opacity: .92; }
.ioc-ticker { overflow: hidden; white-space: nowrap; background: rgba(0,0,0,.22);
  border-radius: .4rem; padding: .2rem 0; }
.ioc-ticker-track { display: inline-block; padding-left: 100%;
  animation: ioc-ticker-scroll var(--ioc-ticker-seconds, 30s) linear infinite; }
.ioc-ticker:hover .ioc-ticker-track { animation-play-state: paused; }
.ioc-ticker .item { display: inline-block; margin-right: 3rem; font-size: 1.15rem; }
.ioc-ticker .sev { border-radius: .3rem; padding: 0 .4rem; margin-right: .4rem;
  font-weight: 800; border: 1px solid rgba(255,255,255,.8); }
@keyframes ioc-ticker-scroll { from { transform: translateX(0); }
  to { transform: translateX(-100%); } }
@media (prefers-reduced-motion: reduce) {
  .ioc-ticker { white-space: normal; }
  .ioc-ticker-track { animation: none; padding-left: 0; }
}
@media (max-width: 1100px) {
  .ioc-alert-banner .head { font-size: 1.3rem; }
  .ioc-alert-banner ul.top li { font-size: 1.1rem; }
}
/* Tablets (≤ 1100 px): one line that opens on touch, so the page's own content comes first;
   wall screens keep the full banner. Both are in the page; CSS shows one. */
.ioc-alert-compact { display: none; }
@media (max-width: 1100px) {
  .ioc-alert-banner.ioc-wide { display: none; }
  .ioc-alert-compact { display: block; border-radius: .5rem; color: #fff;
    margin: 0 0 .5rem 0; box-shadow: 0 1px 3px rgba(0,0,0,.25); }
  .ioc-alert-compact > summary { min-height: 44px; display: flex; align-items: center;
    gap: .5rem; padding: .3rem .8rem; font-size: 1.05rem; font-weight: 700; cursor: pointer;
    white-space: nowrap; overflow: hidden; text-overflow: ellipsis; list-style: none; }
  .ioc-alert-compact > summary::-webkit-details-marker { display: none; }
  .ioc-alert-compact > summary .more { margin-left: auto; font-weight: 600; opacity: .9; }
  .ioc-alert-compact[open] > summary .more .closed,
  .ioc-alert-compact:not([open]) > summary .more .open { display: none; }
  .ioc-alert-compact .body { padding: 0 .8rem .5rem .8rem; }
  .ioc-alert-compact ul.top { margin: .1rem 0 .3rem 0; padding-left: 1.2rem; }
  .ioc-alert-compact ul.top li { font-size: 1rem; line-height: 1.35; color: #fff; }
}
</style>"""


def _ack_text(row: Mapping[str, Any]) -> str:
    who = row.get("acked_by") or "?"
    return f"đã xác nhận · acknowledged by {who}"


def reminder_summary(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Open reminder episodes summed per (stream, kind): agencies, items, severity and how
    many are not yet acknowledged, most severe first."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        stream, kind = reminder_key(str(r.get("rule_id", "")))
        s = out.setdefault((stream, kind), {"stream": stream, "kind": kind, "agencies": 0,
                                            "items": 0, "unacked": 0,
                                            "severity": r.get("severity", "info")})
        s["agencies"] += 1
        s["items"] += int(r.get("value") or 0)
        s["unacked"] += r.get("state") == "firing"
    return sorted(out.values(), key=lambda s: (SEVERITY_RANK.get(s["severity"], 9),
                                               s["stream"], s["kind"]))


def banner_html(firing: Sequence[Mapping[str, Any]],
                names: Mapping[str, str] | None = None) -> str:
    """Banner for the top of every page: the count per severity and the most severe alerts'
    messages in large type, coloured by the worst severity, then a ticker scrolling through
    every firing or acknowledged alert (it pauses under the mouse). Deadline reminders, one
    episode per agency, are summed up in one line per stream and kind so they never crowd
    out the rules ops staff set. '' when nothing fires."""
    active = [r for r in firing if r.get("state") in ("firing", "acknowledged")]
    if not active:
        return ""
    rows = by_severity([r for r in active if not is_reminder(str(r.get("rule_id", "")))])
    summary = reminder_summary(r for r in active if is_reminder(str(r.get("rule_id", ""))))
    ranks = [SEVERITY_RANK.get(str(r.get("severity")), 9) for r in rows] + \
        [SEVERITY_RANK.get(s["severity"], 9) for s in summary]
    worst = {v: k for k, v in SEVERITY_RANK.items()}.get(min(ranks), "info")
    color = SEVERITY_COLORS.get(worst, SEVERITY_COLORS["info"])
    counts = {s: sum(1 for r in rows if r.get("severity") == s) for s in SEVERITY_RANK}
    count_html = "".join(
        f'<span data-severity="{s}">{n} {html.escape(SEVERITY_LABELS[s][0].lower())}</span>'
        for s, n in counts.items() if n)
    n_open = sum(1 for r in rows if r.get("state") == "firing")
    if rows:
        head = (f'{icon_html(worst)} {len(rows)} cảnh báo đang hoạt động'
                f' <span class="en">· {len(rows)} active alert{"s" if len(rows) != 1 else ""}'
                f'{f", {n_open} chưa xác nhận · unacknowledged" if n_open else ""}</span>')
    else:
        head = (f'{icon_html(worst)} Nhắc hạn xử lý'
                f' <span class="en">· Deadline reminders</span>')
    # The rules ops staff set come first, then the reminder lines.
    top = [r for r in rows if r.get("severity") == rows[0].get("severity")][:BANNER_TOP] \
        if rows else []
    top_html = "".join(
        f'<li data-alert-id="{html.escape(str(r.get("alert_id", "")))}">'
        f'{html.escape(alert_message(r, names))}'
        + (f' <span class="ack">({html.escape(_ack_text(r))})</span>'
           if r.get("state") == "acknowledged" else "")
        + "</li>" for r in top)
    if len(top) < BANNER_TOP:
        top_html += "".join(
            f'<li data-reminder="{s["stream"]}.{s["kind"]}">{html.escape(reminder_text(s))}'
            + (f' <span class="ack">({s["agencies"] - s["unacked"]} đã xác nhận · '
               f'acknowledged)</span>' if s["unacked"] < s["agencies"] else "")
            + "</li>" for s in summary[:BANNER_TOP - len(top)])
    items = []
    for r in rows:
        sev = r.get("severity", "info")
        ack = (f' <span class="ack">— {html.escape(_ack_text(r))}</span>'
               if r.get("state") == "acknowledged" else "")
        items.append(
            f'<span class="item" data-alert-id="{html.escape(str(r.get("alert_id", "")))}" '
            f'data-state="{html.escape(str(r.get("state", "")))}">'
            f'<span class="sev" style="background:{SEVERITY_COLORS.get(sev, color)}">'
            f'{html.escape(SEVERITY_LABELS.get(sev, (sev, sev))[0])}</span>'
            f'{html.escape(alert_message(r, names))} · từ {local_time(since_of(r))}{ack}</span>')
    for s in summary:
        sev = s["severity"]
        items.append(
            f'<span class="item" data-reminder="{s["stream"]}.{s["kind"]}">'
            f'<span class="sev" style="background:{SEVERITY_COLORS.get(sev, color)}">'
            f'{html.escape(SEVERITY_LABELS.get(sev, (sev, sev))[0])}</span>'
            f'{html.escape(reminder_text(s))}</span>')
    n_all = len(rows) + sum(s["agencies"] for s in summary)
    seconds = max(20, 8 * len(items))  # constant reading speed whatever the number of alerts
    ticker = (f'<div class="ioc-ticker" aria-label="Tất cả cảnh báo · All alerts">'
              f'<div class="ioc-ticker-track" style="--ioc-ticker-seconds:{seconds}s">'
              f'{"".join(items)}</div></div>')
    # One line on tablets: the worst severity, how many, how many unacknowledged.
    line = (f'{len(rows)} cảnh báo · alerts' if rows else "Nhắc hạn xử lý · Deadline reminders")
    line += f" · {n_open} chưa xác nhận · unacknowledged" if n_open else ""
    if summary and rows:
        line += f" · {sum(s['agencies'] for s in summary)} nhắc hạn · reminders"
    compact = (f'<details class="ioc-alert-compact" data-severity="{worst}" '
               f'style="background:{color}"><summary>{icon_html(worst)}'
               f'<span class="line">{html.escape(line)}</span><span class="more">'
               f'<span class="closed">Xem · Show</span><span class="open">Thu gọn · Hide'
               f'</span></span></summary><div class="body"><ul class="top">{top_html}</ul>'
               f'{ticker}</div></details>')
    return (f'<div class="ioc-alert-banner ioc-wide" role="alert" data-severity="{worst}" '
            f'data-count="{n_all}" style="background:{color}">'
            f'<div class="head">{head}<span class="counts">{count_html}</span></div>'
            f'<ul class="top">{top_html}</ul>{ticker}</div>{compact}')


def render_alert_banner(engine: Engine, refresh_seconds: float | None = None,
                        also: Callable[[], None] | None = None) -> None:
    """The banner and ticker, re-read every IOC_REFRESH_SECONDS in a fragment. Call it once
    per run, before the page's own content (app.py does, for every page). `also` draws more
    in the same refreshing fragment (app.py: the broker alarm)."""
    settings = load_settings()
    every = refresh_seconds or settings.refresh_seconds
    names = area_names(settings.province_code)
    st.html(BANNER_CSS)  # style only: goes to the event container, takes no room

    @st.fragment(run_every=every)
    def alert_banner() -> None:
        try:
            # A scoped account hears only of alerts inside its scope (ioc.ui.scoping).
            rows = [r for r in firing_now(engine)
                    if in_scope(str(r.get("scope", "")), settings.province_code)]
        except SQLAlchemyError:
            return  # no schema yet or database away: the page itself says so
        markup = banner_html(rows, names)
        if markup:
            st.markdown(markup, unsafe_allow_html=True)
        if also is not None:
            also()

    alert_banner()
