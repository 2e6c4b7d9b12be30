"""Hồ sơ TTHC · Dossiers: the 766 scorecard of the province or of one commune, agency or
procedure against the previous equal period; who holds the overdue dossiers; rankings, daily
trends, breakdowns, the commune map and the dossier list, every table as CSV and XLSX.

The window and the drill-down are mirrored in the URL (?window=30d&commune=08494…) so a view
can be bookmarked or shared; the tiles and the overdue list rerun on their own, the rest on
interaction. The view lives in ioc.ui.dossiers.
"""

from __future__ import annotations

from ioc.settings import load_settings
from ioc.ui.dossiers.view import render_dossiers

render_dossiers(load_settings())
