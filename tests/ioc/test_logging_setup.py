"""Log lines, their arguments and exception tracebacks never carry personal data."""

from __future__ import annotations

import io
import logging

from ioc.logging_setup import RedactingFilter


def _capture() -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.redaction")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, out


def test_message_and_arguments_are_redacted():
    logger, out = _capture()
    logger.info("feedback from %s: %s", "Nguyễn Văn An", "gọi 0912345678")
    line = out.getvalue()
    assert "Nguyễn Văn An" not in line and "0912345678" not in line
    assert "[họ tên]" in line and "[SĐT]" in line


def test_exception_message_in_traceback_is_redacted():
    logger, out = _capture()
    try:
        raise ValueError("bad record: email an.nv@gmail.com, CCCD 025123456789")
    except ValueError:
        logger.exception("record rejected")
    text = out.getvalue()
    assert "Traceback" in text and "ValueError" in text
    assert "an.nv@gmail.com" not in text and "025123456789" not in text


def test_stack_info_is_redacted():
    logger, out = _capture()
    logger.info("where: 0987654321"[:5], stack_info=True)  # the source line is in the dump
    assert "Stack (most recent call last)" in out.getvalue()
    assert "0987654321" not in out.getvalue() and "[SĐT]" in out.getvalue()
