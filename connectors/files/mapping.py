"""Column mapping: one-stop-shop (Bộ phận Một cửa) dossier exports and HTTP JSON records →
dossier events of contract v1 (`ioc.dossier.v1`); with ``contract:`` also hotline feedback
(`connectors.files.feedback`) and social-listening exports (`connectors.files.social`).

A mapping is a YAML file (see `connectors/files/mappings/one_stop_vi.yaml`):

- ``fields``: contract field → source column (CSV/XLSX header) or JSON key; dotted keys
  ("applicant.kind") reach into nested JSON objects; a list gives alternative column names
  (exports of different software versions). Headers match ignoring case, Unicode form
  (NFC/NFD) and repeated whitespace. The extra field ``status`` gives the event ``type``;
  ``occurred_at`` may name an "updated" column.
- ``date_formats``: ``strptime`` formats tried in order (default dd/mm/yyyy with or without
  time), read in Asia/Ho_Chi_Minh. Real datetime/date cells (XLSX), Excel serial numbers and
  ISO 8601 strings (with an offset, or naive = local time) are accepted as well.
- ``values``: per-field maps of source labels → contract values ("Trực tuyến" → online),
  matched case-, accent-form- and whitespace-insensitively; the contract value itself is
  accepted too. An unknown label is an error naming the column and the value. Boolean fields
  understand Có/Không, true/false, 1/0 without a map.
- ``constants``: values for fields the record does not give (province_code, source, …).
- ``header_row`` (default 1) and ``sheet`` (default: the first) for file imports;
  ``missing_ward_reason`` (default "không có mã xã trong tệp").

Date-only values get an office-day time: received and supplement times → 07:30 local (office
opening); due, completed and "updated" times → 17:00 local (end of the office day), so a
dossier completed on its due date counts as on time. A value at exactly local midnight is
read as date-only too: exports often print dates as "dd/mm/yyyy 00:00:00", and no office
receives or decides a dossier at midnight (for receipt it is equivalent anyway: the deadline
clock starts at the next opening).

Derived fields (`map_record`):

- ``type``: the mapped status; else completed (completion date present), supplement_received
  / supplement_requested (supplement dates present) or received. A completed dossier with a
  rating becomes ``rated``: a later export adding the rating must carry a higher ``seq``,
  otherwise the aggregator (highest seq wins) would ignore it.
- ``seq``: rank of the lifecycle stage (received 1 … completed/returned/cancelled 6, rated 7):
  a later export of the same dossier wins, a re-import of the same file changes nothing.
- ``event_id``: "{source}:{dossier_id}:{seq}"; ``occurred_at``: the latest timestamp of the row.
- ``due_at``: when empty, computed as ``add_working_days(received_at, legal_days)`` of the
  catalogue procedure (deadlines marked automatically); unknown procedure → error.
- procedure_name, sector, level, online_eligible from the catalogue when absent; agency_code
  and agency_name from the catalogue (department, or UBND of the commune) when absent.
- ``completed_at`` is kept only for completed/rated events.

Contract rules (enums, time order, …) are *not* checked here: the connector runtime validates
every event and dead-letters the failures at stage "validate".
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import yaml

from connectors.files.problems import require_filled
from ioc.events.contracts import (
    BOOL,
    DOSSIER_CONTRACT,
    FEEDBACK_CONTRACT,
    INT,
    SOCIAL_CONTRACT,
    TIME,
    Contract,
)
from ioc.reference.calendar import TZ, add_working_days
from ioc.reference.catalogue import Procedure, agency, agency_for, procedure

DEFAULT_DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")
DEFAULT_SOURCE = "one-stop-import"
DEFAULT_MISSING_WARD_REASON = "không có mã xã trong tệp"
CONTRACTS = (DOSSIER_CONTRACT, FEEDBACK_CONTRACT, SOCIAL_CONTRACT)  # what a mapping can produce

OPENING = time(7, 30)  # office opening: date-only start times
CLOSING = time(17, 0)  # end of the office day: date-only deadlines and results
START_OF_DAY_FIELDS = ("received_at", "supplement_requested_at", "supplement_received_at")

# Lifecycle rank → seq; 5 is left free for a future stage between supplement and result.
SEQ = {
    "received": 1, "in_progress": 2, "supplement_requested": 3, "supplement_received": 4,
    "completed": 6, "returned": 6, "cancelled": 6, "rated": 7,
}
COMPUTED = ("schema", "event_id", "type", "seq")  # never taken from a column
EXTRA_FIELDS = {"status": "str", "occurred_at": TIME}  # mappable, not (directly) contract fields
# Administrative codes are fixed-width with leading zeros that spreadsheets like to drop.
ZERO_PAD = {"ward_code": 5, "province_code": 2}

_BOOL_WORDS: dict[str, bool] = {
    "có": True, "co": True, "x": True, "true": True, "1": True, "yes": True, "đúng": True,
    "không": False, "khong": False, "false": False, "0": False, "no": False, "sai": False,
}
_MONEY = re.compile(r"^-?[\d.,\s]+(?:đ|vnđ|vnd|đồng)?$", re.IGNORECASE)


class MappingError(ValueError):
    """A record (or a mapping file) the mapping cannot turn into an event; the message names
    the source column."""


def norm(text: Any) -> str:
    """Comparison form of a label or header: NFC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


