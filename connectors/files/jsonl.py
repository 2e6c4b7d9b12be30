"""A JSONL file as a source: one event per line; the cursor is the next line number.

Used by `ioc ingest` for operators importing exports and by tests.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from connectors.base import SourceBatch, SourceRecord, record_from_json_line
from ioc.events.contracts import Contract


class JsonlFileSource:
    def __init__(self, path: Path, contract: Contract, batch_size: int = 5000) -> None:
        self.path = Path(path)
        self.contract = contract
        self.batch_size = batch_size
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:16]
        # Keyed by content: re-running the same file after a crash resumes where it stopped.
        self.connector_id = f"file:{self.path.name}:{digest}"

    def poll(self, cursor: str | None) -> SourceBatch | None:
        start = int(cursor or 0)
        records: list[SourceRecord] = []
        line_no = 0
        with self.path.open("rb") as fh:
            for line_no, line in enumerate(fh, start=1):
                if line_no <= start:
                    continue
                if len(records) >= self.batch_size:
                    line_no -= 1
                    break
                line = line.rstrip(b"\r\n")
                if not line.strip():
                    continue
                headers = {"file": self.path.name, "row": str(line_no)}
                records.append(record_from_json_line(line, headers))
        if line_no <= start:
            return None
        return SourceBatch(records=records, cursor=str(line_no))
