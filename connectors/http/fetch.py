"""One HTTP GET with retries and exponential backoff (stdlib urllib), shared by the HTTP
sources (`connectors.http.poller`, `connectors.open311`, `connectors.feeds`).

Retried: timeouts, connection errors, 429 and 5xx, and a body that `parse` refuses with a
ValueError (a truncated JSON answer is usually a server hiccup). Not retried: any other 4xx
(`FetchRefusedError`, with a short excerpt of the error body, which servers use to explain).
Statuses listed in ``accept`` (e.g. 304 Not Modified) are answers, not errors. After
``max_retries`` retries: `FetchFailedError`, an OSError so a long-running connector backs off
and tries again. The request is rebuilt for every attempt (a rotated credential is picked up)
and only ``shown`` — the URL without secrets — appears in logs and errors.
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    timeout_s: float = 10.0
    max_retries: int = 3
    backoff_s: float = 0.5
    backoff_max_s: float = 30.0

    def delay(self, attempt: int) -> float:
        """Pause before retry number `attempt` (1, 2, …): doubling, capped."""
        return min(self.backoff_s * 2 ** (attempt - 1), self.backoff_max_s)


@dataclass
class Response:
    status: int
    headers: Message | Mapping[str, str] = field(default_factory=dict)  # Message: any case
    body: bytes = b""
    parsed: Any = None  # what `parse` made of the body


class FetchRefusedError(Exception):
    """A 4xx other than 429: the request itself is wrong, retrying will not help."""

    def __init__(self, status: int, reason: str, url: str, excerpt: str) -> None:
        super().__init__(f"HTTP {status} {reason} from {url}")
        self.status, self.reason, self.url, self.excerpt = status, reason, url, excerpt


class FetchFailedError(OSError):
    """Still failing (transient kind) after the retries."""


def fetch_with_retries(make_request: Callable[[], Request], shown: str, policy: RetryPolicy,
                       sleep: Callable[[float], Any],
                       parse: Callable[[bytes], Any] | None = None,
                       accept: tuple[int, ...] = (),
                       verbose: bool = True) -> Response:
    """GET with retries; `parse(body)` runs on 2xx bodies (a ValueError is retried).
    `verbose` puts exception messages (not only their type) in logs and the final error;
    callers whose URLs carry a secret turn it off."""
    last = "no attempt"
    for attempt in range(policy.max_retries + 1):
        if attempt:
            delay = policy.delay(attempt)
            log.warning("GET %s failed (%s); retry %d/%d in %.2fs", shown, last, attempt,
                        policy.max_retries, delay)
            sleep(delay)
        try:
            with urlopen(make_request(), timeout=policy.timeout_s) as resp:
                status, headers, data = resp.status, resp.headers, resp.read()
        except HTTPError as exc:
            status = exc.code
            if status in accept:
                headers = exc.headers
                exc.close()
                return Response(status=status, headers=headers)
            if status == 429 or status >= 500:
                exc.close()
                last = f"HTTP {status}"
                continue
            excerpt = _excerpt(exc)
            exc.close()
            raise FetchRefusedError(status, str(exc.reason), shown, excerpt) from None
        except (OSError, http.client.HTTPException) as exc:  # timeouts, refused, resets
            last = f"{type(exc).__name__}: {exc}" if verbose else type(exc).__name__
            continue
        try:
            parsed = parse(data) if parse is not None else None
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            last = f"invalid body ({exc})" if verbose else "invalid body"
            continue
        return Response(status=status, headers=headers, body=data, parsed=parsed)
    raise FetchFailedError(f"GET {shown} failed after {policy.max_retries + 1} attempts: "
                           f"{last}")


def _excerpt(exc: HTTPError) -> str:
    """The start of an error body, whitespace folded (callers scrub their secrets from it)."""
    try:
        text = exc.read(300).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return ""
    return " ".join(text.split())


__all__ = ["FetchFailedError", "FetchRefusedError", "Response", "RetryPolicy",
           "fetch_with_retries"]
