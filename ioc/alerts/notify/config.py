"""Which notification channels are configured, read from the IOC_WEBHOOK_* and IOC_SMTP_*
environment variables."""

from __future__ import annotations

import logging
import os
from typing import NamedTuple

from ioc.alerts.notify.mail import SmtpConfig
from ioc.alerts.notify.webhook import WebhookConfig

log = logging.getLogger(__name__)
_TRUE = frozenset({"1", "true", "yes", "on"})


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


class Channels(NamedTuple):
    """The configured channels; a tuple, so `webhook, smtp = configs_from_env()` reads them."""

    webhook: WebhookConfig | None
    smtp: SmtpConfig | None


def configs_from_env() -> Channels:
    """The configured channels: a channel whose URL/host variable is unset is None.
    Raises ValueError on a set but malformed value, so misconfiguration fails at start."""
    webhook = None
    if url := _env("IOC_WEBHOOK_URL"):
        named = _env("IOC_WEBHOOK_SECRET_ENV")
        secret_env: str | None = named or "IOC_WEBHOOK_SECRET"
        if not named and not os.environ.get("IOC_WEBHOOK_SECRET"):
            # only an explicitly named variable is mandatory; otherwise send unsigned
            log.warning("IOC_WEBHOOK_SECRET is not set: webhook requests are not signed")
            secret_env = None
        webhook = WebhookConfig(url=url, secret_env=secret_env)
    smtp = None
    if host := _env("IOC_SMTP_HOST"):
        starttls = _env("IOC_SMTP_STARTTLS").lower() in _TRUE
        port_text = _env("IOC_SMTP_PORT") or ("587" if starttls else "25")
        try:
            port = int(port_text)
        except ValueError:
            raise ValueError(f"IOC_SMTP_PORT must be a number, got {port_text!r}") from None
        sender = _env("IOC_SMTP_FROM")
        if not sender:
            raise ValueError("IOC_SMTP_FROM is required when IOC_SMTP_HOST is set")
        smtp = SmtpConfig(
            host=host, port=port, sender=sender, starttls=starttls,
            username_env="IOC_SMTP_USER" if _env("IOC_SMTP_USER") else None,
            password_env="IOC_SMTP_PASSWORD" if os.environ.get("IOC_SMTP_PASSWORD") else None,
        )
    return Channels(webhook, smtp)
