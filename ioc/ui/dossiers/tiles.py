"""Scorecard tiles, their boards and the formula panel as HTML, with the value, change and
target texts they print. Pure, so arrows and colours are testable without Streamlit."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import polars as pl

from ioc.exports import header_for
from ioc.i18n import fmt_int, fmt_number, fmt_pct
from ioc.kpis.catalogue import BY_CODE, DOSSIER_KPIS
from ioc.kpis.values import KpiValue
from ioc.kpis.windows import Period
from ioc.ui.dossiers.filters import fmt_day
from ioc.ui.dossiers.labels import LABELS, vi
from ioc.ui.theme import STATUS_COLORS, STREAM_COLORS

SCORE_TILES = ("dossier.score_total", "dossier.score_progress", "dossier.score_online",
               "dossier.score_payment", "dossier.score_digitization",
               "dossier.score_satisfaction")
INTAKE_TILES = ("dossier.received", "dossier.completed", "dossier.in_progress",
                "dossier.overdue", "dossier.near_due", "dossier.on_time_rate",
                "dossier.processing_days_mean", "dossier.processing_days_p90")
DIGITAL_TILES = ("dossier.online_eligible_rate", "dossier.full_online_rate",
                 "dossier.digitization_rate", "dossier.e_result_rate",
                 "dossier.online_payment_rate", "dossier.satisfaction_rate")
TILE_GROUPS = (("score_group", SCORE_TILES), ("intake_group", INTAKE_TILES),
               ("digital_group", DIGITAL_TILES))
_TOLERANCE = {"ratio": 0.10, "days": 1.0}  # "warn" band below the target, per unit


def is_empty(kpis: Sequence[KpiValue]) -> bool:
    """Nothing to show: no dossier received, completed or open in the scope and window."""
    busy = {"dossier.received", "dossier.completed", "dossier.in_progress"}
    return not any(kv.value for kv in kpis if kv.kpi in busy)


def value_parts(value: float | None, unit: str, max_points: float | None = None
                ) -> tuple[str, str]:
    """(big number, small unit) of a tile: '87,5 %' | ('15,3', '/ 20') | ('2,4', 'ngày')."""
    if unit == "ratio":
        return fmt_pct(value), ""
    if unit == "points":
        return fmt_number(value, 1), f"/ {fmt_int(max_points)}" if max_points else ""
    if unit == "days":
        return fmt_number(value, 1), vi("days") if value is not None else ""
    return fmt_int(value), ""


def _shown(value: float, unit: str) -> float:
    # The value as the tile prints it (ratios as a percentage with one decimal).
    if unit == "count":
        return float(round(value))
    return round(value * 100, 1) if unit == "ratio" else round(value, 1)


def change_parts(kv: KpiValue) -> tuple[str, str]:
    """('▲ 1,2 điểm %', 'good'|'bad'|'flat'|'none'): the change against the previous period,
    coloured by the KPI's good direction. It is the difference of the two figures as printed,
    so '67,8 · kỳ trước 67,7' always reads '▲ 0,1' and never '– 0'."""
    if kv.value is None or kv.previous is None:
        return "", "none"
    k = BY_CODE[kv.kpi]
    diff = round(_shown(kv.value, kv.unit) - _shown(kv.previous, kv.unit), 1)
    if diff == 0:
        return "– 0", "flat"
    mag = abs(diff)
    if kv.unit == "ratio":
        text = f"{fmt_number(mag, 1)} {vi('pct_points')}"
    elif kv.unit == "count":
        text = fmt_int(mag)
    else:
        text = f"{fmt_number(mag, 1)} {vi('days') if kv.unit == 'days' else vi('points')}"
    up = diff > 0
    return f"{'▲' if up else '▼'} {text}", "good" if up == k.higher_is_better else "bad"


def tile_status(kv: KpiValue) -> str:
    """Accent of a tile: backlogs are good at zero; rates, days and scores against the
    target (the one ops staff set, else the catalogue's); everything else neutral."""
    if kv.value is None:
        return "neutral"
    if kv.kpi in ("dossier.overdue", "feedback.overdue_open"):
        return "good" if kv.value == 0 else "bad"
    if kv.kpi in ("dossier.near_due", "feedback.near_due"):
        return "good" if kv.value == 0 else "warn"
    k = BY_CODE[kv.kpi]
    if kv.target is None or kv.unit == "count":
        return "neutral"
    gap = (kv.value - kv.target) if k.higher_is_better else (kv.target - kv.value)
    tol = _TOLERANCE.get(kv.unit, 0.10 * (k.max_points or 0))
    return "good" if gap >= 0 else ("warn" if gap >= -tol else "bad")


def target_text(target: float | None, unit: str, higher_is_better: bool) -> str:
    """'≥ 95 %', '≤ 3 ngày', '≥ 60 điểm' ('' without a target): whole numbers print bare."""
    if target is None:
        return ""
    op = "≥" if higher_is_better else "≤"
    scaled = target * 100 if unit == "ratio" else target
    num = fmt_int(scaled) if float(scaled).is_integer() else fmt_number(scaled, 1)
    suffix = {"ratio": " %", "days": f" {vi('days')}", "points": f" {vi('points')}"}
    return f"{op} {num}{suffix.get(unit, '')}"


def _target_text(kv: KpiValue) -> str:
    text = target_text(kv.target, kv.unit, BY_CODE[kv.kpi].higher_is_better)
    return f"{vi('target')} {text}" if text else ""


def _sub_text(kv: KpiValue, state_when: str) -> str:
    parts = []
    if kv.unit == "ratio":
        parts.append(f"{fmt_int(kv.numerator)} / {fmt_int(kv.denominator)}")
    elif kv.window == "now":
        parts.append(state_when)
    target = _target_text(kv)
    if target:
        parts.append(target)
    return " · ".join(parts)


def _nb(text: str) -> str:
    """Keep a figure with its unit and its label on one line in a narrow tile ('96,3 %',
    'kỳ trước 96,3 %', '≥ 95 %'); lines then break only at the ' · ' separators."""
    parts = text.split(" · ")
    return " · ".join(p.replace(" ", "\u00a0") for p in parts)


def tile_html(kv: KpiValue, state_when: str = "", stream: str = "dossier") -> str:
    """A scorecard tile (the Feedback page's too, with stream='feedback')."""
    k = BY_CODE[kv.kpi]
    status = tile_status(kv)
    accent = STATUS_COLORS[status] if status != "neutral" else STREAM_COLORS[stream]
    big, small = value_parts(kv.value, kv.unit, k.max_points)
    unit_html = f'<span class="unit">{html.escape(small)}</span>' if small else ""
    change, direction = change_parts(kv)
    prev_big, prev_small = value_parts(kv.previous, kv.unit)
    prev = _nb(f"{vi('previous')} {prev_big}{(' ' + prev_small) if prev_small else ''}")
    change = _nb(change)
    chg = (f'<div class="chg {direction}">{html.escape(change)} '
           f'<span class="prev">· {html.escape(prev)}</span></div>' if change else
           f'<div class="chg none"><span class="prev">{html.escape(prev)}</span></div>')
    bar = ""
    if kv.unit == "points" and k.max_points:
        share = max(0.0, min(1.0, (kv.value or 0) / k.max_points))
        bar = f'<div class="bar"><span style="width:{share * 100:.0f}%"></span></div>'
    sub = _nb(_sub_text(kv, state_when))
    return (
        f'<div class="ioc-tile ioc-dtile" data-kpi="{html.escape(kv.kpi)}" '
        f'data-status="{status}" data-change="{direction}" style="--accent:{accent}" '
        f'title="{html.escape(k.formula)}">'
        f'<div class="lbl">{html.escape(kv.label_vi)}</div>'
        f'<div class="lbl-en">{html.escape(kv.label_en)}</div>'
        f'<div class="val">{html.escape(big)}{unit_html}</div>{bar}{chg}'
        + (f'<div class="sub">{html.escape(sub)}</div>' if sub else "")
        + "</div>"
    )


def state_when(period: Period, now: datetime) -> str:
    """Backlog tiles are the state at the end of the window: 'hiện tại', or for a past custom
    range 'cuối kỳ 31/10/2026'."""
    if period.end >= now.astimezone(UTC).replace(tzinfo=None):
        return vi("now")
    return f"{vi('end_of')} {fmt_day(period.local_dates()[1])}"


def board_html(kpis: Sequence[KpiValue], period: Period, now: datetime | None = None) -> str:
    """The three tile groups (766 scores, intake and resolution, digital and satisfaction)."""
    by_code = {k.kpi: k for k in kpis}
    when = state_when(period, now or datetime.now(UTC))
    groups = []
    for key, codes in TILE_GROUPS:
        tiles = "".join(tile_html(by_code[c], when) for c in codes if c in by_code)
        groups.append(
            f'<section class="ioc-group" data-group="{key}" '
            f'style="--stream:{STREAM_COLORS["dossier"]}">'
            f'<div class="ioc-group-title">{html.escape(vi(key))} '
            f'<span class="en">· {html.escape(LABELS[key][1])}</span></div>'
            f'<div class="ioc-grid ioc-dgrid" style="--cols:{len(codes)}">{tiles}</div>'
            "</section>")
    return f'<div class="ioc-board ioc-dboard">{"".join(groups)}</div>'


def formula_frame(targets: Mapping[str, float | None] | None = None) -> pl.DataFrame:
    """code, label, formula, target of every dossier KPI (the 'Công thức' panel)."""
    rows = []
    for k in DOSSIER_KPIS:
        target = (targets or {}).get(k.code, k.target)
        rows.append({"code": k.code, "label": f"{k.label_vi} · {k.label_en}",
                     "formula": k.formula,
                     "target": target_text(target, k.unit, k.higher_is_better)})
    return pl.DataFrame(rows, schema={c: pl.String for c in ("code", "label", "formula",
                                                              "target")})


def formula_html(frame: pl.DataFrame) -> str:
    rows = "".join(
        f'<tr data-code="{html.escape(r["code"])}"><td><b>{html.escape(r["label"])}</b>'
        f'<br><code>{html.escape(r["code"])}</code></td>'
        f'<td>{html.escape(r["formula"])}</td><td>{html.escape(r["target"])}</td></tr>'
        for r in frame.iter_rows(named=True))
    head = "".join(f"<th>{html.escape(header_for(c))}</th>" for c in ("label", "formula",
                                                                      "target"))
    return (f'<table class="ioc-formulas"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table>")