@dataclass
class ColumnMapping:
    fields: dict[str, list[str]]
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # keys already norm()-ed
    constants: dict[str, Any] = field(default_factory=dict)
    date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS
    header_row: int = 1
    sheet: str | None = None
    missing_ward_reason: str = DEFAULT_MISSING_WARD_REASON
    contract: Contract = DOSSIER_CONTRACT
    fingerprint: str = ""  # digest of the mapping content (part of file connector ids)

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, path: str | Path) -> ColumnMapping:
        path = Path(path)
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise MappingError(f"{path}: invalid YAML: {exc}") from None
        return cls.from_dict(spec or {}, origin=str(path))

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any], origin: str = "mapping") -> ColumnMapping:
        known = {"fields", "values", "constants", "date_formats", "header_row", "sheet",
                 "missing_ward_reason", "contract"}
        unknown = set(spec) - known
        if unknown:
            raise MappingError(f"{origin}: unknown keys {sorted(unknown)}; known: {sorted(known)}")
        # `contract`: the schema the rows become (default dossiers; feedback for hotline
        # exports, derived by connectors.files.feedback).
        contract = {c.schema: c for c in CONTRACTS}.get(spec.get("contract")
                                                          or DOSSIER_CONTRACT.schema)
        if contract is None:
            raise MappingError(f"{origin}: contract must be one of "
                               f"{[c.schema for c in CONTRACTS]}")
        kinds = _field_kinds(contract)
        fields: dict[str, list[str]] = {}
        for name, cols in (spec.get("fields") or {}).items():
            if name not in kinds:
                raise MappingError(f"{origin}: fields.{name}: not a mappable field of "
                                   f"{contract.schema}; known: {sorted(kinds)}")
            col_list = [cols] if isinstance(cols, str) else list(cols or [])
            if not col_list or not all(isinstance(c, str) and c.strip() for c in col_list):
                raise MappingError(f"{origin}: fields.{name}: give a column name or a list")
            fields[name] = col_list
        # A social export without post ids is keyed by its links (connectors.files.social).
        if contract.key_field not in fields and not (contract is SOCIAL_CONTRACT
                                                     and "url" in fields):
            raise MappingError(f"{origin}: fields.{contract.key_field} is required")
        values: dict[str, dict[str, Any]] = {}
        for name, table in (spec.get("values") or {}).items():
            if name not in kinds:
                raise MappingError(f"{origin}: values.{name}: not a mappable field")
            if not isinstance(table, Mapping):
                raise MappingError(f"{origin}: values.{name}: must be a mapping label → value")
            allowed = _allowed_targets(contract, name)
            for label, target in table.items():
                if allowed is not None and target not in allowed:
                    raise MappingError(f"{origin}: values.{name}.{label}: {target!r} is not "
                                       f"one of {[a for a in allowed if a is not None]}")
            # norm() turns labels YAML 1.1 read as booleans (yes/no/on) back into text.
            values[name] = {norm(label): target for label, target in table.items()}
        constants = dict(spec.get("constants") or {})
        for name in constants:
            if name not in kinds:
                raise MappingError(f"{origin}: constants.{name}: not a field")
        formats = spec.get("date_formats") or DEFAULT_DATE_FORMATS
        if isinstance(formats, str):
            formats = [formats]
        header_row = int(spec.get("header_row") or 1)
        if header_row < 1:
            raise MappingError(f"{origin}: header_row must be >= 1")
        digest = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str,
                                           ensure_ascii=False).encode()).hexdigest()[:8]
        return cls(fields=fields, values=values, constants=constants,
                   date_formats=tuple(formats), header_row=header_row,
                   sheet=spec.get("sheet"),
                   missing_ward_reason=spec.get("missing_ward_reason")
                   or DEFAULT_MISSING_WARD_REASON,
                   contract=contract, fingerprint=digest)

    @property
    def source(self) -> str:
        return str(self.constants.get("source") or DEFAULT_SOURCE)

    def missing_columns(self, headers: list[str]) -> dict[str, list[str]]:
        """Mapped fields none of whose columns appear in `headers` (field → its columns)."""
        have = {norm(h) for h in headers if h is not None}
        return {name: cols for name, cols in self.fields.items()
                if not any(norm(c) in have for c in cols)}

    # ------------------------------------------------------------------ mapping

    def map_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """One contract event from one row/record; MappingError names the failing columns."""
        index = {norm(k): k for k in record if isinstance(k, str)}
        kinds = _field_kinds(self.contract)
        vals: dict[str, Any] = {}
        cols: dict[str, str] = {}  # field → the column its value came from (for messages)
        problems: list[str] = []
        for name, col_list in self.fields.items():
            col, raw = self._lookup(record, index, col_list)
            cols[name] = col
            try:
                vals[name] = self._convert(name, kinds[name], raw)
            except ValueError as exc:
                problems.append(f"column {col!r} ({name}): {exc}")
        for name, value in self.constants.items():
            if vals.get(name) is None:
                try:
                    vals[name] = self._convert(name, kinds[name], value)
                except ValueError as exc:
                    problems.append(f"constant {name}: {exc}")

        def where(name: str) -> str:
            if name in cols:
                return f"column {cols[name]!r} ({name})"
            return f"field {name} (no column mapped)"

        if self.contract is FEEDBACK_CONTRACT:
            from connectors.files.feedback import feedback_event  # the feedback half

            try:
                return feedback_event(vals, problems, where, self)
            except MappingError:
                raise
            except ValueError as exc:
                raise MappingError(str(exc)) from None
        if self.contract is SOCIAL_CONTRACT:
            from connectors.files.social import social_event  # the social half

            try:
                return social_event(vals, problems, where, self)
            except ValueError as exc:
                raise MappingError(str(exc)) from None
        require_filled(vals, problems, where, ("dossier_id", "procedure_code", "received_at"))
        if problems:
            raise MappingError("; ".join(problems))

        proc = _catalogue(vals["procedure_code"])
        type_ = vals.pop("status", None) or _derive_type(vals)
        if type_ not in SEQ:  # a status column without a value map gave a raw label
            raise MappingError(f"{where('status')}: unknown value {type_!r}; expected one of "
                               f"{list(SEQ)} or a values.status map")
        if type_ == "completed" and vals.get("rating") is not None:
            type_ = "rated"
        if type_ in ("completed", "rated") and vals.get("completed_at") is None:
            raise MappingError(f"{where('completed_at')}: empty but status is {type_!r}")

        if vals.get("due_at") is None:
            if proc is None:
                raise MappingError(
                    f"{where('due_at')}: empty and procedure {vals['procedure_code']!r} "
                    f"({where('procedure_code')}) is not in the catalogue, so its legal "
                    "processing time is unknown")
            vals["due_at"] = add_working_days(vals["received_at"], proc.legal_days)
        if proc is not None:
            for name, value in (("procedure_name", proc.name), ("sector", proc.sector),
                                ("level", proc.level),
                                ("online_eligible", proc.online_eligible)):
                if vals.get(name) is None:
                    vals[name] = value
        self._fill_agency(vals, proc)

        times = [v for k, v in vals.items() if isinstance(v, datetime) and k != "due_at"]
        occurred = max(times)
        vals.pop("occurred_at", None)
        if type_ not in ("completed", "rated"):
            vals["completed_at"] = None  # e.g. the return date of a returned dossier
        if type_ in ("returned", "cancelled"):
            vals["closed_at"], vals["status"] = occurred, type_  # the state-carrying end
        if vals.get("ward_code") is None and not vals.get("ward_code_reason"):
            vals["ward_code_reason"] = self.missing_ward_reason

        seq = SEQ[type_]
        source = str(vals.pop("source", None) or self.source)
        event: dict[str, Any] = {
            "schema": self.contract.schema,
            "event_id": f"{source}:{vals['dossier_id']}:{seq}",
            "type": type_,
            "occurred_at": _iso(occurred),
            "source": source,
            "seq": seq,
        }
        for name in self.contract.fields:
            if name not in event:
                v = vals.get(name)
                event[name] = _iso(v) if isinstance(v, datetime) else v
        return event

    def _lookup(self, record: Mapping[str, Any], index: dict[str, str],
                col_list: list[str]) -> tuple[str, Any]:
        """(column, value) of the first listed column with a non-empty value."""
        for col in col_list:
            value = _get(record, index, col)
            if not _empty(value):
                return col, value
        return col_list[0], None

    def _convert(self, name: str, kind: str, raw: Any) -> Any:
        if _empty(raw):
            return None
        if kind == TIME:
            return self._parse_time(name, raw)
        table = self.values.get(name)
        if kind == BOOL:
            return _lookup_label({**_BOOL_WORDS, **(table or {})}, raw, name)
        text = _cell_text(raw)
        if table is not None:
            value = _lookup_label(table, text, name)
            if value is None or kind == INT:
                return value
            return str(value)
        if kind == INT:
            return _parse_int(raw)
        if name in ZERO_PAD and text.isdigit():
            return text.zfill(ZERO_PAD[name])
        return text

    def _parse_time(self, name: str, raw: Any) -> datetime:
        """An aware local datetime; date-only values get the office-day time of the field."""
        default = OPENING if name in START_OF_DAY_FIELDS else CLOSING
        dt: datetime | None = None
        if isinstance(raw, datetime):
            dt = raw
        elif isinstance(raw, date):
            dt = datetime.combine(raw, time())
        elif isinstance(raw, int | float) and not isinstance(raw, bool):
            from openpyxl.utils.datetime import from_excel  # an Excel serial date

            try:
                dt = from_excel(raw)
            except (ValueError, OverflowError, TypeError):
                dt = None
        else:
            text = _cell_text(raw)
            try:
                dt = datetime.fromisoformat(text)
            except ValueError:
                for fmt in self.date_formats:
                    try:
                        dt = datetime.strptime(text, fmt)
                        break
                    except ValueError:
                        continue
        if not isinstance(dt, datetime):
            shown = ", ".join(_human_format(f) for f in self.date_formats)
            raise ValueError(f"cannot read date {_cell_text(raw)!r} (expected {shown} "
                             "or ISO 8601)")
        local = dt.replace(tzinfo=TZ) if dt.tzinfo is None else dt.astimezone(TZ)
        if local.time() == time():  # midnight = a date without a time (module docstring)
            local = datetime.combine(local.date(), default, tzinfo=TZ)
        return local

    def _fill_agency(self, vals: dict[str, Any], proc: Procedure | None) -> None:
        province_code = vals.get("province_code")
        if province_code is None:
            return
        if vals.get("agency_code") is None and proc is not None:
            try:
                found = agency_for(proc, province_code, vals.get("ward_code"))
            except (ValueError, AssertionError):
                return  # left empty: the runtime's validation names agency_code
            vals["agency_code"] = found.code
        if vals.get("agency_name") is None and vals.get("agency_code") is not None:
            # An agency outside the catalogue: no name rather than a wrong one.
            with contextlib.suppress(ValueError):
                vals["agency_name"] = agency(province_code, vals["agency_code"]).name


