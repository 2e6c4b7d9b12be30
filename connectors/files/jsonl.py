"""A JSONL file as a source: one event per line; the cursor is the next line number.

Used by `ioc ingest` for operators importing exports and by tests. With a `ColumnMapping`
(`ioc import FILE.jsonl --mapping …`), each line is a vendor's record (a JSON object) that the
mapping turns into an event; a line that is not a JSON object, or that the mapping refuses, is
an error record naming the file and line.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.base import SourceBatch, SourceRecord, record_from_json_line
from ioc.events.contracts import Contract

if TYPE_CHECKING:
    from connectors.files.mapping import ColumnMapping


class JsonlFileSource:
    def __init__(self, path: Path, contract: Contract, batch_size: int = 5000,
                 mapping: ColumnMapping | None = None) -> None:
        self.path = Path(path)
        self.contract = mapping.contract if mapping is not None else contract
        self.batch_size = batch_size
        self.mapping = mapping
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:16]
        # Keyed by content: re-running the same file after a crash resumes where it stopped.
        self.connector_id = f"file:{self.path.name}:{digest}"
        if mapping is not None:  # a corrected mapping processes the file again
            self.connector_id = f"import:{self.path.name}:{digest}:{mapping.fingerprint}"

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
                records.append(self._record(line, headers))
        if line_no <= start:
            return None
        return SourceBatch(records=records, cursor=str(line_no))

    def _record(self, line: bytes, headers: dict[str, str]) -> SourceRecord:
        if self.mapping is None:
            return record_from_json_line(line, headers)
        from connectors.files.mapping import MappingError

        try:
            row = json.loads(line)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError
            return SourceRecord(raw=line, error="line is not valid JSON", headers=headers)
        if not isinstance(row, dict):
            return SourceRecord(raw=line, error="line is not a JSON object", headers=headers)
        try:
            return SourceRecord(raw=line, event=self.mapping.map_record(row), headers=headers)
        except MappingError as exc:
            return SourceRecord(raw=line, error=str(exc), headers=headers)
