"""Alert notifications over SMTP e-mail (UTF-8 text, optional STARTTLS and login).

Retries transient failures with exponential backoff (delay after the n-th failed attempt =
backoff_s * 2**(n-1); no sleep after the last attempt) and returns a `DeliveryResult` instead
of raising (see `ioc.alerts.notify.delivery`).
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from ioc.alerts.notify.delivery import DeliveryResult, Sleep, check_retry, scrub
from ioc.alerts.notify.message import one_line

log = logging.getLogger(__name__)


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
        check_retry(self.max_attempts, self.backoff_s)


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


def _build_message(cfg: SmtpConfig, to: list[str], subject: str, body_text: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = cfg.sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = one_line(subject)
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
                                      scrub(f"refused: {detail}", [user, password]))
            return DeliveryResult(True, attempt, "sent", None)
        except Exception as e:  # noqa: BLE001 - classified below; nothing escapes to the caller
            transient, status, error = _classify(e)
            error = scrub(error, [user, password])
        if not transient or attempt == cfg.max_attempts:
            break
        delay = cfg.backoff_s * 2 ** (attempt - 1)
        log.warning("smtp %s attempt %d/%d failed (%s); retrying in %.2fs",
                    where, attempt, cfg.max_attempts, error, delay)
        sleep(delay)
    log.error("smtp %s failed after %d attempt(s): %s", where, attempt, error)
    return DeliveryResult(False, attempt, status, error)
