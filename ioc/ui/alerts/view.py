"""Alerts in the UI: the banner and ticker on top of every page, labels and rows of the Alerts
page, links to the data behind an alert, and the backtest chart of the Thresholds page.

Pure builders (HTML strings, rows, Altair specs) that the tests call without Streamlit, plus
thin `render_*` wrappers. Alert rows are the dicts of `ioc.alerts.store` (naive UTC times).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import altair as alt
import polars as pl

from ioc.alerts.reminders import is_reminder
from ioc.alerts.text import (  # noqa: F401 - re-exported for the pages and tests
    EXTRA_KPI_LABELS,
    REMINDER_LABELS,
    RULE_WINDOW_LABELS,
    SEVERITY_LABELS,
    SEVERITY_RANK,
    STATE_LABELS,
    TIME_FORMAT,
    TRANSITION_LABELS,
    alert_message,
    area_names,
    comparison_text,
    fmt_kpi,
    kpi_label,
    kpi_unit,
    local_time,
    reminder_key,
    reminder_text,
    scope_text,
    severity_label,
    state_label,
    window_text,
)
from ioc.i18n import DASH, bilingual
from ioc.kpis.catalogue import SCOPE_COLUMNS
from ioc.reference.calendar import TZ

# Background colours with white text (WCAG AA): red, amber (dark enough for white), blue.
SEVERITY_COLORS: dict[str, str] = {"critical": "#c62828", "warning": "#a15c00",
                                   "info": "#0b5cad"}
SEVERITY_ICONS: dict[str, str] = {"critical": "⛔", "warning": "⚠️", "info": "ℹ️"}
# The Dossiers page has no trailing 24 hours: "today" is its nearest view of recent data.
DOSSIER_PAGE_WINDOW = {"now": "30d", "1h": "today", "today": "today", "24h": "today",
                       "7d": "7d", "30d": "30d"}
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
</style>"""


# --- labels and formatting (pure) ------------------------------------------------------------

def since_of(row: Mapping[str, Any]) -> datetime | None:
    """When the alert entered its current state (pending, firing, acknowledged, closed)."""
    state = row.get("state")
    if state == "pending":
        return row.get("pending_since")
    if state == "acknowledged":
        return row.get("acked_at") or row.get("fired_at")
    if state in ("resolved", "dropped"):
        return row.get("resolved_at")
    return row.get("fired_at")


