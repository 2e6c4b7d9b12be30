"""Tổng quan · Overview: the province's live scorecard for wall screens and tablets (tiles and
freshness every IOC_REFRESH_SECONDS, trend and map less often). The view lives in
ioc.ui.overview.
"""

from __future__ import annotations

from ioc.settings import load_settings
from ioc.ui.overview.view import render_overview

render_overview(load_settings())
