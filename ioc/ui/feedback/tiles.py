"""The Feedback page's tiles as HTML: every feedback KPI with its change against the previous
period, grouped, plus the per-channel tile of the Overview. Pure; value, change and target
texts are the Dossiers page's builders (ioc.ui.dossiers.tiles), so both pages print figures
the same way."""

from __future__ import annotations

import html
from collections.abc import Sequence

from ioc.i18n import fmt_int
from ioc.kpis.catalogue import BY_CODE
from ioc.kpis.values import KpiValue
from ioc.ui.components import channel_tile_html
from ioc.ui.dossiers.labels import vi as dossier_vi
from ioc.ui.dossiers.tiles import change_parts, target_text, value_parts
from ioc.ui.feedback.labels import LABELS, vi
from ioc.ui.theme import STATUS_COLORS, STREAM_COLORS

INTAKE_TILES = ("feedback.received", "feedback.responded", "feedback.closed",
                "feedback.closed_on_time", "feedback.open", "feedback.overdue_open",
                "feedback.near_due")
QUALITY_TILES = ("feedback.on_time_rate", "feedback.satisfaction_rate",
                 "feedback.response_days_mean", "feedback.response_days_p90",
                 "feedback.close_days_mean", "feedback.close_days_p90")
BACKLOG_TILES = ("feedback.backlog_age_0_3", "feedback.backlog_age_4_7",
                 "feedback.backlog_age_8_15", "feedback.backlog_age_over_15")
TILE_GROUPS = (("intake_group", INTAKE_TILES), ("quality_group", QUALITY_TILES),
               ("backlog_group", BACKLOG_TILES))


def is_empty(kpis: Sequence[KpiValue]) -> bool:
    """Nothing to show: no report received, closed or open in the scope and window."""
    busy = {"feedback.received", "feedback.closed", "feedback.open"}
    return not any(kv.value for kv in kpis if kv.kpi in busy and not kv.by)


def tile_status(kv: KpiValue) -> str:
    """Overdue is good at zero, near-due a warning; rates against their target (10 points
    of tolerance); the rest neutral."""
    if kv.value is None:
        return "neutral"
    if kv.kpi == "feedback.overdue_open":
        return "good" if kv.value == 0 else "bad"
    if kv.kpi == "feedback.near_due":
        return "good" if kv.value == 0 else "warn"
    if kv.unit != "ratio" or kv.target is None:
        return "neutral"
    gap = kv.value - kv.target if BY_CODE[kv.kpi].higher_is_better else kv.target - kv.value
    return "good" if gap >= 0 else ("warn" if gap >= -0.10 else "bad")


def tile_html(kv: KpiValue) -> str:
    k = BY_CODE[kv.kpi]
    status = tile_status(kv)
    accent = STATUS_COLORS[status] if status != "neutral" else STREAM_COLORS["feedback"]
    big, small = value_parts(kv.value, kv.unit)
    unit_html = f'<span class="unit">{html.escape(small)}</span>' if small else ""
    change, direction = change_parts(kv)
    prev_big, prev_small = value_parts(kv.previous, kv.unit)
    prev = f"{dossier_vi('previous')} {prev_big}{(' ' + prev_small) if prev_small else ''}"
    chg = (f'<div class="chg {direction}">{html.escape(change)} '
           f'<span class="prev">· {html.escape(prev)}</span></div>' if change else
           f'<div class="chg none"><span class="prev">{html.escape(prev)}</span></div>')
    sub = []
    if kv.unit == "ratio":
        sub.append(f"{fmt_int(kv.numerator)} / {fmt_int(kv.denominator)}")
    target = target_text(kv.target, kv.unit, k.higher_is_better)
    if target:
        sub.append(target)
    sub_html = f'<div class="sub">{html.escape(" · ".join(sub))}</div>' if sub else ""
    return (
        f'<div class="ioc-tile ioc-dtile" data-kpi="{html.escape(kv.kpi)}" '
        f'data-status="{status}" data-change="{direction}" style="--accent:{accent}" '
        f'title="{html.escape(k.formula)}">'
        f'<div class="lbl">{html.escape(kv.label_vi)}</div>'
        f'<div class="lbl-en">{html.escape(kv.label_en)}</div>'
        f'<div class="val">{html.escape(big)}{unit_html}</div>{chg}{sub_html}</div>')


def board_html(kpis: Sequence[KpiValue]) -> str:
    """The three tile groups, the per-channel tile closing the intake group."""
    totals = {k.kpi: k for k in kpis if not k.by}
    per_channel = [k for k in kpis if k.kpi == "feedback.received" and "channel" in k.by]
    groups = []
    for key, codes in TILE_GROUPS:
        tiles = [tile_html(totals[c]) for c in codes if c in totals]
        if key == "intake_group":
            tiles.append(channel_tile_html(per_channel))
        groups.append(
            f'<section class="ioc-group" data-group="{key}" '
            f'style="--stream:{STREAM_COLORS["feedback"]}">'
            f'<div class="ioc-group-title">{html.escape(vi(key))} '
            f'<span class="en">· {html.escape(LABELS[key][1])}</span></div>'
            f'<div class="ioc-grid ioc-dgrid ioc-fgrid" style="--cols:{min(len(tiles), 5)}">'
            f'{"".join(tiles)}</div></section>')
    return f'<div class="ioc-board ioc-dboard ioc-fboard">{"".join(groups)}</div>'
