"""Links from an alert to the data behind it (pure)."""

from __future__ import annotations

from urllib.parse import urlencode

from ioc.kpis.catalogue import SCOPE_COLUMNS

# The Dossiers page has no trailing 24 hours: "today" is its nearest view of recent data.
DOSSIER_PAGE_WINDOW = {"now": "30d", "1h": "today", "today": "today", "24h": "today",
                       "7d": "7d", "30d": "30d"}


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
