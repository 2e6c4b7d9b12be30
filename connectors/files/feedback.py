"""Hotline 1022 / one-stop feedback exports → `ioc.feedback.v1` events: the feedback half of
`ColumnMapping.map_record` (a mapping with ``contract: ioc.feedback.v1``; see
`connectors/files/mappings/hotline_vi.yaml`).

Derived fields:

- ``type``: the mapped status (``Trạng thái``); else closed (a close date), responded (a
  reply date), assigned (a handling agency) or received. A closed report with a rating is
  ``rated``.
- ``seq``: rank of the stage (received 1, assigned 2, responded 3, closed 4, rated 5): a later
  export of the same report wins, a re-import of the same file changes nothing.
- ``event_id``: "{source}:{feedback_id}:{seq}"; ``occurred_at``: the latest time of the row.
- ``due_at``: the export's deadline (``Hạn xử lý``), which wins: the agency is held to it;
  when empty, the SLA rule in force at the receipt (`ioc.feedback.sla.due_at`, working days).
- ``agency_code``: the column's value as a catalogue code ("SXD-25", "UBND-08494") or an
  agency name of the province ("Sở Xây dựng", "Sở Xây dựng tỉnh Phú Thọ", "UBND xã Lâm Thao");
  a ``values.agency_code`` map wins. An unknown agency is an error naming the column.
- ``ward_code``: the column when mapped and filled; else from the coordinates or the address
  (`ioc.reference.geo.resolve`), null with the reason when neither gives a commune.
- ``responded_at`` is filled from the close date for a report closed without a reply date.

Errors name the column, never quote the report's text, address or coordinates.
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ioc.feedback.sla import due_at as sla_due_at
from ioc.reference.calendar import TZ
from ioc.reference.catalogue import agencies, agency
from ioc.reference.geo import resolve

SEQ = {"received": 1, "assigned": 2, "responded": 3, "closed": 4, "rated": 5}
DEFAULT_FEEDBACK_SOURCE = "hotline-import"


def _iso(dt: datetime) -> str:
    return dt.astimezone(TZ).isoformat()


def _norm(text: str) -> str:
    # Same comparison form as connectors.files.mapping.norm (not imported: mapping imports us).
    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


def agency_code_of(label: str, province_code: str) -> str | None:
    """A catalogue agency of the province named by code or by name (with or without the
    province's name appended); None when none matches."""
    with contextlib.suppress(ValueError):
        return agency(province_code, label.strip()).code
    key = _norm(label)
    for a in agencies(province_code):
        full = _norm(a.name)
        if key == full or (key and full.startswith(key + " ")
                           and a.level == "province" and full[len(key):].strip()
                           .startswith(("tỉnh", "thành phố"))):
            return a.code
    return None


def _coordinate(value: Any, name: str, col: str) -> float:
    try:
        return float(str(value).strip().replace(",", "."))
    except ValueError:
        raise ValueError(f"{col}: not a number") from None


def feedback_event(vals: dict[str, Any], problems: list[str], where: Callable[[str], str],
                   mapping: Any) -> dict[str, Any]:
    """The event of one row (`mapping` is the calling ColumnMapping); ValueError naming the
    columns, which map_record turns into its MappingError."""
    for name in ("feedback_id", "received_at", "category"):
        if vals.get(name) is None and not any(p.startswith(where(name)) for p in problems):
            problems.append(f"{where(name)}: empty")
    province_code = vals.get("province_code")
    if province_code is None:
        problems.append(f"{where('province_code')}: empty")
    coords: dict[str, float | None] = {"lat": None, "lon": None}
    for name in ("lat", "lon"):
        if vals.get(name) is not None:
            try:
                coords[name] = _coordinate(vals[name], name, where(name))
            except ValueError as exc:
                problems.append(str(exc))
    label = vals.get("agency_code")
    if label is not None and province_code is not None and "agency_code" not in mapping.values:
        code = agency_code_of(str(label), str(province_code))
        if code is None:
            problems.append(f"{where('agency_code')}: unknown agency {label!r} in province "
                            f"{province_code}")
        vals["agency_code"] = code
    if problems:
        raise ValueError("; ".join(problems))

    type_ = vals.pop("status", None)
    if type_ is None:
        type_ = ("closed" if vals.get("closed_at") is not None
                 else "responded" if vals.get("responded_at") is not None
                 else "assigned" if vals.get("agency_code") is not None else "received")
    if type_ not in SEQ:
        raise ValueError(f"{where('status')}: unknown value; expected one of {list(SEQ)} or "
                           "a values.status map")
    if type_ == "closed" and vals.get("rating") is not None:
        type_ = "rated"
    if type_ in ("closed", "rated") and vals.get("closed_at") is None:
        raise ValueError(f"{where('closed_at')}: empty but the report is closed")
    if type_ in ("closed", "rated") and vals.get("responded_at") is None:
        vals["responded_at"] = vals["closed_at"]
    if type_ not in ("closed", "rated"):
        vals["closed_at"] = None
    if vals.get("due_at") is None:
        vals["due_at"] = sla_due_at(str(vals["category"]), vals.get("agency_code"),
                                    vals["received_at"])
    vals["lat"], vals["lon"] = coords["lat"], coords["lon"]
    if vals["lat"] is None or vals["lon"] is None:
        vals["lat"] = vals["lon"] = None
        vals.setdefault("geo_reason", None)
        vals["geo_reason"] = vals["geo_reason"] or "không có tọa độ trong tệp"
    if vals.get("ward_code") is None:
        found = resolve(str(province_code), vals["lat"], vals["lon"], vals.get("address"))
        vals["ward_code"] = found.ward_code
        vals["ward_code_reason"] = found.reason
    if vals.get("ward_code") is None and not vals.get("ward_code_reason"):
        vals["ward_code_reason"] = mapping.missing_ward_reason

    times = [v for k, v in vals.items() if isinstance(v, datetime) and k != "due_at"]
    vals.pop("occurred_at", None)
    occurred = max(times)
    seq = SEQ[type_]
    source = str(vals.pop("source", None) or mapping.constants.get("source")
                 or DEFAULT_FEEDBACK_SOURCE)
    event: dict[str, Any] = {
        "schema": mapping.contract.schema,
        "event_id": f"{source}:{vals['feedback_id']}:{seq}",
        "type": type_,
        "occurred_at": _iso(occurred),
        "source": source,
        "seq": seq,
        "status": "closed" if type_ == "rated" else type_,
    }
    for name in mapping.contract.fields:
        if name not in event:
            v = vals.get(name)
            event[name] = _iso(v) if isinstance(v, datetime) else v
    return event


__all__ = ["DEFAULT_FEEDBACK_SOURCE", "SEQ", "agency_code_of", "feedback_event"]
