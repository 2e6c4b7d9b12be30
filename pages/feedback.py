"""Phản ánh kiến nghị · Citizen feedback: every feedback KPI of the province or of one commune,
agency or category against the previous equal period; received by channel, tables by category
and agency, the agency ranking, the backlog by age, the hotspot map and the report list, every
table as CSV and XLSX. The window and the drill-down are mirrored in the URL
(?window=7d&commune=04792&category=môi trường). The view lives in ioc.ui.feedback.
"""

from __future__ import annotations

from ioc.settings import load_settings
from ioc.ui.feedback.view import render_feedback

render_feedback(load_settings())
