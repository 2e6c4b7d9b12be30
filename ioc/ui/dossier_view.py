"""Hồ sơ TTHC · Dossiers page: 766 scorecard tiles, overdue list, rankings, trends, breakdowns,
commune map and the drill-down dossier list.

Pure builders come first (page state ↔ URL, scope strings, display frames, tile HTML, charts)
and the tests call them directly; the cached loaders over ioc.kpis / ioc.dossier_queries and
the thin `render_*` functions that hand the results to Streamlit come last.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import altair as alt
import polars as pl
import streamlit as st
from sqlalchemy import Engine, select, union

from ioc import admin_units
from ioc.calendar import TZ
from ioc.db import schema as s
from ioc.dossier_queries import (
    BREAKDOWN_DIMS,
    breakdown,
    daily_trend,
    deadline_list,
    dossier_list,
    rankings,
)
from ioc.export import header_for, local_times, to_csv_bytes, to_xlsx_bytes
from ioc.kpi_catalogue import BY_CODE, DOSSIER_KPIS
from ioc.kpis import KpiValue, _scope_filter, dossier_kpis
from ioc.settings import load_settings
from ioc.targets import load_targets
from ioc.ui import components as ui
from ioc.ui.i18n import DASH, bilingual, fmt_int, fmt_number, fmt_pct
from ioc.ui.theme import BAD, GOOD, NEUTRAL, STATUS_COLORS, STREAM_COLORS
from ioc.windows import WINDOW_LABELS, Period, parse_day, resolve

# --- labels -------------------------------------------------------------------------------------

LABELS: dict[str, tuple[str, str]] = {
    "title": ("Hồ sơ TTHC", "Administrative dossiers"),
    "subtitle": ("Bộ chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766/QĐ-TTg)",
                 "Citizen and business service index (Decision 766/QĐ-TTg)"),
    "window": ("Khoảng thời gian", "Time window"),
    "from": ("Từ ngày", "From"),
    "to": ("Đến ngày", "To"),
    "commune": ("Xã, phường", "Commune"),
    "agency": ("Cơ quan", "Agency"),
    "procedure": ("Thủ tục", "Procedure"),
    "all_communes": ("Toàn tỉnh", "Whole province"),
    "all_agencies": ("Tất cả cơ quan", "All agencies"),
    "all_procedures": ("Tất cả thủ tục", "All procedures"),
    "bad_range": ("Khoảng ngày không hợp lệ", "Invalid date range"),
    "vs_previous": ("so với kỳ trước", "vs previous period"),
    "previous": ("kỳ trước", "previous"),
    "now": ("hiện tại", "now"),
    "end_of": ("cuối kỳ", "end of period"),
    "target": ("mục tiêu", "target"),
    "score_group": ("Chỉ số 766 · phần hồ sơ", "766 index, dossier part"),
    "intake_group": ("Tiếp nhận và giải quyết", "Intake and resolution"),
    "digital_group": ("Dịch vụ số và mức độ hài lòng", "Digital services and satisfaction"),
    "formulas": ("Công thức", "Formula"),
    "deadlines": ("Hồ sơ quá hạn / sắp đến hạn", "Overdue and near-due dossiers"),
    "deadline_list": ("Danh sách", "List"),
    "by_agency": ("Theo cơ quan", "By agency"),
    "by_procedure": ("Theo thủ tục", "By procedure"),
    "no_deadlines": ("Không có hồ sơ quá hạn hoặc sắp đến hạn",
                     "No overdue or near-due dossiers"),
    "rankings": ("Xếp hạng theo tổng điểm 766", "Rankings on the 766 total"),
    "rank_communes": ("Xã, phường", "Communes"),
    "rank_agencies": ("Cơ quan", "Agencies"),
    "no_ranking": ("Chưa có đơn vị nào để xếp hạng", "Nothing to rank yet"),
    "trend": ("Diễn biến theo ngày", "Daily trend"),
    "received_completed": ("Tiếp nhận và giải quyết", "Received and completed"),
    "on_time_share": ("Tỷ lệ giải quyết đúng hạn trong ngày", "On-time share of completions"),
    "breakdowns": ("Phân tích theo", "Breakdowns"),
    "map": ("Bản đồ tỷ lệ đúng hạn theo xã, phường", "On-time rate by commune"),
    "dossier_list": ("Danh sách hồ sơ", "Dossier list"),
    "list_capped": ("Chỉ hiện {n} hồ sơ đầu tiên; chọn xã, cơ quan hoặc thủ tục để thu hẹp.",
                    "Only the first {n} dossiers; narrow the scope to see the rest."),
    "no_data": ("Chưa có hồ sơ trong phạm vi và khoảng thời gian này",
                "No dossiers in this scope and window"),
    "no_data_hint": ("Chọn khoảng thời gian khác hoặc quay về toàn tỉnh.",
                     "Pick another window or go back to the whole province."),
    "csv": ("Tải CSV", "CSV"),
    "xlsx": ("Tải Excel", "Excel"),
    "received_series": ("Tiếp nhận", "Received"),
    "completed_series": ("Giải quyết", "Completed"),
    "day": ("Ngày", "Day"),
    "count": ("Số hồ sơ", "Dossiers"),
    "share": ("Tỷ lệ đúng hạn", "On-time share"),
    "unknown": ("Không rõ", "Unknown"),
    "days": ("ngày", "days"),
    "points": ("điểm", "points"),
    "pct_points": ("điểm %", "pp"),
    "new": ("mới", "new"),
}

STATUS_LABELS = {"received": "Mới tiếp nhận", "in_progress": "Đang giải quyết",
                 "supplement": "Chờ bổ sung", "completed": "Đã giải quyết",
                 "returned": "Trả lại", "cancelled": "Đã hủy"}
STATE_LABELS = {"overdue": "Quá hạn", "near_due": "Sắp đến hạn"}
CHANNEL_LABELS = {"online": "Trực tuyến", "in_person": "Trực tiếp", "postal": "Bưu chính"}
LEVEL_LABELS = {"province": "Cấp tỉnh", "commune": "Cấp xã"}
RATING_LABELS = {"satisfied": "Hài lòng", "neutral": "Bình thường",
                 "unsatisfied": "Không hài lòng"}


def vi(key: str) -> str:
    return LABELS[key][0]


def both(key: str) -> str:
    return bilingual(*LABELS[key])


# --- page state ↔ URL ---------------------------------------------------------------------------

PAGE_WINDOWS: tuple[str, ...] = ("today", "7d", "30d", "month", "quarter", "ytd", "custom")
DEFAULT_WINDOW = "30d"
CUSTOM_DEFAULT_DAYS = 30
DRILL_LEVELS: tuple[str, ...] = ("commune", "agency", "procedure")
# Codes go into scope strings split on "," and ":", so only plain code characters pass.
_CODE_RE = re.compile(r"^[\w.\-]{1,64}$")


@dataclass(frozen=True)
class PageState:
    """What the URL carries: window (with its dates when custom) and the drill-down."""

    window: str = DEFAULT_WINDOW
    first: date | None = None
    last: date | None = None
    commune: str = ""
    agency: str = ""
    procedure: str = ""

    def drill(self) -> dict[str, str]:
        return {"commune": self.commune, "agency": self.agency, "procedure": self.procedure}


def all_label(level: str) -> str:
    """'Toàn tỉnh' / 'Tất cả cơ quan' / 'Tất cả thủ tục': the empty choice of a drill level."""
    return vi({"commune": "all_communes", "agency": "all_agencies",
               "procedure": "all_procedures"}[level])


def window_label(window: str) -> str:
    return WINDOW_LABELS.get(window, (window, window))[0]


def _code(value: str | None) -> str:
    value = (value or "").strip()
    return value if _CODE_RE.match(value) else ""


def _day(value: str | None) -> date | None:
    try:
        return parse_day(value) if value else None
    except ValueError:
        return None


def state_from_params(params: Mapping[str, str], today: date) -> PageState:
    """Page state from query parameters; anything unknown or malformed falls back to the
    default, so a mistyped shared link still opens the page."""
    window = params.get("window", DEFAULT_WINDOW)
    window = window if window in PAGE_WINDOWS else DEFAULT_WINDOW
    first = last = None
    if window == "custom":
        first, last = _day(params.get("from")), _day(params.get("to"))
        if first is None or last is None or last < first:
            first, last = today - timedelta(days=CUSTOM_DEFAULT_DAYS - 1), today
    return PageState(window, first, last, _code(params.get("commune")),
                     _code(params.get("agency")), _code(params.get("procedure")))


def params_of(state: PageState) -> dict[str, str]:
    """Query parameters of a state (ISO dates; empty drill levels left out)."""
    out = {"window": state.window}
    if state.window == "custom" and state.first and state.last:
        out["from"], out["to"] = state.first.isoformat(), state.last.isoformat()
    out.update({k: v for k, v in state.drill().items() if v})
    return out


def file_tag(state: PageState) -> str:
    """'30d', 'custom-2026-11-01-2026-11-15-08494': what the file name says of its view, so
    downloads of several scopes do not overwrite each other."""
    parts = [state.window]
    if state.window == "custom" and state.first and state.last:
        parts += [state.first.isoformat(), state.last.isoformat()]
    parts += [code for code in state.drill().values() if code]
    return re.sub(r"[^\w.\-]", "-", "-".join(parts))


def scope_of(province_code: str, commune: str = "", agency: str = "",
             procedure: str = "") -> str:
    """'province:25[,commune:X][,agency:Y][,procedure:Z]' for ioc.kpi_catalogue.parse_scope."""
    parts = [f"province:{province_code}"]
    parts += [f"{kind}:{code}" for kind, code in
              (("commune", commune), ("agency", agency), ("procedure", procedure)) if code]
    return ",".join(parts)


def state_scope(province_code: str, state: PageState, without: str | None = None) -> str:
    """Scope of the state, optionally with one drill level left out (rankings compare a
    commune with the other communes of the same agency/procedure filter)."""
    drill = {k: ("" if k == without else v) for k, v in state.drill().items()}
    return scope_of(province_code, **drill)


def period_of(state: PageState, now: datetime) -> Period:
    return resolve(state.window, now, state.first, state.last)


def fmt_day(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def period_text(period: Period) -> str:
    """'01/11/2026 – 21/11/2026 · kỳ trước 11/10/2026 – 31/10/2026' (local days)."""
    def span(p: Period) -> str:
        a, b = p.local_dates()
        return fmt_day(a) if a == b else f"{fmt_day(a)} – {fmt_day(b)}"
    return f"{span(period)} · {vi('previous')} {span(period.previous())}"


# --- data -------------------------------------------------------------------------------------

DAILY_COUNTS = ("received", "completed", "completed_on_time", "received_online")


def is_empty(kpis: Sequence[KpiValue]) -> bool:
    """Nothing to show: no dossier received, completed or open in the scope and window."""
    busy = {"dossier.received", "dossier.completed", "dossier.in_progress"}
    return not any(kv.value for kv in kpis if kv.kpi in busy)


def scope_options(engine: Engine, scope: str, period: Period, column: str) -> list[str]:
    """Codes of `column` (ward_code, agency_code, procedure_code) with data in the scope:
    buckets of the window, plus dossiers still open (an old overdue one counts too)."""
    b, d = s.dossier_buckets, s.dossiers
    q = union(
        select(b.c[column]).where(_scope_filter(b, scope), b.c.hour >= period.start,
                                  b.c.hour < period.end),
        select(d.c[column]).where(_scope_filter(d, scope), d.c.is_open.is_(True)),
    )
    with engine.connect() as conn:
        return sorted({r[0] for r in conn.execute(q) if r[0]})


def code_names(engine: Engine, province_code: str) -> dict[str, dict[str, str]]:
    """{'agency_code': {code: name}, 'procedure_code': {code: name}} as the dossiers carry
    them (imported agencies need not be in the simulator's catalogue)."""
    d = s.dossiers
    out: dict[str, dict[str, str]] = {}
    with engine.connect() as conn:
        for code, name in (("agency_code", "agency_name"),
                           ("procedure_code", "procedure_name")):
            q = (select(d.c[code], d.c[name]).where(d.c.province_code == province_code)
                 .group_by(d.c[code], d.c[name]))
            out[code] = {c: n for c, n in conn.execute(q) if c and n}
    return out


def commune_names(province_code: str) -> dict[str, str]:
    try:
        return admin_units.commune_names(province_code)
    except ValueError:  # unknown province code: codes are shown as they are
        return {}


# --- tiles --------------------------------------------------------------------------------------

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
    if kv.kpi == "dossier.overdue":
        return "good" if kv.value == 0 else "bad"
    if kv.kpi == "dossier.near_due":
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


def tile_html(kv: KpiValue, state_when: str = "") -> str:
    k = BY_CODE[kv.kpi]
    status = tile_status(kv)
    accent = STATUS_COLORS[status] if status != "neutral" else STREAM_COLORS["dossier"]
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


# --- display frames -----------------------------------------------------------------------------

def _label(mapping: Mapping[str, str], col: str, alias: str | None = None) -> pl.Expr:
    return (pl.col(col).fill_null("").replace_strict(mapping, default=pl.col(col),
                                                     return_dtype=pl.String)
            .alias(alias or col))


def _names(col: str, names: Mapping[str, str], alias: str) -> pl.Expr:
    # Unknown codes show the code itself, not an empty cell.
    return (pl.col(col).replace_strict(dict(names), default=pl.col(col), return_dtype=pl.String)
            .alias(alias))


def _pct(col: str) -> pl.Expr:
    return (pl.col(col) * 100).round(1).alias(f"{col}_pct")


def deadline_frame(dl: pl.DataFrame, wards: Mapping[str, str]) -> pl.DataFrame:
    """The overdue and near-due list as shown and exported (times stay naive UTC here)."""
    return dl.select(
        _label(STATE_LABELS, "state"), "dossier_id", "procedure_code", "procedure_name",
        "agency_code", "agency_name", "ward_code", _names("ward_code", wards, "ward_name"),
        "received_at", "due_at", "age_days", "late_days")


def deadline_summary(dl: pl.DataFrame, by: str) -> pl.DataFrame:
    """Overdue and near-due counts per agency (by='agency') or procedure ('procedure'): who
    holds the late dossiers, most overdue first."""
    code, name = f"{by}_code", f"{by}_name"
    schema = {code: pl.String, name: pl.String, "overdue": pl.Int64, "near_due": pl.Int64,
              "total": pl.Int64, "max_late_days": pl.Float64}
    if dl.is_empty():
        return pl.DataFrame(schema=schema)
    return (dl.group_by(code)
            .agg(pl.col(name).drop_nulls().first(),
                 (pl.col("state") == "overdue").sum().alias("overdue"),
                 (pl.col("state") == "near_due").sum().alias("near_due"),
                 pl.len().alias("total"),
                 pl.col("late_days").filter(pl.col("state") == "overdue").max()
                 .alias("max_late_days"))
            .with_columns(pl.col(name).fill_null(pl.col(code)))
            .sort(["overdue", "near_due", code], descending=[True, True, False])
            .cast(schema))  # type: ignore[arg-type]


def movement_text(movement: int | None, previous_rank: int | None) -> str:
    """'▲3' climbed three places, '▼2' fell, '–' unchanged, 'mới' not ranked before."""
    if previous_rank is None or movement is None:
        return vi("new")
    if movement == 0:
        return "–"
    return f"▲{movement}" if movement > 0 else f"▼{-movement}"


def ranking_frame(ranking: pl.DataFrame, dim: str, names: Mapping[str, str]) -> pl.DataFrame:
    """rank, code, name, score, on-time %, counts, previous rank and movement text."""
    name = "ward_name" if dim == "ward_code" else "agency_name"
    if ranking.is_empty():
        return pl.DataFrame(schema={"rank": pl.Int64, dim: pl.String, name: pl.String,
                                    "score_total": pl.Float64, "on_time_rate_pct": pl.Float64,
                                    "received": pl.Int64, "completed": pl.Int64,
                                    "overdue": pl.Int64, "previous_rank": pl.Int64,
                                    "movement": pl.String})
    moves = [movement_text(m, p) for m, p in
             zip(ranking["movement"].to_list(), ranking["previous_rank"].to_list(),
                 strict=True)]
    return ranking.select(
        "rank", dim, _names(dim, names, name), pl.col("score_total").round(2),
        _pct("on_time_rate"), "received", "completed", "overdue", "previous_rank",
        pl.Series("movement", moves, dtype=pl.String))


BREAKDOWN_COLUMNS = ("received", "completed", "on_time_rate_pct", "online_eligible_rate_pct",
                     "overdue", "processing_days_mean", "score_total")


def breakdown_frame(card: pl.DataFrame, dim: str, names: Mapping[str, str]) -> pl.DataFrame:
    """One row per value of the dimension, most received first: the code (kept for the
    files; a sector has none) and a readable `name` (channel and level in Vietnamese,
    communes, agencies and procedures by name)."""
    codes = [] if dim == "sector" else [dim]
    if card.is_empty():
        return pl.DataFrame(schema={**{c: pl.String for c in (*codes, "name")},
                                    **{c: pl.Float64 for c in BREAKDOWN_COLUMNS}})
    unknown = {"": vi("unknown")}
    if dim == "channel":
        name = _label({**CHANNEL_LABELS, **unknown}, dim, "name")
    elif dim == "level":
        name = _label({**LEVEL_LABELS, **unknown}, dim, "name")
    elif dim == "sector":
        name = _label(unknown, dim, "name")
    else:
        name = _names(dim, names, "name")
    return (card.sort(["received", dim], descending=[True, False])
            .select(*codes, name, "received", "completed", _pct("on_time_rate"),
                    _pct("online_eligible_rate"), "overdue",
                    pl.col("processing_days_mean").round(2), pl.col("score_total").round(2)))


def breakdown_headers(dim: str) -> dict[str, str]:
    """File headers of a breakdown: the dimension's name for `name`, 'Mã …' for codes that
    HEADERS does not already name."""
    return {"name": BREAKDOWN_DIMS[dim][0], "channel": "Mã kênh", "level": "Mã cấp"}


def dossier_frame(dl: pl.DataFrame, wards: Mapping[str, str]) -> pl.DataFrame:
    """The drill-down list (codes, procedure, agency, times, status; no personal data)."""
    return dl.select(
        "dossier_id", _label(STATUS_LABELS, "status"), "procedure_code", "procedure_name",
        "sector", "agency_code", "agency_name", "ward_code",
        _names("ward_code", wards, "ward_name"), _label(LEVEL_LABELS, "level"),
        _label(CHANNEL_LABELS, "channel"), "received_at", "due_at", "completed_at",
        "closed_at", "supplement_requested_at", "supplement_received_at",
        _label(RATING_LABELS, "rating"))


def map_values(card: pl.DataFrame) -> pl.DataFrame:
    """ward_code, value (on-time rate) for ui.render_map; communes without a rate left out."""
    if card.is_empty():
        return pl.DataFrame(schema={"ward_code": pl.String, "value": pl.Float64})
    return (card.filter((pl.col("ward_code") != "") & pl.col("on_time_rate").is_not_null())
            .select("ward_code", pl.col("on_time_rate").cast(pl.Float64).alias("value")))


# --- charts -------------------------------------------------------------------------------------

_VN_INT = "replace(format(datum.value, ',d'), regexp(',', 'g'), '.')"
_AXIS = {"labelFontSize": 13, "titleFontSize": 13}


def daily_grid(daily: pl.DataFrame, period: Period, now: datetime | None = None
               ) -> pl.DataFrame:
    """Every local day of the window up to today (missing days are zero, so the lines do not
    bridge gaps), with the on-time share of the day's completions (null without any)."""
    first, last = period.local_dates()
    today = (now or datetime.now(UTC)).astimezone(TZ).date()
    last = max(first, min(last, today))
    days = pl.DataFrame({"day": pl.date_range(first, last, "1d", eager=True)})
    return (days.join(daily.select("day", *DAILY_COUNTS), on="day", how="left")
            .with_columns([pl.col(c).fill_null(0) for c in DAILY_COUNTS])
            .with_columns(pl.when(pl.col("completed") > 0)
                          .then(pl.col("completed_on_time") / pl.col("completed") * 100)
                          .otherwise(None).alias("on_time_share_pct")))


def volume_chart(grid: pl.DataFrame, height: int = 260) -> alt.Chart:
    rec, done = vi("received_series"), vi("completed_series")
    long = grid.select("day", pl.col("received").alias(rec), pl.col("completed").alias(done)) \
        .unpivot(index="day", variable_name="series", value_name="count")
    return (
        alt.Chart(long).mark_line(point=True, strokeWidth=3)
        .encode(
            x=alt.X("day:T", title=None, axis=alt.Axis(format="%d/%m", **_AXIS)),
            y=alt.Y("count:Q", title=vi("count"),
                    axis=alt.Axis(labelExpr=_VN_INT, tickMinStep=1, **_AXIS)),
            color=alt.Color("series:N", title=None,
                            scale=alt.Scale(domain=[rec, done],
                                            range=[STREAM_COLORS["dossier"], GOOD]),
                            legend=alt.Legend(orient="top", labelFontSize=14)),
            tooltip=[alt.Tooltip("day:T", title=vi("day"), format="%d/%m/%Y"),
                     alt.Tooltip("series:N", title=" "),
                     alt.Tooltip("count:Q", title=vi("count"))],
        ).properties(height=height))


def share_floor(shares: Sequence[float | None], target: float | None) -> float:
    """Lower end of the on-time axis: 80 % or the next ten below the worst day, so a 96–99 %
    month does not look flat against a 0–100 axis."""
    low = min([v for v in shares if v is not None] + [(target or 1) * 100, 80.0])
    return max(0.0, float(int(low // 10) * 10))


def on_time_chart(grid: pl.DataFrame, target: float | None, height: int = 260) -> alt.Chart:
    data = grid.filter(pl.col("on_time_share_pct").is_not_null())
    floor = share_floor(data["on_time_share_pct"].to_list(), target)
    base = alt.Chart(data)
    line = base.mark_line(point=True, strokeWidth=3, color=GOOD).encode(
        x=alt.X("day:T", title=None, axis=alt.Axis(format="%d/%m", **_AXIS)),
        y=alt.Y("on_time_share_pct:Q", title=f"{vi('share')} (%)",
                scale=alt.Scale(domain=[floor, 100], clamp=True), axis=alt.Axis(**_AXIS)),
        tooltip=[alt.Tooltip("day:T", title=vi("day"), format="%d/%m/%Y"),
                 alt.Tooltip("on_time_share_pct:Q", title=f"{vi('share')} (%)",
                             format=".1f"),
                 alt.Tooltip("completed:Q", title=vi("completed_series"))])
    if target is None:
        return line.properties(height=height)
    rule = alt.Chart(pl.DataFrame({"target": [target * 100]})).mark_rule(
        color=BAD, strokeDash=[6, 4], strokeWidth=2).encode(y="target:Q")
    return (line + rule).properties(height=height)


def breakdown_chart(frame: pl.DataFrame, top: int = 15) -> alt.Chart:
    """Received per value (bars, most first), coloured by the on-time rate on the red→green
    scale of the map (95 % is the catalogue target)."""
    data = frame.head(top)
    return (
        alt.Chart(data).mark_bar()
        .encode(
            y=alt.Y("name:N", sort="-x", title=None,
                    axis=alt.Axis(labelLimit=200, labelFontSize=13)),
            x=alt.X("received:Q", title=vi("received_series"),
                    axis=alt.Axis(labelExpr=_VN_INT, tickMinStep=1, **_AXIS)),
            color=alt.Color("on_time_rate_pct:Q", title=f"{vi('share')} (%)",
                            scale=alt.Scale(domain=[80, 95, 100],
                                            range=[BAD, "#f5a623", GOOD], clamp=True),
                            legend=alt.Legend(orient="top", titleFontSize=12,
                                              gradientLength=160)),
            tooltip=[alt.Tooltip("name:N", title=" "),
                     alt.Tooltip("received:Q", title=vi("received_series")),
                     alt.Tooltip("on_time_rate_pct:Q", title=f"{vi('share')} (%)",
                                 format=".1f")],
        ).properties(height=alt.Step(26)))  # 26 px a bar: every label stays readable


# --- Streamlit: CSS, cached loaders, renderers --------------------------------------------------

CSS = f"""
<style>
.ioc-dboard {{ gap: .55rem; }}
.ioc-dtile .val .unit {{ font-size: 1.05rem; font-weight: 600; color: #5f6b7a;
  margin-left: .3rem; }}
.ioc-dtile .chg {{ font-size: .98rem; font-weight: 700; line-height: 1.3; }}
.ioc-dtile .chg.good {{ color: {GOOD}; }}
.ioc-dtile .chg.bad {{ color: {BAD}; }}
.ioc-dtile .chg.flat, .ioc-dtile .chg.none {{ color: {NEUTRAL}; }}
.ioc-dtile .chg .prev {{ font-weight: 400; color: #5f6b7a; }}
.ioc-dtile .bar {{ height: .4rem; background: #e3e8ee; border-radius: 3px;
  margin: .1rem 0 .25rem 0; overflow: hidden; }}
.ioc-dtile .bar span {{ display: block; height: 100%; background: var(--accent); }}
.ioc-formulas {{ width: 100%; border-collapse: collapse; font-size: .95rem; }}
.ioc-formulas th {{ text-align: left; color: #5f6b7a; font-weight: 600;
  border-bottom: 2px solid #d5dde6; padding: .3rem .5rem; }}
.ioc-formulas td {{ vertical-align: top; border-bottom: 1px solid #e3e8ee; padding: .35rem .5rem; }}
.ioc-formulas td:first-child {{ width: 32%; }}
.ioc-formulas td:last-child {{ width: 11%; white-space: nowrap; }}
.ioc-formulas code {{ font-size: .8rem; color: #5f6b7a; background: none; padding: 0; }}
.ioc-scope {{ display: flex; flex-wrap: wrap; gap: .2rem .5rem; align-items: baseline;
  font-size: 1.02rem; color: #37474f; margin: .1rem 0 .4rem 0; }}
.ioc-scope b {{ color: #12263a; }}
.ioc-scope .period {{ color: #5f6b7a; }}
/* Eight intake tiles squeeze below 1600 px: four a row until the two-column tablet rule. */
@media (max-width: 1600px) {{ .ioc-dgrid {{ grid-template-columns: repeat(4, minmax(0, 1fr)); }}
  .ioc-dgrid[style*="--cols:6"] {{ grid-template-columns: repeat(3, minmax(0, 1fr)); }} }}
@media (max-width: 1280px) {{ .ioc-dgrid, .ioc-dgrid[style*="--cols:6"] {{
  grid-template-columns: repeat(2, minmax(0, 1fr)); }} }}
@media (max-width: 640px) {{ .ioc-dgrid, .ioc-dgrid[style*="--cols:6"] {{
  grid-template-columns: minmax(0, 1fr); }} }}
</style>
"""

_SETTINGS = load_settings()
# Scorecards take a second or two on a province's month: cache them as long as the live tiles
# rerun (≥ 30 s); the cheap row queries (options, deadlines, list) one refresh interval.
LIVE_SECONDS = max(30, _SETTINGS.refresh_seconds * 6)
FAST_TTL = max(5, _SETTINGS.refresh_seconds)
SLOW_TTL = 600  # names and targets barely change


def apply_css() -> None:
    st.html(CSS)


def _period(start: datetime, end: datetime, window: str) -> Period:
    return Period(start, end, window)


# Cached loaders take the period as (start, end, window): plain values hash cheaply and a
# new hour is a new key, so the current hour is never served from an older window.
@st.cache_data(ttl=LIVE_SECONDS, show_spinner=False)
def load_kpis(url: str, scope: str, start: datetime, end: datetime, window: str
              ) -> list[KpiValue]:
    engine = ui.get_engine(url)
    return dossier_kpis(engine, scope, _period(start, end, window),
                        targets=load_targets(engine))


@st.cache_data(ttl=LIVE_SECONDS, show_spinner=False)
def load_rankings(url: str, scope: str, start: datetime, end: datetime, window: str,
                  dim: str) -> pl.DataFrame:
    return rankings(ui.get_engine(url), scope, _period(start, end, window), dim)


@st.cache_data(ttl=LIVE_SECONDS, show_spinner=False)
def load_breakdown(url: str, scope: str, start: datetime, end: datetime, window: str,
                   dim: str) -> pl.DataFrame:
    return breakdown(ui.get_engine(url), scope, _period(start, end, window), dim)


@st.cache_data(ttl=LIVE_SECONDS, show_spinner=False)
def load_trend(url: str, scope: str, start: datetime, end: datetime, window: str
               ) -> pl.DataFrame:
    return daily_trend(ui.get_engine(url), scope, _period(start, end, window))


@st.cache_data(ttl=FAST_TTL, show_spinner=False)
def load_deadlines(url: str, scope: str) -> pl.DataFrame:
    return deadline_list(ui.get_engine(url), scope)


@st.cache_data(ttl=FAST_TTL, show_spinner=False)
def load_dossiers(url: str, scope: str, start: datetime, end: datetime, window: str,
                  limit: int) -> pl.DataFrame:
    return dossier_list(ui.get_engine(url), scope, _period(start, end, window), limit=limit)


@st.cache_data(ttl=FAST_TTL, show_spinner=False)
def load_options(url: str, scope: str, start: datetime, end: datetime, column: str
                 ) -> list[str]:
    return scope_options(ui.get_engine(url), scope, _period(start, end, "custom"), column)


@st.cache_data(ttl=SLOW_TTL, show_spinner=False)
def load_names(url: str, province_code: str) -> dict[str, dict[str, str]]:
    names = code_names(ui.get_engine(url), province_code)
    names["ward_code"] = commune_names(province_code)
    return names


@st.cache_data(ttl=SLOW_TTL, show_spinner=False)
def load_targets_cached(url: str) -> dict[str, float | None]:
    return load_targets(ui.get_engine(url))


def args(url: str, scope: str, period: Period) -> tuple[str, str, datetime, datetime, str]:
    """The cache key arguments of a loader for a scope and period."""
    return url, scope, period.start, period.end, period.window


def drill_options(codes: Sequence[str], current: str, names: Mapping[str, str]) -> list[str]:
    """'' (all) then the codes sorted by name; the current choice stays even without data in
    this window, so a shared link keeps its scope."""
    pool = set(codes) | ({current} if current else set())
    return ["", *sorted(pool, key=lambda c: (names.get(c, c).casefold(), c))]


def render_title(province_name: str) -> None:
    st.markdown(
        f'<div class="ioc-title">{html.escape(vi("title"))} · {html.escape(province_name)}</div>'
        f'<div class="ioc-subtitle">{html.escape(vi("subtitle"))} · '
        f'{html.escape(LABELS["subtitle"][1])}</div>', unsafe_allow_html=True)


def scope_html(province_name: str, state: PageState, names: Mapping[str, Mapping[str, str]],
               period: Period) -> str:
    """Breadcrumb of the drill-down and the compared periods."""
    crumbs = [province_name]
    for level, col in (("commune", "ward_code"), ("agency", "agency_code"),
                       ("procedure", "procedure_code")):
        code = state.drill()[level]
        if code:
            crumbs.append(names.get(col, {}).get(code, code))
    path = " › ".join(f"<b>{html.escape(c)}</b>" for c in crumbs)
    return (f'<div class="ioc-scope" data-scope="1">{path}'
            f'<span class="period">· {html.escape(window_label(period.window))}: '
            f'{html.escape(period_text(period))}</span></div>')


def section(key: str) -> None:
    vi_text, en_text = LABELS[key]
    st.markdown(f'<div class="ioc-section-title" data-section="{key}">{html.escape(vi_text)} '
                f'<span class="en">· {html.escape(en_text)}</span></div>',
                unsafe_allow_html=True)


def render_board(kpis: Sequence[KpiValue], period: Period) -> None:
    st.markdown(board_html(kpis, period), unsafe_allow_html=True)


def render_formulas(targets: Mapping[str, float | None]) -> None:
    frame = formula_frame(targets)
    with st.expander(f"ƒ {both('formulas')}"):
        # HTML, not a data grid: a formula is a sentence and must wrap to be read.
        st.markdown(formula_html(frame), unsafe_allow_html=True)
        download_buttons(frame, "formulas", "cong-thuc-chi-tieu")


def render_empty() -> None:
    st.info(f"**{both('no_data')}**\n\n{vi('no_data_hint')}\n\n*{LABELS['no_data_hint'][1]}*",
            icon=":material/hourglass_empty:")


def _fmt_cell(dtype: pl.DataType, col: str) -> Callable[[Any], str] | None:
    """Vietnamese display of a numeric column (12.345; 87,5 %), keeping the value numeric
    so the table still sorts by number."""
    def safe(f: Callable[[Any], str]) -> Callable[[Any], str]:
        return lambda v: DASH if v is None or v != v else f(v)  # v != v: NaN
    if col.endswith("_pct"):
        return safe(lambda v: f"{fmt_number(v, 1)} %")
    if dtype.is_integer():
        return safe(fmt_int)
    if dtype.is_float():
        # Two decimals on scores: neighbours in a ranking often differ by less than 0,1.
        return safe(lambda v: fmt_number(v, 2 if col.startswith("score") else 1))
    return None


# Long names and headers would push the figures of a half-width table off a tablet's
# screen: names get a capped width and the figures short headers (files keep the long ones).
NAME_COLUMNS = ("procedure_name", "agency_name", "ward_name", "name")
SHORT_HEADERS = {
    "score_total": "Tổng điểm", "on_time_rate_pct": "Đúng hạn (%)", "received": "Tiếp nhận",
    "completed": "Giải quyết", "overdue": "Quá hạn", "near_due": "Sắp đến hạn",
    "online_eligible_rate_pct": "Trực tuyến (%)", "processing_days_mean": "Xử lý TB (ngày)",
    "max_late_days": "Trễ nhất (ngày)", "movement": "Thay đổi", "previous_rank": "Hạng trước",
    "age_days": "Đã nhận (ngày)", "late_days": "Quá hạn (ngày)",
}


def _column_config(frame: pl.DataFrame, headers: Mapping[str, str] | None,
                   narrow: bool) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for col, dtype in frame.schema.items():
        label = header_for(col, headers)
        if narrow and col in NAME_COLUMNS:
            config[col] = st.column_config.TextColumn(label, width="medium")
            continue
        if isinstance(dtype, pl.Datetime):
            config[col] = st.column_config.DatetimeColumn(label, format="DD/MM/YYYY HH:mm")
        elif dtype == pl.Date:
            config[col] = st.column_config.DateColumn(label, format="DD/MM/YYYY")
        else:
            config[col] = st.column_config.Column(label)
    return config


def styled(frame: pl.DataFrame, highlight: tuple[str, str] | None = None) -> Any:
    """pandas Styler with Vietnamese number formats (and one row highlighted, e.g. the
    commune drilled into, in its ranking); times shown as Vietnam wall-clock time."""
    shown = local_times(frame).to_pandas()
    formats = {c: f for c, t in frame.schema.items() if (f := _fmt_cell(t, c))}
    sty = shown.style.format(formats, na_rep=DASH)
    if highlight and highlight[0] in shown.columns:
        col, code = highlight
        sty = sty.apply(lambda row: ["background-color: #fff3c4; font-weight: 700"
                                     if row[col] == code else "" for _ in row], axis=1)
    return sty


def download_buttons(frame: pl.DataFrame, key: str, file_stem: str,
                     headers: Mapping[str, str] | None = None, sheet: str | None = None
                     ) -> None:
    """CSV and XLSX of the table; the bytes are built only when the button is pressed."""
    # One sheet named after the table, without the view tag the file name carries.
    sheet = sheet or file_stem.split("_", 1)[0]
    with st.container(horizontal=True, gap="small"):
        st.download_button(f"⬇ {vi('csv')}", data=lambda: to_csv_bytes(frame, headers),
                           file_name=f"{file_stem}.csv", mime="text/csv", key=f"{key}_csv",
                           on_click="ignore")
        st.download_button(
            f"⬇ {vi('xlsx')}", data=lambda: to_xlsx_bytes(frame, sheet, headers),
            file_name=f"{file_stem}.xlsx", key=f"{key}_xlsx", on_click="ignore",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def render_table(frame: pl.DataFrame, key: str, file_stem: str, *,
                 columns: Sequence[str] | None = None,
                 headers: Mapping[str, str] | None = None, height: int | str = "auto",
                 highlight: tuple[str, str] | None = None, narrow: bool = False,
                 sheet: str | None = None) -> None:
    """A table (Vietnamese headers and numbers) with its CSV/XLSX download buttons; `columns`
    picks what the screen shows, the files carry every column."""
    # Styler formats every cell in Python: fine for summaries, slow for the 5,000-row list.
    data = styled(frame, highlight) if frame.height <= 2000 else local_times(frame)
    screen = {**SHORT_HEADERS, **(headers or {})} if narrow else headers
    st.dataframe(data, hide_index=True, width="stretch", height=height, key=f"{key}_table",
                 column_order=list(columns) if columns else None, placeholder=DASH,
                 column_config=_column_config(frame, screen, narrow))
    download_buttons(frame, key, file_stem, headers, sheet)


def table_height(rows: int, max_rows: int = 12) -> int:
    # Header + rows at Streamlit's 35 px row height, capped so a long list scrolls inside.
    return 38 + 35 * max(1, min(rows, max_rows))


def render_trend(daily: pl.DataFrame, period: Period, target: float | None,
                 tag: str = "") -> None:
    grid = daily_grid(daily, period)
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown(f"**{both('received_completed')}**")
        st.altair_chart(volume_chart(grid), width="stretch")
    with right:
        st.markdown(f"**{both('on_time_share')}**")
        st.altair_chart(on_time_chart(grid, target), width="stretch")
    render_table(grid.select("day", *DAILY_COUNTS, "on_time_share_pct"), "trend",
                 f"dien-bien-theo-ngay_{tag}", height=table_height(grid.height, 6))


FILE_WORDS = {"sector": "linh-vuc", "procedure_code": "thu-tuc", "channel": "kenh-nop",
              "level": "cap", "ward_code": "xa-phuong", "agency_code": "co-quan",
              "commune": "xa-phuong", "agency": "co-quan", "procedure": "thu-tuc"}


def render_breakdown(card: pl.DataFrame, dim: str, names: Mapping[str, str],
                     tag: str = "") -> None:
    frame = breakdown_frame(card, dim, names)
    if frame.is_empty():
        st.caption(both("no_data"))
        return
    chart, table = st.columns([1, 1], gap="medium")
    chart.altair_chart(breakdown_chart(frame), width="stretch")
    with table:
        shown = [c for c in frame.columns if c != dim]  # the name says it; files keep codes
        render_table(frame, f"bd_{dim}", f"phan-tich-theo-{FILE_WORDS[dim]}_{tag}",
                     columns=shown, headers=breakdown_headers(dim), narrow=True,
                     height=table_height(frame.height, 10))