def by_severity(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Most severe first; rules before deadline reminders; firing before acknowledged;
    newest first within those."""
    def key(r: Mapping[str, Any]) -> tuple[int, bool, int, float]:
        fired = r.get("fired_at") or r.get("evaluated_at")
        ts = fired.replace(tzinfo=UTC).timestamp() if isinstance(fired, datetime) else 0.0
        return (SEVERITY_RANK.get(r.get("severity", ""), 9),
                is_reminder(str(r.get("rule_id", ""))),
                0 if r.get("state") == "firing" else 1, -ts)
    return sorted(rows, key=key)


# --- banner and ticker (pure) ----------------------------------------------------------------

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
        head = (f'{SEVERITY_ICONS.get(worst, "")} {len(rows)} cảnh báo đang hoạt động'
                f' <span class="en">· {len(rows)} active alert{"s" if len(rows) != 1 else ""}'
                f'{f", {n_open} chưa xác nhận · unacknowledged" if n_open else ""}</span>')
    else:
        head = (f'{SEVERITY_ICONS.get(worst, "")} Nhắc hạn xử lý'
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
    return (f'<div class="ioc-alert-banner" role="alert" data-severity="{worst}" '
            f'data-count="{n_all}" style="background:{color}">'
            f'<div class="head">{head}<span class="counts">{count_html}</span></div>'
            f'<ul class="top">{top_html}</ul>'
            f'<div class="ioc-ticker" aria-label="Tất cả cảnh báo · All alerts">'
            f'<div class="ioc-ticker-track" style="--ioc-ticker-seconds:{seconds}s">'
            f'{"".join(items)}</div></div></div>')


# --- links to the data behind an alert (pure) ------------------------------------------------

def data_link(kpi: str, scope: str, window: str) -> str:
    """URL of the page that shows the alert's data: the Dossiers page with the scope and
    window in its query parameters for dossier KPIs, the Overview for the others."""
    if not kpi.startswith("dossier."):
        return "/"  # feedback and social KPIs are on the Overview
    params = {"window": DOSSIER_PAGE_WINDOW.get(window, "30d")}
    for part in (scope or "").split(","):
        kind, _, code = part.strip().partition(":")
        if kind in SCOPE_COLUMNS and kind != "province" and code:
            params[kind] = code
    return "/dossiers?" + urlencode(params)


# --- tables of the Alerts page (pure) --------------------------------------------------------

def alert_rows(alerts: Sequence[Mapping[str, Any]], rule_names: Mapping[str, str],
               names: Mapping[str, str] | None = None) -> pl.DataFrame:
    """One row per alert, in the order given, with labels ready to show."""
    out = []
    for r in alerts:
        rule_id = r.get("rule_id", "")
        name = rule_names.get(rule_id, "")
        if not name and is_reminder(rule_id):
            vi, en = REMINDER_LABELS.get(reminder_key(rule_id), ("", ""))
            name = f"Nhắc hạn · Reminder: {vi}" if vi else ""
        acked = ""
        if r.get("acked_by"):
            acked = f"{r['acked_by']}: {r.get('ack_note') or ''}".strip()
        out.append({
            "alert_id": r.get("alert_id", ""),
            "severity": f"{SEVERITY_ICONS.get(r.get('severity', ''), '')} "
                        f"{SEVERITY_LABELS.get(r.get('severity', ''), (r.get('severity'),))[0]}",
            "rule": f"{name} ({rule_id})" if name and name != rule_id else rule_id,
            "kpi": kpi_label(r.get("kpi", "")),
            "scope": scope_text(r.get("scope", ""), names),
            "window": window_text(r.get("window", "")),
            "value_vs_threshold": comparison_text(r),
            "state": state_label(r.get("state", "")),
            "since": local_time(since_of(r)),
            "acked": acked,
            "data": data_link(r.get("kpi", ""), r.get("scope", ""), r.get("window", "")),
        })
    schema = {c: pl.String for c in ALERT_COLUMNS}
    return pl.DataFrame(out, schema=schema)


ALERT_COLUMNS: dict[str, str] = {
    "alert_id": "Mã cảnh báo · Alert id",
    "severity": "Mức độ · Severity",
    "rule": "Quy tắc · Rule",
    "kpi": "Chỉ số · KPI",
    "scope": "Phạm vi · Scope",
    "window": "Khoảng · Window",
    "value_vs_threshold": "Giá trị so với ngưỡng · Value vs threshold",
    "state": "Trạng thái · State",
    "since": "Từ lúc · Since",
    "acked": "Người xác nhận: ghi chú · Acked by: note",
    "data": "Dữ liệu · Data",
}

HISTORY_COLUMNS: dict[str, str] = {
    "at": "Thời điểm", "alert_id": "Mã cảnh báo", "rule_id": "Quy tắc",
    "transition": "Sự kiện", "actor": "Người/hệ thống", "value": "Giá trị", "note": "Ghi chú",
}


def history_frame(rows: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """alert_history rows with the transition spelled out; `at` stays a naive UTC datetime
    (ioc.exports writes it as Vietnam time)."""
    data = [{"at": r.get("at"), "alert_id": r.get("alert_id"), "rule_id": r.get("rule_id"),
             "transition": bilingual(*TRANSITION_LABELS.get(r.get("transition", ""),
                                                            (r.get("transition", ""), ""))),
             "actor": r.get("actor"), "value": r.get("value"), "note": r.get("note") or ""}
            for r in rows]
    schema = {"at": pl.Datetime("us"), "alert_id": pl.String, "rule_id": pl.String,
              "transition": pl.String, "actor": pl.String, "value": pl.Float64,
              "note": pl.String}
    return pl.DataFrame(data, schema=schema)


# --- backtest (pure) -------------------------------------------------------------------------

def firing_times_text(firings: Sequence[datetime]) -> str:
    """'03/11 08:00, 05/11 14:00' in Vietnam time; '—' when it never fired."""
    return ", ".join(local_time(f) for f in firings) if firings else DASH


def _to_local(col: str) -> pl.Expr:
    return (pl.col(col).dt.replace_time_zone("UTC").dt.convert_time_zone(str(TZ))
            .dt.replace_time_zone(None))


def backtest_chart(series: pl.DataFrame, firings: Sequence[datetime], threshold: float,
                   kpi: str, height: int = 220) -> alt.Chart:
    """Value over time (Vietnam time), the threshold as a rule line and a red point at each
    instant the rule would have fired. Ratios are drawn in % like the form takes them."""
    scale = 100.0 if kpi_unit(kpi) == "ratio" else 1.0
    unit = " (%)" if scale == 100.0 else ""
    frame = (series.select("hour", "value").with_columns(
        _to_local("hour").alias("t"), (pl.col("value").cast(pl.Float64) * scale).alias("v"))
        .select("t", "v"))
    fires = pl.DataFrame({"hour": list(firings)}, schema={"hour": pl.Datetime("us")})
    if not fires.is_empty() and not frame.is_empty():
        fires = (fires.with_columns(_to_local("hour").alias("t")).select("t").sort("t")
                 .join_asof(frame.drop_nulls().sort("t"), on="t", strategy="backward")
                 .with_columns(pl.col("v").fill_null(threshold * scale)))
    else:
        fires = pl.DataFrame({"t": [], "v": []},
                             schema={"t": pl.Datetime("us"), "v": pl.Float64})
    x = alt.X("t:T", title="Giờ (giờ Việt Nam) · Hour", axis=alt.Axis(format="%d/%m"))
    y_title = f"{kpi_label(kpi)}{unit}"
    line = alt.Chart(frame.to_pandas()).mark_line(color="#0b5cad").encode(
        x=x, y=alt.Y("v:Q", title=y_title),
        tooltip=[alt.Tooltip("t:T", format="%d/%m %H:%M", title="Giờ"),
                 alt.Tooltip("v:Q", format=",.2f", title="Giá trị")])
    rule = alt.Chart(pl.DataFrame({"y": [threshold * scale]}).to_pandas()).mark_rule(
        color=SEVERITY_COLORS["critical"], strokeDash=[6, 4]).encode(y="y:Q")
    points = alt.Chart(fires.to_pandas()).mark_point(
        color=SEVERITY_COLORS["critical"], filled=True, size=90).encode(
        x="t:T", y="v:Q", tooltip=[alt.Tooltip("t:T", format="%d/%m %H:%M",
                                               title="Cảnh báo lúc · Fired at")])
    return (line + rule + points).properties(height=height)


# --- Streamlit wrappers ----------------------------------------------------------------------

def current_identity() -> Any:
    """The signed-in Identity, or None. Imported lazily: without the session module every
    action is refused by the server-side check (ioc.auth.require(None, …))."""
    try:
        from ioc.ui.session import current_identity as identity_of_session
    except ImportError:
        return None
    return identity_of_session()


def render_alert_banner(engine: Any, refresh_seconds: float | None = None) -> None:
    """The banner and ticker, re-read every IOC_REFRESH_SECONDS in a fragment. Call it once
    per run, before the page's own content (app.py does, for every page)."""
    import streamlit as st
    from sqlalchemy.exc import SQLAlchemyError

    from ioc.alerts.store import firing_now
    from ioc.settings import load_settings

    settings = load_settings()
    every = refresh_seconds or settings.refresh_seconds
    names = area_names(settings.province_code)
    st.html(BANNER_CSS)  # style only: goes to the event container, takes no room

    @st.fragment(run_every=every)
    def alert_banner() -> None:
        try:
            rows = firing_now(engine)
        except SQLAlchemyError:
            return  # no schema yet or database away: the page itself says so
        markup = banner_html(rows, names)
        if markup:
            st.markdown(markup, unsafe_allow_html=True)

    alert_banner()
