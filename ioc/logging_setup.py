"""Logging with personal-data redaction on every message (Decree 13/2023).

The message, the arguments merged into it, the traceback of an exception and a stack dump all
go through `redact_text` (linear time, so a huge logged value cannot stall the logger).
"""

from __future__ import annotations

import logging

from ioc.events.redact import redact_text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except (TypeError, ValueError):  # bad %-args: log what was given, redacted
            msg = f"{record.msg} {record.args}"
        clean, found = redact_text(msg)
        if found or msg != record.msg:
            record.msg, record.args = clean, None
        # Exception messages quote values ("invalid phone 0912..."): render the traceback
        # here, redacted, so the formatter uses this text instead of its own.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)[0]
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)[0]
        return True


def setup_logging(level: str = "INFO", name: str = "ioc") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(f"%(asctime)s {name} %(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("kafka").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("kafka.net.selector").setLevel(logging.ERROR)  # noisy loop-timing notes
