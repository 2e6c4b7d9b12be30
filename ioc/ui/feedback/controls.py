"""The Feedback page's controls: the Dossiers page's window picker and drill-down bar
(ioc.ui.dossiers.controls) with this page's keys and levels (commune → agency → category),
seeded from the URL on the page's first run in a session and mirrored back to it
(?window=7d&commune=04792&category=môi trường)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from ioc.kpis.windows import Period
from ioc.ui.dossiers import controls
from ioc.ui.feedback.filters import (
    DRILL_LEVELS,
    LEVEL_COLUMNS,
    FeedbackState,
    all_label,
    scope_of,
    state_from_params,
)
from ioc.ui.feedback.labels import both
from ioc.ui.feedback.loaders import load_options

KEY = {name: f"feedback_{name}" for name in ("window", "from", "to", *DRILL_LEVELS)}
CHILDREN = {"commune": ("agency", "category"), "agency": ("category",), "category": ()}


def seed_state(today: date) -> None:
    controls.seed_state(today, KEY, state_from_params)


def window_picker() -> tuple[str, date | None, date | None]:
    return controls.window_picker(KEY)


def drill_bar(url: str, province: str, period: Period,
              names: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """{level: code or ''}: each level offers only codes with reports under the levels before
    it (received in the window or still open)."""
    return controls.drill_bar(
        url, province, period, names, levels=[(lv, LEVEL_COLUMNS[lv]) for lv in DRILL_LEVELS],
        keys=KEY, children=CHILDREN, load=load_options, scope=scope_of, label=both,
        empty=all_label)


def mirror_to_url(state: FeedbackState) -> None:
    controls.mirror_to_url(state)  # type: ignore[arg-type]  # reads window, first, last, drill()
