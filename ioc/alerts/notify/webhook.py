"""Alert notifications over a signed JSON webhook.

Retries transient failures with exponential backoff (delay after the n-th failed attempt =
min(backoff_max_s, backoff_s * 2**(n-1)); no sleep after the last attempt) and returns a
`DeliveryResult` instead of raising (see `ioc.alerts.notify.delivery`).

Webhook signature scheme (for receivers)
----------------------------------------
Each POST carries
  X-IOC-Timestamp: <unix seconds, decimal>
  X-IOC-Signature: sha256=<hex HMAC-SHA256(key=secret, msg=f"{timestamp}.".encode() + body)>
where body is the exact raw request body (UTF-8 JSON bytes). Verify by recomputing the HMAC
over the raw bytes received (not re-serialised JSON), comparing in constant time and
rejecting timestamps more than 5 minutes from the receiver's clock (replay protection);
`verify_signature` does exactly that. Each retry is signed afresh with a new timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

from ioc.alerts.notify.delivery import DeliveryResult, Sleep, check_retry, scrub

log = logging.getLogger(__name__)

_RETRY_STATUSES = frozenset({408, 425, 429})  # besides every 5xx


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret_env: str | None  # name of the env var holding the HMAC secret; None = unsigned
    timeout_s: float = 5
    max_attempts: int = 5
    backoff_s: float = 0.5
    backoff_max_s: float = 30

    def __post_init__(self) -> None:
        # urllib would also open file:// and ftp:// URLs: only HTTP(S) may be configured
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"webhook URL must be http(s)://host/..., got {_safe_url(self.url)}")
        check_retry(self.max_attempts, self.backoff_s)


def _delay(attempt: int, base: float, cap: float) -> float:
    return min(cap, base * 2 ** (attempt - 1))


def _safe_url(url: str) -> str:
    # webhook URLs often carry a token in the path or query (Slack, Teams): log the origin only
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
    except ValueError:
        return "<invalid url>"


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The X-IOC-Signature header value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_signature(secret: str, timestamp: int | str, body: bytes | str, header: str,
                     tolerance_s: float = 300, now: float | None = None) -> bool:
    """True when `header` is the signature of the raw `body` at `timestamp` and the timestamp
    is within `tolerance_s` of `now` (default: the current time) either way."""
    try:
        ts = int(str(timestamp).strip())
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_s:
        return False
    raw = body.encode() if isinstance(body, str) else body
    return hmac.compare_digest(sign(secret, ts, raw).encode(), (header or "").strip().encode())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # a redirect would turn the POST into a GET or re-send the signed body to another host
    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: http.client.HTTPMessage, newurl: str
                         ) -> urllib.request.Request | None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _retry_after(err: urllib.error.HTTPError) -> float | None:
    value = err.headers.get("Retry-After") if err.headers else None
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP-date: fall back to our own backoff


def send_webhook(cfg: WebhookConfig, payload: dict[str, Any],
                 sleep: Sleep = time.sleep) -> DeliveryResult:
    """POST `payload` as signed JSON (scheme in the module docstring).

    Retries connection errors, timeouts, 408/425/429 and 5xx (honouring a numeric
    Retry-After up to backoff_max_s); any other status, including 3xx, is final."""
    secret: str | None = None
    if cfg.secret_env:
        secret = os.environ.get(cfg.secret_env) or None
        if secret is None:
            # refuse to send unsigned when signing was asked for: receivers would reject it
            return DeliveryResult(False, 0, "config_error",
                                  f"webhook secret variable {cfg.secret_env} is not set")
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"),
                      default=str).encode("utf-8")
    where = _safe_url(cfg.url)
    status, error = "", None
    for attempt in range(1, cfg.max_attempts + 1):
        ts = int(time.time())
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "User-Agent": "ioc-dashboard-notifier", "X-IOC-Timestamp": str(ts)}
        if secret is not None:
            headers["X-IOC-Signature"] = sign(secret, ts, body)
        if payload.get("alert_id") is not None:
            headers["X-IOC-Alert-Id"] = str(payload["alert_id"])
        req = urllib.request.Request(cfg.url, data=body, headers=headers, method="POST")
        wait_hint: float | None = None
        try:
            with _opener.open(req, timeout=cfg.timeout_s) as resp:
                resp.read(65536)  # drain so the server is not reset mid-reply
                return DeliveryResult(True, attempt, "sent", None)
        except urllib.error.HTTPError as e:
            e.close()  # HTTPError owns the response socket
            status, error = f"http_{e.code}", f"HTTP {e.code} {e.reason}"
            retry = e.code >= 500 or e.code in _RETRY_STATUSES
            wait_hint = _retry_after(e) if retry else None
        except TimeoutError as e:
            status, error, retry = "timeout", f"timed out: {e}", True
        except urllib.error.URLError as e:
            timed_out = isinstance(e.reason, TimeoutError)
            status = "timeout" if timed_out else "connection_error"
            error, retry = f"{type(e.reason).__name__}: {e.reason}", True
        except (OSError, http.client.HTTPException) as e:  # reset, bad status line, …
            status, error, retry = "connection_error", f"{type(e).__name__}: {e}", True
        error = scrub(error or status, [secret])
        if not retry or attempt == cfg.max_attempts:
            break
        delay = _delay(attempt, cfg.backoff_s, cfg.backoff_max_s)
        if wait_hint is not None:
            delay = min(cfg.backoff_max_s, max(delay, wait_hint))
        log.warning("webhook %s attempt %d/%d failed (%s); retrying in %.2fs",
                    where, attempt, cfg.max_attempts, error, delay)
        sleep(delay)
    log.error("webhook %s failed after %d attempt(s): %s", where, attempt, error)
    return DeliveryResult(False, attempt, status, error)