def load_mapping(path: str | Path) -> ColumnMapping:
    return ColumnMapping.load(path)


DEFAULT_MAPPING_PATH = Path(__file__).resolve().parent / "mappings" / "one_stop_vi.yaml"


# ---------------------------------------------------------------------- helpers

def _field_kinds(contract: Contract) -> dict[str, str]:
    kinds = {k: v for k, v in contract.fields.items() if k not in COMPUTED}
    if contract is SOCIAL_CONTRACT:
        from connectors.files.social import SOCIAL_EXTRA_FIELDS  # engagement counts, author

        kinds = {**kinds, **SOCIAL_EXTRA_FIELDS}
    return {**kinds, **EXTRA_FIELDS}


def _allowed_targets(contract: Contract, name: str) -> tuple[Any, ...] | None:
    if name == "status":
        return contract.types
    if contract.fields.get(name) == BOOL:
        return (True, False, None)
    if name in contract.enums:
        return (*contract.enums[name], None)
    return None


def _catalogue(code: str) -> Procedure | None:
    try:
        return procedure(code)
    except ValueError:
        return None


def _derive_type(vals: dict[str, Any]) -> str:
    if vals.get("completed_at") is not None:
        return "completed"
    if vals.get("supplement_received_at") is not None:
        return "supplement_received"
    if vals.get("supplement_requested_at") is not None:
        return "supplement_requested"
    return "received"


