"""Webhook and e-mail notifiers against real local servers: a ThreadingHTTPServer and an
aiosmtpd SMTP server, both on 127.0.0.1. Backoff delays are recorded through the injected
`sleep`, so no test sleeps for real."""

from __future__ import annotations

import email
import json
import logging
import socket
import sys
import threading
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from ioc.alerts.notify.config import configs_from_env
from ioc.alerts.notify.mail import SmtpConfig, send_email
from ioc.alerts.notify.message import format_alert_email
from ioc.alerts.notify.webhook import WebhookConfig, send_webhook, verify_signature

SECRET = "s3cr3t-hmac-key-do-not-log"
ALERT = {
    "alert_id": "rule-42-fire-20250701T0800", "rule_id": "hs-qua-han", "kpi": "dossiers.overdue",
    "scope": "ward:25111", "severity": "critical", "transition": "fire", "value": 17,
    "threshold": 10, "comparator": ">", "message_vi": "Hồ sơ quá hạn tại xã Đồng Xoài vượt ngưỡng",
    "message_en": "Overdue dossiers in Dong Xoai commune above threshold",
    "at": "2025-07-01T08:00:00Z",
}


# ---------------------------------------------------------------------------- HTTP receiver


class Receiver(ThreadingHTTPServer):
    """Records each POST; answers the statuses in `plan` in order, then 200."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.plan: list[int] = []
        self.retry_after: str | None = None
        self.lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # the timed-out client of test_webhook_timeout_is_retried has hung up: expected
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/ioc?token=path-token"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.server.lock:
            # keep the HTTPMessage: header lookups stay case-insensitive (urllib sends
            # "X-ioc-signature")
            self.server.requests.append({"path": self.path, "headers": self.headers,
                                         "body": body})
            code = self.server.plan.pop(0) if self.server.plan else 200
        self.send_response(code)
        if code in (429, 503) and self.server.retry_after:
            self.send_header("Retry-After", self.server.retry_after)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    srv = Receiver()  # bound and listening once constructed: no readiness wait needed
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.fixture()
def secret_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("IOC_TEST_WEBHOOK_SECRET", SECRET)
    return "IOC_TEST_WEBHOOK_SECRET"


def _closed_port() -> tuple[socket.socket, int]:
    """A port bound but not listening: connections to it are refused, and no other test
    can take it while the socket lives."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


# ---------------------------------------------------------------------------- webhook


