"""Page state of the Feedback page and its text forms: URL parameters, scope strings and the
breadcrumb. Pure. The levels are commune → agency → category; what does not depend on the
levels (windows, URL parameters, periods, file-name tags) is the Dossiers page's
(ioc.ui.dossiers.filters), which reads a state only through window, first, last and drill().
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from ioc.kpis.windows import Period
from ioc.ui.dossiers.filters import (
    DEFAULT_WINDOW,
    period_text,
    window_from_params,
    window_label,
)
from ioc.ui.feedback.labels import vi

DRILL_LEVELS: tuple[str, ...] = ("commune", "agency", "category")
LEVEL_COLUMNS = {"commune": "ward_code", "agency": "agency_code", "category": "category"}
# Codes go into scope strings split on "," and ":"; categories are Vietnamese words.
_CODE_RE = re.compile(r"^[\w.\-]{1,64}$")
_CATEGORY_RE = re.compile(r"^[\w .\-–]{1,100}$")


@dataclass(frozen=True)
class FeedbackState:
    """What the URL carries: window (with its dates when custom) and the drill-down."""

    window: str = DEFAULT_WINDOW
    first: date | None = None
    last: date | None = None
    commune: str = ""
    agency: str = ""
    category: str = ""

    def drill(self) -> dict[str, str]:
        return {"commune": self.commune, "agency": self.agency, "category": self.category}


def all_label(level: str) -> str:
    return vi({"commune": "all_communes", "agency": "all_agencies",
               "category": "all_categories"}[level])


def clean_code(value: str | None, level: str = "commune") -> str:
    value = (value or "").strip()
    pattern = _CATEGORY_RE if level == "category" else _CODE_RE
    return value if pattern.match(value) else ""


def state_from_params(params: Mapping[str, str], today: date) -> FeedbackState:
    """Page state from query parameters; anything unknown or malformed falls back to the
    default, so a mistyped shared link (or an alert's link) still opens the page."""
    return FeedbackState(*window_from_params(params, today),
                         *(clean_code(params.get(level), level) for level in DRILL_LEVELS))


def scope_of(province_code: str, commune: str = "", agency: str = "",
             category: str = "") -> str:
    """'province:25[,commune:X][,agency:Y][,category:Z]' (ioc.kpis.catalogue.parse_scope)."""
    parts = [f"province:{province_code}"]
    parts += [f"{kind}:{code}" for kind, code in
              (("commune", commune), ("agency", agency), ("category", category)) if code]
    return ",".join(parts)


def state_scope(province_code: str, state: FeedbackState, without: str | None = None) -> str:
    drill = {k: ("" if k == without else v) for k, v in state.drill().items()}
    return scope_of(province_code, **drill)


def scope_html(province_name: str, state: FeedbackState,
               names: Mapping[str, Mapping[str, str]], period: Period) -> str:
    """Breadcrumb of the drill-down and the compared periods."""
    crumbs = [province_name]
    for level in DRILL_LEVELS:
        code = state.drill()[level]
        if code:
            crumbs.append(names.get(LEVEL_COLUMNS[level], {}).get(code, code))
    path = " › ".join(f"<b>{html.escape(c)}</b>" for c in crumbs)
    return (f'<div class="ioc-scope" data-scope="1">{path}'
            f'<span class="period">· {html.escape(window_label(period.window))}: '
            f'{html.escape(period_text(period))}</span></div>')