def _get(record: Mapping[str, Any], index: dict[str, str], key: str) -> Any:
    """record[key] by exact or normalised header, else by dotted path into nested objects."""
    if key in record:
        return record[key]
    real = index.get(norm(key))
    if real is not None:
        return record[real]
    if "." in key:
        node: Any = record
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node
    return None


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell_text(value: Any) -> str:
    """A cell as text: integral floats lose their ".0" (XLSX stores codes as numbers)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _lookup_label(table: dict[str, Any], raw: Any, name: str) -> Any:
    key = norm(_cell_text(raw) if not isinstance(raw, bool) else raw)
    if key in table:
        return table[key]
    for target in table.values():  # the contract value itself ("online") is accepted too
        if target is not None and norm(target) == key:
            return target
    labels = sorted({str(k) for k in table if k not in _BOOL_WORDS} or set(table))
    raise ValueError(f"unknown value {_cell_text(raw)!r}; expected one of {labels}")


def _parse_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"not an amount: {raw!r}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    text = _cell_text(raw)
    if not _MONEY.match(text):
        raise ValueError(f"not an integer amount: {text!r}")
    # VND has no minor unit, so "." and "," can only be thousands separators.
    sign = -1 if text.startswith("-") else 1
    digits = re.sub(r"\D", "", text)
    if not digits:
        raise ValueError(f"not an integer amount: {text!r}")
    return sign * int(digits)


def _human_format(fmt: str) -> str:
    """'%d/%m/%Y %H:%M' → 'dd/mm/yyyy HH:MM', as operators know it from spreadsheets."""
    for code, text in (("%d", "dd"), ("%m", "mm"), ("%Y", "yyyy"), ("%y", "yy"),
                       ("%H", "HH"), ("%M", "MM"), ("%S", "SS")):
        fmt = fmt.replace(code, text)
    return fmt


def _iso(dt: datetime) -> str:
    return dt.astimezone(TZ).isoformat()


__all__ = ["ColumnMapping", "MappingError", "load_mapping", "DEFAULT_MAPPING_PATH", "SEQ",
           "DEFAULT_DATE_FORMATS", "norm"]
