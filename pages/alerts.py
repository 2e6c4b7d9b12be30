"""Cảnh báo · Alerts: the live list of alert episodes with filters, acknowledge with a note,
silences, the history of every transition and a link to the data behind each alert.

Acknowledging and silencing are checked on the server by `ioc.alerts.store` (ioc.auth.require):
the forms are shown to everyone, and a viewer or anonymous visitor who submits one gets the
refusal spelled out instead of a hidden button. The view lives in ioc.ui.alerts.
"""

from __future__ import annotations

from ioc.settings import load_settings
from ioc.ui.alerts.view import render_alerts
from ioc.ui.session import current_identity

render_alerts(load_settings(), current_identity())
