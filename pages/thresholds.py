"""Cấu hình ngưỡng · Thresholds: the alert rules, a form to create or edit one (validated by
`ioc.alerts.rules.parse_rule`, whose messages name the field), a 30-day backtest of the candidate
before it is saved, enable/disable, and each rule's audit trail.

Every write is checked on the server (`ioc.auth.require`) right before it happens: the menu
shows this page to admins only, but a forged request or a session whose role changed is still
refused here. The view lives in ioc.ui.thresholds.
"""

from __future__ import annotations

from ioc.settings import load_settings
from ioc.ui.session import current_identity
from ioc.ui.thresholds.view import render_thresholds

render_thresholds(load_settings(), current_identity())