def test_webhook_retries_503_and_signature_verifies(receiver: Receiver, secret_env: str,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.plan = [503]
    delays: list[float] = []
    cfg = WebhookConfig(receiver.url, secret_env, timeout_s=5, backoff_s=0.01)
    result = send_webhook(cfg, ALERT, sleep=delays.append)

    assert result.ok and result.attempts == 2 and result.status == "sent"
    assert delays == [0.01]
    assert len(receiver.requests) == 2
    req = receiver.requests[-1]
    h, body = req["headers"], req["body"]
    assert h["Content-Type"].startswith("application/json")
    assert h["X-IOC-Alert-Id"] == ALERT["alert_id"]
    assert json.loads(body.decode("utf-8")) == ALERT  # Vietnamese survives as UTF-8
    assert "Đồng Xoài".encode() in body
    assert h["X-IOC-Signature"].startswith("sha256=")
    ts = h["X-IOC-Timestamp"]
    assert verify_signature(SECRET, ts, body, h["X-IOC-Signature"])
    # tampered body, wrong key, stale or future timestamp, garbage header: all rejected
    assert not verify_signature(SECRET, ts, body.replace(b"17", b"18"), h["X-IOC-Signature"])
    assert not verify_signature("other-key", ts, body, h["X-IOC-Signature"])
    assert not verify_signature(SECRET, ts, body, h["X-IOC-Signature"], now=int(ts) + 301)
    assert not verify_signature(SECRET, ts, body, h["X-IOC-Signature"], now=int(ts) - 301)
    assert verify_signature(SECRET, ts, body, h["X-IOC-Signature"], now=int(ts) + 299)
    assert not verify_signature(SECRET, "not-a-number", body, h["X-IOC-Signature"])
    assert not verify_signature(SECRET, ts, body, "sha256=00")
    # the retry was logged, without the secret or the URL's token
    assert "attempt 1/5" in caplog.text
    assert SECRET not in caplog.text and "path-token" not in caplog.text


def test_webhook_400_is_not_retried(receiver: Receiver, secret_env: str) -> None:
    receiver.plan = [400]
    delays: list[float] = []
    result = send_webhook(WebhookConfig(receiver.url, secret_env), ALERT, sleep=delays.append)
    assert (result.ok, result.attempts, result.status) == (False, 1, "http_400")
    assert delays == [] and len(receiver.requests) == 1


def test_webhook_429_honours_retry_after_within_cap(receiver: Receiver) -> None:
    receiver.plan, receiver.retry_after = [429, 500], "7"
    delays: list[float] = []
    cfg = WebhookConfig(receiver.url, None, backoff_s=0.01, backoff_max_s=5)
    result = send_webhook(cfg, {"alert_id": "a1"}, sleep=delays.append)
    assert result.ok and result.attempts == 3
    assert delays == [5, 0.02]  # Retry-After 7 capped at backoff_max_s; 500 has no hint
    assert "X-IOC-Signature" not in receiver.requests[0]["headers"]  # unsigned by config


def test_webhook_unreachable_backs_off_exponentially(secret_env: str,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sock, port = _closed_port()
    with sock:
        delays: list[float] = []
        cfg = WebhookConfig(f"http://127.0.0.1:{port}/x", secret_env, timeout_s=2,
                            max_attempts=5, backoff_s=0.01, backoff_max_s=0.05)
        result = send_webhook(cfg, ALERT, sleep=delays.append)
    assert (result.ok, result.attempts, result.status) == (False, 5, "connection_error")
    assert delays == [0.01, 0.02, 0.04, 0.05]  # doubling, capped, none after the last try
    assert SECRET not in caplog.text and SECRET not in (result.error or "")


def test_webhook_timeout_is_retried(receiver: Receiver) -> None:
    release = threading.Event()
    first = threading.Event()

    class Slow(_Handler):
        def do_POST(self) -> None:
            if not first.is_set():
                first.set()
                release.wait(5)  # hold the first request past the client timeout
            super().do_POST()

    receiver.RequestHandlerClass = Slow
    delays: list[float] = []
    try:
        cfg = WebhookConfig(receiver.url, None, timeout_s=0.3, backoff_s=0.01)
        result = send_webhook(cfg, ALERT, sleep=delays.append)
    finally:
        release.set()
    assert result.ok and result.attempts == 2 and delays == [0.01]


def test_webhook_missing_secret_is_a_config_error(receiver: Receiver,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IOC_TEST_WEBHOOK_SECRET", raising=False)
    result = send_webhook(WebhookConfig(receiver.url, "IOC_TEST_WEBHOOK_SECRET"), ALERT)
    assert (result.ok, result.attempts, result.status) == (False, 0, "config_error")
    assert receiver.requests == []


def test_webhook_rejects_non_http_urls() -> None:
    with pytest.raises(ValueError):
        WebhookConfig("file:///etc/passwd", None)


# ---------------------------------------------------------------------------- SMTP server


class Collector:
    """aiosmtpd handler: keeps accepted messages; `data_replies` and `rcpt_reject` script
    failures (consumed in order)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.data_replies: list[str] = []
        self.rcpt_reject: dict[str, str] = {}
        self.sessions = 0
        self.message_ids: list[str] = []  # of every DATA, accepted or not

    async def handle_RCPT(  # noqa: N802 - aiosmtpd calls handlers by these names
            self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.rcpt_reject:
            return self.rcpt_reject[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd calls handlers by these names
            self, server: Any, session: Any, envelope: Any) -> str:
        self.sessions += 1
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        self.message_ids.append(msg["Message-ID"])
        if self.data_replies:
            return self.data_replies.pop(0)
        self.messages.append(msg)  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted"


class BoundController(Controller):
    """Serves on an already bound socket: port 0 without a race, and the port can be held
    refusing connections until `start()`."""

    def __init__(self, handler: Collector, sock: socket.socket) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1])
        self._sock = sock

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


@pytest.fixture()
def smtp() -> Iterator[tuple[BoundController, Collector]]:
    sock, _ = _closed_port()
    handler = Collector()
    ctl = BoundController(handler, sock)
    yield ctl, handler
    if ctl._thread is not None:
        ctl.stop()  # closes its event loop
    else:
        ctl.loop.close()  # created in the constructor, never run
    sock.close()


def _cfg(ctl: BoundController, **kw: Any) -> SmtpConfig:
    return SmtpConfig(host="127.0.0.1", port=ctl.port, sender="ioc@tinh25.gov.vn",
                      timeout_s=5, backoff_s=0.01, **kw)


def test_email_delivers_vietnamese_intact(smtp: tuple[BoundController, Collector]) -> None:
    ctl, handler = smtp
    ctl.start()  # returns once the server answers
    subject, body = format_alert_email(ALERT)
    result = send_email(_cfg(ctl), ["truc.ban@tinh25.gov.vn", "ops@example.org"], subject, body)

    assert (result.ok, result.attempts, result.status, result.error) == (True, 1, "sent", None)
    [msg] = handler.messages
    assert msg["Subject"] == subject
    assert "Hồ sơ quá hạn tại xã Đồng Xoài" in msg["Subject"]
    assert msg.get_content().replace("\r\n", "\n") == body  # SMTP sends CRLF lines
    assert msg["From"] == "ioc@tinh25.gov.vn"
    assert msg["Message-ID"].endswith("@tinh25.gov.vn>")
    assert handler.envelopes == [("ioc@tinh25.gov.vn",
                                  ["truc.ban@tinh25.gov.vn", "ops@example.org"])]


def test_email_retries_until_server_starts(smtp: tuple[BoundController, Collector]) -> None:
    ctl, handler = smtp
    delays: list[float] = []

    def sleep(s: float) -> None:  # the server comes up during the second backoff
        delays.append(s)
        if len(delays) == 2:
            ctl.start()

    result = send_email(_cfg(ctl, max_attempts=4), ["a@example.org"], "Thử lại", "Nội dung",
                        sleep=sleep)
    assert (result.ok, result.attempts) == (True, 3)
    assert delays == [0.01, 0.02]
    assert [m["Subject"] for m in handler.messages] == ["Thử lại"]


def test_email_retries_4xx_and_keeps_message_id(smtp: tuple[BoundController, Collector]) -> None:
    ctl, handler = smtp
    handler.data_replies = ["451 4.3.0 Hệ thống bận, thử lại sau"]
    ctl.start()
    delays: list[float] = []
    result = send_email(_cfg(ctl), ["a@example.org"], "Cảnh báo", "Nội dung tiếng Việt",
                        sleep=delays.append)
    assert (result.ok, result.attempts) == (True, 2)
    assert delays == [0.01] and handler.sessions == 2
    assert handler.messages[0].get_content().rstrip() == "Nội dung tiếng Việt"
    [first, second] = handler.message_ids
    assert first == second  # the retry can be recognised as the same message


def test_email_gives_up_after_max_attempts(smtp: tuple[BoundController, Collector]) -> None:
    ctl, _ = smtp  # never started: every connection is refused
    delays: list[float] = []
    result = send_email(_cfg(ctl, max_attempts=3), ["a@example.org"], "s", "b",
                        sleep=delays.append)
    assert (result.ok, result.attempts, result.status) == (False, 3, "connection_error")
    assert delays == [0.01, 0.02]


@pytest.mark.parametrize("where", ["rcpt", "data"])
def test_email_550_is_not_retried(smtp: tuple[BoundController, Collector], where: str) -> None:
    ctl, handler = smtp
    if where == "rcpt":
        handler.rcpt_reject["ghost@example.org"] = "550 5.1.1 No such user"
    else:
        handler.data_replies = ["554 5.7.1 Message rejected"]
    ctl.start()
    delays: list[float] = []
    result = send_email(_cfg(ctl), ["ghost@example.org"], "s", "b", sleep=delays.append)
    assert (result.ok, result.attempts) == (False, 1)
    assert result.status == ("smtp_550" if where == "rcpt" else "smtp_554")
    assert delays == [] and handler.messages == []


def test_email_partial_refusal_is_not_resent(smtp: tuple[BoundController, Collector]) -> None:
    ctl, handler = smtp
    handler.rcpt_reject["ghost@example.org"] = "550 5.1.1 No such user"
    ctl.start()
    result = send_email(_cfg(ctl), ["a@example.org", "ghost@example.org"], "s", "b")
    assert (result.ok, result.attempts, result.status) == (True, 1, "sent_partial")
    assert "ghost@example.org" in (result.error or "")
    assert handler.envelopes == [("ioc@tinh25.gov.vn", ["a@example.org"])]


def test_email_refuses_clear_text_login(smtp: tuple[BoundController, Collector],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    ctl, handler = smtp
    ctl.start()
    monkeypatch.setenv("IOC_TEST_SMTP_USER", "ioc")
    monkeypatch.setenv("IOC_TEST_SMTP_PASSWORD", "hunter2-password")
    cfg = _cfg(ctl, username_env="IOC_TEST_SMTP_USER", password_env="IOC_TEST_SMTP_PASSWORD")
    result = send_email(cfg, ["a@example.org"], "s", "b")
    assert (result.ok, result.attempts, result.status) == (False, 0, "config_error")
    assert "hunter2" not in (result.error or "") and handler.sessions == 0


def test_email_subject_newlines_cannot_inject_headers(
        smtp: tuple[BoundController, Collector]) -> None:
    ctl, handler = smtp
    ctl.start()
    result = send_email(_cfg(ctl), ["a@example.org"], "Cảnh báo\r\nBcc: evil@example.org", "b")
    assert result.ok
    [msg] = handler.messages
    assert msg["Bcc"] is None and msg["Subject"] == "Cảnh báo Bcc: evil@example.org"


# ---------------------------------------------------------------------------- formatting


def test_format_alert_email_vietnamese_first() -> None:
    subject, body = format_alert_email(ALERT)
    assert "\n" not in subject and subject.startswith("[IOC] CẢNH BÁO / ALERT – Nghiêm trọng")
    assert subject.index("Hồ sơ quá hạn") < subject.index("Overdue dossiers")
    assert body.index("Mức độ") < body.index("Severity")
    assert "Ngưỡng      : > 10" in body and "Threshold : > 10" in body
    assert "15:00 01/07/2025 (giờ Việt Nam)" in body  # 08:00Z shown in Vietnam time
    assert "2025-07-01 15:00 (UTC+7)" in body
    assert ALERT["alert_id"] in body and "17" in body


def test_format_alert_email_resolve_and_sparse_record() -> None:
    subject, body = format_alert_email({"rule_id": "r1", "state": "resolve", "value": 3.14159})
    assert "ĐÃ HẾT CẢNH BÁO / RESOLVED" in subject and "r1" in subject
    assert "3.14" in body and "Mức độ" not in body  # missing keys are left out


# ---------------------------------------------------------------------------- settings


_ENV = ("IOC_WEBHOOK_URL", "IOC_WEBHOOK_SECRET_ENV", "IOC_WEBHOOK_SECRET", "IOC_SMTP_HOST",
        "IOC_SMTP_PORT", "IOC_SMTP_FROM", "IOC_SMTP_STARTTLS", "IOC_SMTP_USER",
        "IOC_SMTP_PASSWORD")


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_configs_from_env_unset_means_disabled(clean_env: pytest.MonkeyPatch) -> None:
    assert configs_from_env() == (None, None)


def test_configs_from_env_reads_everything(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("IOC_WEBHOOK_URL", "https://hooks.example.org/ioc")
    clean_env.setenv("IOC_WEBHOOK_SECRET_ENV", "MY_HOOK_SECRET")
    clean_env.setenv("IOC_SMTP_HOST", "smtp.example.org")
    clean_env.setenv("IOC_SMTP_FROM", "ioc@example.org")
    clean_env.setenv("IOC_SMTP_STARTTLS", "true")
    clean_env.setenv("IOC_SMTP_USER", "ioc")
    clean_env.setenv("IOC_SMTP_PASSWORD", "pw")
    webhook, smtp = configs_from_env()
    assert webhook == WebhookConfig("https://hooks.example.org/ioc", "MY_HOOK_SECRET")
    assert smtp == SmtpConfig("smtp.example.org", 587, "ioc@example.org", starttls=True,
                              username_env="IOC_SMTP_USER", password_env="IOC_SMTP_PASSWORD")


def test_configs_from_env_defaults_and_errors(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("IOC_WEBHOOK_URL", "http://127.0.0.1:9/x")
    clean_env.setenv("IOC_SMTP_HOST", "mail")
    clean_env.setenv("IOC_SMTP_FROM", "ioc@example.org")
    webhook, smtp = configs_from_env()
    assert webhook is not None and webhook.secret_env is None  # no secret set: unsigned
    assert smtp is not None and (smtp.port, smtp.starttls) == (25, False)
    clean_env.setenv("IOC_WEBHOOK_SECRET", "x")
    assert configs_from_env()[0].secret_env == "IOC_WEBHOOK_SECRET"  # type: ignore[union-attr]
    clean_env.setenv("IOC_SMTP_PORT", "abc")
    with pytest.raises(ValueError, match="IOC_SMTP_PORT"):
        configs_from_env()
    clean_env.setenv("IOC_SMTP_PORT", "2525")
    clean_env.delenv("IOC_SMTP_FROM")
    with pytest.raises(ValueError, match="IOC_SMTP_FROM"):
        configs_from_env()

