"""Đăng nhập · Sign in: local accounts (ioc.auth), or the organisation's OpenID Connect
provider when IOC_AUTH=oidc. Signed in, the page says who and with which role, and signs out.
The view lives in ioc.ui.login.
"""

from __future__ import annotations

from ioc.settings import load_settings
from ioc.ui.login.view import render_login

render_login(load_settings())
