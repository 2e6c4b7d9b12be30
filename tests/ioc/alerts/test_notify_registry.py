"""The sender registry routes an outbox channel to its sender, and answers the way the
evaluator always has for a channel it cannot deliver."""

from __future__ import annotations

import json

import pytest

from ioc.alerts.notify import registry
from ioc.alerts.notify.delivery import DeliveryResult
from ioc.alerts.notify.mail import SmtpConfig

ALERT = json.dumps({"alert_id": "a-1", "transition": "fire", "message_vi": "x"})


@pytest.fixture
def no_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IOC_WEBHOOK_URL", "IOC_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("channel", ["topic", "banner", "sms:0912", "email", "webhook:x", ""])
def test_unknown_channels_are_refused_by_name(no_channels: None, channel: str) -> None:
    r = registry.send(channel, ALERT)
    assert (r.ok, r.error) == (False, f"unknown channel {channel!r}")


def test_unconfigured_channels_name_their_variable(no_channels: None) -> None:
    assert registry.send("webhook", ALERT).error == "IOC_WEBHOOK_URL is not set"
    assert registry.send("email:a@b.vn", ALERT).error == "IOC_SMTP_HOST is not set"


def test_email_target_goes_to_its_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOC_SMTP_HOST", "smtp.example")
    monkeypatch.setenv("IOC_SMTP_FROM", "ioc@example.vn")
    sent: list[tuple[str, list[str], str]] = []

    def fake_send_email(cfg: SmtpConfig, to: list[str], subject: str,
                        body: str) -> DeliveryResult:
        sent.append((cfg.host, to, subject))
        return DeliveryResult(True, 1, "sent")

    monkeypatch.setattr(registry, "send_email", fake_send_email)
    assert registry.send("email:ops@example.vn", ALERT).ok
    assert sent == [("smtp.example", ["ops@example.vn"], "[IOC] CẢNH BÁO / ALERT: x | x")]
