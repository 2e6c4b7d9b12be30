"""Logging with personal-data redaction on every message (Decree 13/2023)."""

from __future__ import annotations

import logging

from ioc.events.redact import redact_text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean, found = redact_text(msg)
        if found:
            record.msg, record.args = clean, None
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
