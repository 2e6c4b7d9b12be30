"""What every notification channel shares: the result of one delivery and the rules for it.

Senders retry transient failures with exponential backoff and return a `DeliveryResult`
instead of raising, so one broken channel never stops the other or the caller. Delivery is
at-least-once: a receiver that dedupes on the alert id (webhook header `X-IOC-Alert-Id`,
e-mail `Message-ID` reused across retries) sees each alert once.

Secrets are never stored in the configs (they hold the *name* of the environment variable)
and never appear in logs, exceptions or `DeliveryResult.error`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

Sleep = Callable[[float], None]
_ERROR_MAX = 300  # keep DeliveryResult.error short: it ends up in logs and the UI


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    attempts: int
    status: str  # "sent", "http_503", "smtp_550", "connection_error", "timeout", "config_error"…
    error: str | None = None


def check_retry(max_attempts: int, backoff_s: float) -> None:
    if max_attempts < 1 or backoff_s < 0:
        raise ValueError("max_attempts must be >= 1 and backoff_s >= 0")


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    # belt and braces: a server could echo a credential back in an error reply
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return text[:_ERROR_MAX]
