"""Page state of the Dossiers page and its text forms: URL parameters, scope strings, periods,
file-name tags and the breadcrumb. Pure, so shared links and scopes are testable without
Streamlit."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ioc.kpis.windows import WINDOW_LABELS, Period, parse_day, resolve
from ioc.ui.dossiers.labels import vi

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


def window_from_params(params: Mapping[str, str], today: date
                       ) -> tuple[str, date | None, date | None]:
    """(window, first, last) from query parameters (the days only for a custom window); an
    unknown window or a malformed range falls back to the default (also the Feedback page's)."""
    window = params.get("window", DEFAULT_WINDOW)
    window = window if window in PAGE_WINDOWS else DEFAULT_WINDOW
    first = last = None
    if window == "custom":
        first, last = _day(params.get("from")), _day(params.get("to"))
        if first is None or last is None or last < first:
            first, last = today - timedelta(days=CUSTOM_DEFAULT_DAYS - 1), today
    return window, first, last


def state_from_params(params: Mapping[str, str], today: date) -> PageState:
    """Page state from query parameters; anything unknown or malformed falls back to the
    default, so a mistyped shared link still opens the page."""
    return PageState(*window_from_params(params, today), _code(params.get("commune")),
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


FILE_WORDS = {"sector": "linh-vuc", "procedure_code": "thu-tuc", "channel": "kenh-nop",
              "level": "cap", "ward_code": "xa-phuong", "agency_code": "co-quan",
              "commune": "xa-phuong", "agency": "co-quan", "procedure": "thu-tuc"}


def scope_of(province_code: str, commune: str = "", agency: str = "",
             procedure: str = "") -> str:
    """'province:25[,commune:X][,agency:Y][,procedure:Z]' for ioc.kpis.catalogue.parse_scope."""
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


def drill_options(codes: Sequence[str], current: str, names: Mapping[str, str]) -> list[str]:
    """'' (all) then the codes sorted by name; the current choice stays even without data in
    this window, so a shared link keeps its scope."""
    pool = set(codes) | ({current} if current else set())
    return ["", *sorted(pool, key=lambda c: (names.get(c, c).casefold(), c))]


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
