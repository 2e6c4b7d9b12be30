"""Alert notifications over a signed JSON webhook and SMTP e-mail, each optional.

Both senders retry transient failures with exponential backoff (delay after the n-th failed
attempt = min(backoff_max_s, backoff_s * 2**(n-1)); no sleep after the last attempt) and
return a `DeliveryResult` instead of raising, so one broken channel never stops the other or
the caller. Delivery is at-least-once: a receiver that dedupes on the alert id (webhook header
`X-IOC-Alert-Id`, e-mail `Message-ID` reused across retries) sees each alert once.

Secrets are never stored in the configs (they hold the *name* of the environment variable)
and never appear in logs, exceptions or `DeliveryResult.error`.

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
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
_RETRY_STATUSES = frozenset({408, 425, 429})  # besides every 5xx
_ERROR_MAX = 300  # keep DeliveryResult.error short: it ends up in logs and the UI


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    attempts: int
    status: str  # "sent", "http_503", "smtp_550", "connection_error", "timeout", "config_error"…
    error: str | None = None


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
        _check_retry(self.max_attempts, self.backoff_s)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    starttls: bool = False
    username_env: str | None = None  # names of env vars, never the credentials themselves
    password_env: str | None = None
    timeout_s: float = 10
    max_attempts: int = 3
    backoff_s: float = 1

    def __post_init__(self) -> None:
        if not self.host or not 0 < self.port < 65536:
            raise ValueError(f"invalid SMTP server {self.host!r}:{self.port}")
        if "@" not in self.sender:
            raise ValueError(f"SMTP sender must be an e-mail address, got {self.sender!r}")
        _check_retry(self.max_attempts, self.backoff_s)


def _check_retry(max_attempts: int, backoff_s: float) -> None:
    if max_attempts < 1 or backoff_s < 0:
        raise ValueError("max_attempts must be >= 1 and backoff_s >= 0")


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


def _scrub(text: str, secrets: Iterable[str | None]) -> str:
    # belt and braces: a server could echo a credential back in an error reply
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return text[:_ERROR_MAX]


# ---------------------------------------------------------------------------- webhook


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
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
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
        error = _scrub(error or status, [secret])
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


# ---------------------------------------------------------------------------- e-mail


class _Permanent(Exception):
    def __init__(self, status: str, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


def _reply(code: int, msg: bytes | str) -> str:
    text = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
    return f"{code} {text}"


def _classify(e: Exception) -> tuple[bool, str, str]:
    """(transient, status, error) of one failed SMTP attempt."""
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in e.recipients.values()]
        worst = max(codes, default=550)
        detail = "; ".join(f"{rcpt}: {_reply(c, m)}" for rcpt, (c, m) in e.recipients.items())
        return all(400 <= c < 500 for c in codes), f"smtp_{worst}", f"recipients refused: {detail}"
    if isinstance(e, smtplib.SMTPResponseException):  # sender, data, connect, helo, auth
        return 400 <= e.smtp_code < 500, f"smtp_{e.smtp_code}", _reply(e.smtp_code, e.smtp_error)
    if isinstance(e, smtplib.SMTPServerDisconnected):
        return True, "connection_error", f"disconnected: {e}"
    if isinstance(e, smtplib.SMTPNotSupportedError | ssl.SSLCertVerificationError):
        return False, "config_error", f"{type(e).__name__}: {e}"  # retrying cannot help
    if isinstance(e, TimeoutError):
        return True, "timeout", f"timed out: {e}"
    if isinstance(e, OSError):  # refused, reset, unreachable, TLS handshake cut
        return True, "connection_error", f"{type(e).__name__}: {e}"
    return False, "error", f"{type(e).__name__}: {e}"  # other SMTPException: protocol misuse


def _one_line(text: str) -> str:
    # CR/LF in a header is an injection vector and EmailMessage rejects it anyway
    return " ".join(text.split())


def _build_message(cfg: SmtpConfig, to: list[str], subject: str, body_text: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = cfg.sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = _one_line(subject)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=cfg.sender.rpartition("@")[2] or None)
    # quoted-printable: 7-bit safe through relays that lack 8BITMIME, Vietnamese intact
    msg.set_content(body_text, charset="utf-8", cte="quoted-printable")
    return msg


def send_email(cfg: SmtpConfig, to: list[str], subject: str, body_text: str,
               sleep: Sleep = time.sleep) -> DeliveryResult:
    """Send one UTF-8 text e-mail to `to`.

    Retries disconnects, connection failures, timeouts and 4xx replies; 5xx replies are
    permanent. The same Message-ID is reused on every attempt so a message accepted just
    before a disconnect and sent again can be recognised as a duplicate. If only some
    recipients are refused the message is not re-sent (ok, status "sent_partial")."""
    recipients = [a.strip() for a in to if a and a.strip()]
    if not recipients:
        return DeliveryResult(False, 0, "config_error", "no recipients")
    user = os.environ.get(cfg.username_env) if cfg.username_env else None
    password = os.environ.get(cfg.password_env) if cfg.password_env else None
    if (cfg.username_env or cfg.password_env) and not (user and password):
        return DeliveryResult(False, 0, "config_error",
                              "SMTP credentials configured but the variables are not set")
    if user and not cfg.starttls:
        # never send a password in clear text over the network
        return DeliveryResult(False, 0, "config_error", "SMTP login requires STARTTLS")
    msg = _build_message(cfg, recipients, subject, body_text)
    where = f"{cfg.host}:{cfg.port}"
    status, error = "", None
    for attempt in range(1, cfg.max_attempts + 1):
        try:
            with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_s) as smtp:
                if cfg.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if user and password:
                    smtp.login(user, password)
                refused = smtp.send_message(msg, from_addr=cfg.sender, to_addrs=recipients)
            if refused:
                detail = "; ".join(f"{r}: {_reply(c, m)}" for r, (c, m) in refused.items())
                return DeliveryResult(True, attempt, "sent_partial",
                                      _scrub(f"refused: {detail}", [user, password]))
            return DeliveryResult(True, attempt, "sent", None)
        except Exception as e:  # classified below; nothing escapes to the caller
            transient, status, error = _classify(e)
            error = _scrub(error, [user, password])
        if not transient or attempt == cfg.max_attempts:
            break
        delay = cfg.backoff_s * 2 ** (attempt - 1)
        log.warning("smtp %s attempt %d/%d failed (%s); retrying in %.2fs",
                    where, attempt, cfg.max_attempts, error, delay)
        sleep(delay)
    log.error("smtp %s failed after %d attempt(s): %s", where, attempt, error)
    return DeliveryResult(False, attempt, status, error)


# ---------------------------------------------------------------------------- formatting

_VN_TZ = timezone(timedelta(hours=7), "ICT")
_SEVERITY = {"info": ("Thông tin", "Info"), "warning": ("Cảnh báo", "Warning"),
             "critical": ("Nghiêm trọng", "Critical")}
_TRANSITION = {"fire": ("CẢNH BÁO", "ALERT"), "resolve": ("ĐÃ HẾT CẢNH BÁO", "RESOLVED")}
_SUBJECT_MAX = 180  # long subjects get folded or truncated by mail clients anyway


def _num(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{int(v):,}"


def _when(at: Any) -> tuple[str, str]:
    if not at:
        return "", ""
    try:
        dt = datetime.fromisoformat(str(at))
    except ValueError:
        return str(at), str(at)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)  # pipeline timestamps are naive UTC
    local = dt.astimezone(_VN_TZ)
    return f"{local:%H:%M %d/%m/%Y} (giờ Việt Nam)", f"{local:%Y-%m-%d %H:%M} (UTC+7)"


def format_alert_email(alert: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of an alert e-mail: Vietnamese first, then English. Missing keys are
    left out, so rule alerts and dossier reminders both format."""
    transition = str(alert.get("transition") or alert.get("state") or "fire").lower()
    head_vi, head_en = _TRANSITION.get(transition, (transition.upper(), transition.upper()))
    severity = str(alert.get("severity") or "")
    sev_vi, sev_en = _SEVERITY.get(severity, (severity, severity))
    condition = ""
    if alert.get("comparator") is not None and alert.get("threshold") is not None:
        condition = f"{alert.get('kpi') or ''} {alert['comparator']} {_num(alert['threshold'])}"
    target = alert.get("rule_id") or alert.get("kind") or alert.get("kpi") or ""
    msg_vi = alert.get("message_vi") or alert.get("message_en") or condition or target
    msg_en = alert.get("message_en") or alert.get("message_vi") or condition or target
    tag = f"[IOC] {head_vi} / {head_en}" + (f" – {sev_vi} / {sev_en}" if severity else "")
    subject = _one_line(f"{tag}: {msg_vi} | {msg_en}")
    if len(subject) > _SUBJECT_MAX:
        subject = subject[: _SUBJECT_MAX - 1] + "…"

    when_vi, when_en = _when(alert.get("at") or alert.get("created_at"))
    value = _num(alert["value"]) if alert.get("value") is not None else ""
    threshold = ""
    if alert.get("threshold") is not None:
        threshold = f"{alert.get('comparator') or ''} {_num(alert['threshold'])}".strip()
    count = _num(alert["count"]) if alert.get("count") is not None else ""

    def section(title: str, message: str, rows: list[tuple[str, str]]) -> list[str]:
        lines = [title, "=" * len(title), message, ""]
        width = max((len(label) for label, val in rows if val), default=0)
        lines += [f"{label:<{width}} : {val}" for label, val in rows if val]
        return lines

    vi = section(f"{head_vi} – Trung tâm điều hành thông minh (IOC)", msg_vi, [
        ("Trạng thái", head_vi.capitalize()), ("Mức độ", sev_vi),
        ("Quy tắc", str(alert.get("rule_id") or "")), ("Chỉ số", str(alert.get("kpi") or "")),
        ("Phạm vi", str(alert.get("scope") or "")), ("Giá trị", value),
        ("Ngưỡng", threshold), ("Số hồ sơ", count), ("Thời điểm", when_vi),
        ("Mã cảnh báo", str(alert.get("alert_id") or "")),
    ])
    en = section(f"{head_en} – Intelligent Operations Centre (IOC)", msg_en, [
        ("Status", head_en.capitalize()), ("Severity", sev_en),
        ("Rule", str(alert.get("rule_id") or "")), ("KPI", str(alert.get("kpi") or "")),
        ("Scope", str(alert.get("scope") or "")), ("Value", value),
        ("Threshold", threshold), ("Dossiers", count), ("Time", when_en),
        ("Alert ID", str(alert.get("alert_id") or "")),
    ])
    footer = ["", "-- ", "Thư tự động từ IOC, vui lòng không trả lời. / "
              "Automated message from the IOC, please do not reply."]
    return subject, "\n".join(vi + ["", "-" * 40, ""] + en + footer) + "\n"


# ---------------------------------------------------------------------------- settings

_TRUE = frozenset({"1", "true", "yes", "on"})


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def configs_from_env() -> tuple[WebhookConfig | None, SmtpConfig | None]:
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
    return webhook, smtp
