"""Links from an alert to the data behind it (pure)."""

from __future__ import annotations

from urllib.parse import urlencode

from ioc.kpis.catalogue import SCOPE_COLUMNS

# The Dossiers and Feedback pages have no trailing 24 hours: "today" is their nearest view of
# recent data.
DOSSIER_PAGE_WINDOW = {"now": "30d", "1h": "today", "today": "today", "24h": "today",
                       "7d": "7d", "30d": "30d"}
# Page of each stream and the scope kinds its drill-down takes from the URL.
PAGES = {"dossier": ("/dossiers", ("commune", "agency", "procedure")),
         "feedback": ("/feedback", ("commune", "agency", "category"))}


def data_link(kpi: str, scope: str, window: str) -> str:
    """URL of the page that shows the alert's data: the Dossiers or the Feedback page with the
    scope and window in its query parameters for dossier and feedback KPIs, the Overview for
    the others."""
    stream = kpi.split(".", 1)[0]
    if stream not in PAGES:
        return "/"  # social KPIs are on the Overview
    path, kinds = PAGES[stream]
    params = {"window": DOSSIER_PAGE_WINDOW.get(window, "30d")}
    for part in (scope or "").split(","):
        kind, _, code = part.strip().partition(":")
        if kind in SCOPE_COLUMNS and kind in kinds and code:
            params[kind] = code
    return f"{path}?" + urlencode(params)
