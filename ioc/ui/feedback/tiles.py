"""The Feedback page's tiles as HTML: every feedback KPI with its change against the previous
period, grouped, plus the per-channel tile of the Overview. Pure; the tiles are the Dossiers
page's (ioc.ui.dossiers.tiles.tile_html), so both pages print figures the same way."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime

from ioc.kpis.values import KpiValue
from ioc.kpis.windows import Period
from ioc.ui.components import channel_tile_html
from ioc.ui.dossiers.tiles import state_when, tile_html
from ioc.ui.feedback.labels import LABELS, vi
from ioc.ui.theme import STREAM_COLORS

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


def board_html(kpis: Sequence[KpiValue], period: Period, now: datetime | None = None) -> str:
    """The three tile groups, the per-channel tile closing the intake group."""
    when = state_when(period, now or datetime.now(UTC))
    totals = {k.kpi: k for k in kpis if not k.by}
    per_channel = [k for k in kpis if k.kpi == "feedback.received" and "channel" in k.by]
    groups = []
    for key, codes in TILE_GROUPS:
        tiles = [tile_html(totals[c], when, "feedback") for c in codes if c in totals]
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
