"""Notification targets by kind: the outbox channel `webhook` or `email:ADDRESS` names the
sender that delivers it. A new kind is one entry in `SENDERS` (and one in the target check of
`ioc.alerts.rules`). `topic` and `banner` are not senders: the evaluator publishes to Kafka
itself and the banner reads the alert tables."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ioc.alerts.notify.config import Channels, configs_from_env
from ioc.alerts.notify.delivery import DeliveryResult
from ioc.alerts.notify.mail import SmtpConfig, send_email
from ioc.alerts.notify.message import format_alert_email
from ioc.alerts.notify.webhook import WebhookConfig, send_webhook


@dataclass(frozen=True)
class Sender:
    addressed: bool  # "email:ADDRESS" names its recipient; "webhook" goes to the set URL
    config: Callable[[Channels], Any]  # this kind's settings, None when not configured
    unset: str  # the delivery error while it is not configured
    send: Callable[[Any, str, dict[str, Any]], DeliveryResult]  # (config, address, alert)


def _webhook(cfg: WebhookConfig, _address: str, alert: dict[str, Any]) -> DeliveryResult:
    return send_webhook(cfg, alert)


def _email(cfg: SmtpConfig, address: str, alert: dict[str, Any]) -> DeliveryResult:
    subject, text = format_alert_email(alert)
    return send_email(cfg, [address], subject, text)


SENDERS: dict[str, Sender] = {
    "webhook": Sender(False, lambda c: c.webhook, "IOC_WEBHOOK_URL is not set", _webhook),
    "email": Sender(True, lambda c: c.smtp, "IOC_SMTP_HOST is not set", _email),
}


def send(channel: str, payload: str) -> DeliveryResult:
    """Deliver one outbox row: `channel` as stored, `payload` the alert as JSON.

    The settings are read on every call, so a corrected variable counts from the next retry;
    a malformed one raises ValueError (the caller records it as a failed delivery)."""
    channels = configs_from_env()
    kind, sep, address = channel.partition(":")
    sender = SENDERS.get(kind)
    if sender is None or bool(sep) != sender.addressed:
        return DeliveryResult(False, 0, "config_error", f"unknown channel {channel!r}")
    cfg = sender.config(channels)
    if cfg is None:
        return DeliveryResult(False, 0, "config_error", sender.unset)
    return sender.send(cfg, address, json.loads(payload))
