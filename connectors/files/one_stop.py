"""One-stop-shop dossier export (CSV or XLSX) as a source, mapped by a `ColumnMapping`.

One SourceRecord per non-empty data row, with headers ``file`` and ``row`` (the row number the
user sees in the spreadsheet: header on row 1 → first data row 2), so a dead letter points at
the exact cell row. ``raw`` is the original row as UTF-8 JSON (header → cell text). The cursor
is the last row handed over; the connector id holds digests of the file content and of the
mapping, so re-running the same file after a crash resumes, re-running it when done is a
no-op, and re-running it with a corrected mapping processes it again (events already on the
broker carry the same event_id/seq, so downstream counts do not change).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import Generator
from contextlib import closing
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from connectors.base import SourceBatch, SourceRecord
from connectors.files.mapping import ColumnMapping, MappingError

log = logging.getLogger(__name__)

# Without these the mapper cannot build any event: refuse the file instead of dead-lettering
# every row.
ESSENTIAL = ("dossier_id", "procedure_code", "received_at", "feedback_id",  # any contract
             "published_at")
DELIMITERS = (",", ";", "\t")

Row = tuple[int, list[Any]]  # (row number as the user sees it, cells)


class OneStopFileSource:
    def __init__(self, path: str | Path, mapping: ColumnMapping, batch_size: int = 2000) -> None:
        self.path = Path(path)
        self.mapping = mapping
        self.contract = mapping.contract
        self.batch_size = batch_size
        suffix = self.path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            self.kind = "xlsx"
        elif suffix in (".csv", ".txt", ".tsv"):
            self.kind = "csv"
        else:
            raise ValueError(f"{self.path.name}: unsupported file type {suffix!r} "
                             "(expected .csv or .xlsx)")
        self._content: str | None = None
        self._delim = ","
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:16]
        self.connector_id = f"import:{self.path.name}:{digest}:{mapping.fingerprint}"
        self.headers = self._read_headers()
        missing = mapping.missing_columns(self.headers)
        essential = {f: c for f, c in missing.items() if f in ESSENTIAL}
        if essential:
            raise MappingError(
                f"{self.path.name}: header row {mapping.header_row} has no column "
                + ", ".join(f"{' / '.join(map(repr, c))} ({f})" for f, c in essential.items())
                + f"; found {self.headers}")
        if missing:
            log.info("%s: mapped columns absent from the file: %s", self.path.name,
                     sorted(c[0] for c in missing.values()))

    # ------------------------------------------------------------------ reading

    def _read_headers(self) -> list[str]:
        with closing(self._rows(after=0, with_header=True)) as rows:  # closes the workbook
            for number, cells in rows:
                if number == self.mapping.header_row:
                    return [_text(c) for c in cells]
                if number > self.mapping.header_row:
                    break
        raise MappingError(f"{self.path.name}: no header row {self.mapping.header_row}")

    def _rows(self, after: int, with_header: bool = False) -> Generator[Row, None, None]:
        """(row number, cells) of the rows after `after` (header and rows above it excluded
        unless `with_header`)."""
        first = 1 if with_header else self.mapping.header_row + 1
        start = max(first, after + 1)
        yield from (self._xlsx_rows(start) if self.kind == "xlsx" else self._csv_rows(start))

    def _csv_rows(self, start: int) -> Generator[Row, None, None]:
        if self._content is None:  # decoded once: poll() re-reads per batch
            self._content = _decode(self.path.read_bytes(), self.path.name)
            self._delim = _sniff_delimiter(self._content, self.mapping.header_row)
        reader = csv.reader(io.StringIO(self._content, newline=""), delimiter=self._delim)
        # A CSV record is one spreadsheet row even when a quoted cell spans lines.
        for number, cells in enumerate(reader, start=1):
            if number >= start:
                yield number, cells

    def _xlsx_rows(self, start: int) -> Generator[Row, None, None]:
        from openpyxl import load_workbook

        wb = load_workbook(self.path, read_only=True, data_only=True)
        try:
            if self.mapping.sheet:
                if self.mapping.sheet not in wb.sheetnames:
                    raise MappingError(f"{self.path.name}: no sheet {self.mapping.sheet!r}; "
                                       f"sheets: {wb.sheetnames}")
                ws = wb[self.mapping.sheet]
            else:
                ws = wb.worksheets[0]
            # read_only iter_rows yields empty tuples for gaps, so numbering stays exact.
            for number, cells in enumerate(ws.iter_rows(min_row=start, values_only=True),
                                           start=start):
                yield number, list(cells)
        finally:
            wb.close()

    # ------------------------------------------------------------------ polling

    def poll(self, cursor: str | None) -> SourceBatch | None:
        done = int(cursor or 0)
        records: list[SourceRecord] = []
        last = done
        with closing(self._rows(after=done)) as rows:  # closes the workbook on a full batch
            for number, cells in rows:
                if len(records) >= self.batch_size:
                    break
                last = number
                if all(_text(c) == "" for c in cells):
                    continue  # blank row (export spacing, trailing lines)
                records.append(self._record(number, cells))
        if last <= done:
            return None
        return SourceBatch(records=records, cursor=str(last))

    def _record(self, number: int, cells: list[Any]) -> SourceRecord:
        row: dict[str, Any] = {}
        for header, cell in zip(self.headers, cells, strict=False):
            if header and header not in row:  # first of duplicate headers wins
                row[header] = cell
        raw = json.dumps({k: _text(v) for k, v in row.items()}, ensure_ascii=False).encode()
        headers = {"file": self.path.name, "row": str(number)}
        try:
            event = self.mapping.map_record(row)
        except MappingError as exc:
            return SourceRecord(raw=raw, error=str(exc), headers=headers)
        return SourceRecord(raw=raw, event=event, headers=headers)


def _sniff_delimiter(text: str, header_row: int) -> str:
    """The delimiter that splits the header row into the most cells (`,` `;` or tab)."""
    sample = text.splitlines()[header_row - 1:header_row]
    best, best_n = ",", 0
    for d in DELIMITERS:
        rows = list(csv.reader(sample, delimiter=d))
        n = len(rows[0]) if rows else 0
        if n > best_n:
            best, best_n = d, n
    return best


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")  # Excel's "Unicode text" export
    try:
        return data.decode("utf-8-sig")  # with or without BOM
    except UnicodeDecodeError as exc:
        raise MappingError(f"{name}: not UTF-8 text (byte {exc.start}); save the export as "
                           "CSV UTF-8") from None


def _text(value: Any) -> str:
    """A cell as the user reads it (for the header row and the dead-letter copy)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
