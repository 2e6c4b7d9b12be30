"""Lắng nghe mạng xã hội · Social listening: volume by platform, sentiment (with the model's
version and measured accuracy), topics, rising keywords, places mentioned, the most engaged
posts (operators correct their labels) and the bursts firing now, filtered by window,
platform, topic and commune; every table as CSV and XLSX. The view lives in ioc.ui.social.
"""

from __future__ import annotations

from ioc.settings import load_settings
from ioc.ui.social.view import render_social

render_social(load_settings())
