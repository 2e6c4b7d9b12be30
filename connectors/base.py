"""What a source hands the connector runtime: raw bytes plus the mapped event (or an error)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from ioc.events.contracts import Contract


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


def record_from_event(event: dict[str, Any], headers: dict[str, str] | None = None) -> SourceRecord:
    raw = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    return SourceRecord(raw=raw, event=event, headers=headers or {})


def record_from_json_line(line: bytes, headers: dict[str, str] | None = None) -> SourceRecord:
    try:
        event = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return SourceRecord(raw=line, error=f"invalid JSON: {exc}", headers=headers or {})
    return SourceRecord(raw=line, event=event, headers=headers or {})
