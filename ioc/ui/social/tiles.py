"""The Social page's tiles (the catalogue's social KPIs) as HTML (pure): value, change
against the previous equal period coloured by the indicator's good direction (volumes grey),
and the model's accuracy under the negative share. Drawn with the Dossiers page's tile CSS
(ioc.ui.dossiers.sections), so both pages look alike."""

from __future__ import annotations

import html
from collections.abc import Sequence

from ioc.i18n import DASH, fmt_int, fmt_number, fmt_pct
from ioc.kpis.catalogue import BY_CODE
from ioc.kpis.values import KpiValue
from ioc.ui.social.labels import vi
from ioc.ui.theme import STREAM_COLORS


def value_text(value: float | None, unit: str) -> str:
    if value is None:
        return DASH
    if unit == "ratio":
        return fmt_pct(value)
    if unit == "index":
        return ("+" if value > 0 else "") + fmt_number(value, 2)
    return fmt_int(value)


def _shown(value: float, unit: str) -> float:
    # The difference of the two figures as printed: '▲ 0,1' never reads '– 0' or vice versa.
    return {"ratio": round(value * 100, 1), "index": round(value, 2)}.get(unit, round(value))


TILE_CODES = ("social.posts", "social.negative_share", "social.sentiment_index",
              "social.positive_share", "social.engagement")


def better(kv: KpiValue) -> bool | None:
    """The good direction of a change; None for volumes (news either way)."""
    return None if kv.unit == "count" else BY_CODE[kv.kpi].higher_is_better


def change_text(t: KpiValue) -> tuple[str, str]:
    """('▲ 3,5 điểm %', 'good'|'bad'|'flat'|'none'); 'none' (grey) also for a volume, which
    is news either way."""
    if t.value is None or t.previous is None:
        return "", "none"
    diff = round(_shown(t.value, t.unit) - _shown(t.previous, t.unit), 2)
    if diff == 0:
        return "– 0", "flat"
    mag = abs(diff)
    text = {"ratio": f"{fmt_number(mag, 1)} {vi('pct_points')}",
            "index": fmt_number(mag, 2)}.get(t.unit, fmt_int(mag))
    up = diff > 0
    good = better(t)
    if good is None:
        return f"{'▲' if up else '▼'} {text}", "none"
    return f"{'▲' if up else '▼'} {text}", "good" if up == good else "bad"


def tile_html(t: KpiValue, note: str = "") -> str:
    change, direction = change_text(t)
    prev = f"{vi('previous')} {value_text(t.previous, t.unit)}".replace(" ", "\u00a0")
    chg = (f'<div class="chg {direction}">{html.escape(change)} '
           f'<span class="prev">· {html.escape(prev)}</span></div>' if change else
           f'<div class="chg none"><span class="prev">{html.escape(prev)}</span></div>')
    detail = (f"{fmt_int(t.numerator)} / {fmt_int(t.denominator)}"
              if t.unit == "ratio" and t.denominator else "")
    subs = [s for s in (detail, note) if s]
    sub = "".join(f'<div class="sub">{html.escape(s)}</div>' for s in subs)
    return (
        f'<div class="ioc-tile ioc-dtile" data-kpi="{html.escape(t.kpi)}" '
        f'data-change="{direction}" style="--accent:{STREAM_COLORS["social"]}">'
        f'<div class="lbl">{html.escape(t.label_vi)}</div>'
        f'<div class="lbl-en">{html.escape(t.label_en)}</div>'
        f'<div class="val">{html.escape(value_text(t.value, t.unit))}</div>{chg}{sub}</div>'
    )


def board_html(kpis: Sequence[KpiValue], model_note: str) -> str:
    """The TILE_CODES tiles (province or filtered totals, not the per-platform/topic rows) in
    one grid that wraps on a tablet; the model's version and accuracy sit under the negative
    share, the figure they qualify."""
    totals = {k.kpi: k for k in kpis if not k.by}
    tiles = [totals[c] for c in TILE_CODES if c in totals]
    cells = "".join(tile_html(t, model_note if t.kpi == "social.negative_share" else "")
                    for t in tiles)
    return (f'<div class="ioc-board ioc-dboard ioc-sboard">'
            f'<div class="ioc-grid ioc-dgrid" style="--cols:{len(tiles)}">{cells}</div></div>')
