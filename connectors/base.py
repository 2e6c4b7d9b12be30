"""What a source hands the connector runtime: raw bytes plus the mapped event (or an error)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from ioc.events.contracts import Contract
from ioc.events.decode import loads_event


@dataclass
class SourceRecord:
    raw: bytes  # the original bytes as the source gave them (kept for the dead-letter topic)
    event: dict[str, Any] | None = None  # canonical event after mapping; None if mapping failed
    error: str | None = None  # why mapping failed
    headers: dict[str, str] = field(default_factory=dict)  # e.g. file and row number


@dataclass
class SourceBatch:
    records: list[SourceRecord]
    cursor: str  # the checkpoint once every record of this batch is on the broker


class Source(Protocol):
    connector_id: str
    contract: Contract

    def poll(self, cursor: str | None) -> SourceBatch | None:
        """Next batch after `cursor`; None when nothing new is available yet."""
        ...


def to_bytes(text: str) -> bytes:
    """UTF-8 that never raises: a lone surrogate (from a JSON escape, a file name) is kept as
    its backslash escape instead of failing the encode."""
    return text.encode("utf-8", "backslashreplace")


def record_from_event(event: dict[str, Any], headers: dict[str, str] | None = None) -> SourceRecord:
    try:
        raw = to_bytes(json.dumps(event, ensure_ascii=False, separators=(",", ":")))
    except (ValueError, TypeError, RecursionError) as exc:  # not serialisable as JSON
        return SourceRecord(raw=to_bytes(repr(event)[:100_000]), headers=headers or {},
                            error=f"event not serialisable as JSON: {type(exc).__name__}")
    return SourceRecord(raw=raw, event=event, headers=headers or {})


def record_from_json_line(line: bytes, headers: dict[str, str] | None = None) -> SourceRecord:
    """Whatever the bytes: an event, or an error naming what is wrong (never the content)."""
    try:
        event = loads_event(line)
    except ValueError as exc:
        return SourceRecord(raw=line, error=str(exc), headers=headers or {})
    return SourceRecord(raw=line, event=event, headers=headers or {})
