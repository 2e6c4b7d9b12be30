"""Event contracts v1 (DESIGN.md §3): the one source of truth for connectors, aggregator, tests.

Events are state-carrying JSON objects. `validate_event` returns a list of human-readable
problems (empty = valid); unknown extra fields are allowed for forward compatibility.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

DOSSIER = "dossier"
FEEDBACK = "feedback"
SOCIAL = "social"
STREAMS = (DOSSIER, FEEDBACK, SOCIAL)

TOPIC_DLQ = "ioc.dlq"
TOPIC_ALERTS = "ioc.alerts"

STR, INT, FLOAT, BOOL, TIME, OBJ = "str", "int", "float", "bool", "time", "obj"


@dataclass(frozen=True)
class Contract:
    stream: str
    schema: str
    topic: str
    key_field: str
    types: tuple[str, ...]
    # field -> kind; `required` must be present and non-null
    fields: dict[str, str]
    required: tuple[str, ...]
    enums: dict[str, tuple[str | None, ...]]


COMMON_FIELDS: dict[str, str] = {
    "schema": STR,
    "event_id": STR,
    "type": STR,
    "occurred_at": TIME,
    "source": STR,
    "seq": INT,
    "province_code": STR,
    "ward_code": STR,
    "ward_code_reason": STR,
}
COMMON_REQUIRED = ("schema", "event_id", "type", "occurred_at", "source", "seq", "province_code")

DOSSIER_CONTRACT = Contract(
    stream=DOSSIER,
    schema="ioc.dossier.v1",
    topic="ioc.dossier.v1",
    key_field="dossier_id",
    types=(
        "received", "in_progress", "supplement_requested", "supplement_received",
        "completed", "returned", "cancelled", "rated",
    ),
    fields={
        **COMMON_FIELDS,
        "dossier_id": STR,
        "procedure_code": STR,
        "procedure_name": STR,
        "sector": STR,
        "agency_code": STR,
        "agency_name": STR,
        "level": STR,
        "channel": STR,
        "online_mode": STR,
        "received_at": TIME,
        "due_at": TIME,
        "completed_at": TIME,
        "digitized": BOOL,
        "e_result": BOOL,
        "fee_vnd": INT,
        "paid_online": BOOL,
        "rating": STR,
        "applicant_kind": STR,
        # The deadline clock pauses while the applicant supplements (one request per dossier,
        # Decree 61/2018 art. 9): `due_at` stays the deadline without the pause and the
        # aggregator moves it by the paused working time once the supplement is received.
        "supplement_requested_at": TIME,
        "supplement_received_at": TIME,
        # Whether the procedure is offered as an online public service (null = unknown,
        # counted as eligible): the denominator of the online rate among eligible dossiers.
        "online_eligible": BOOL,
        # State-carrying end of the lifecycle: a later `rated` event must still say how and
        # when the dossier ended (completed_at for results; closed_at for returned/cancelled).
        "status": STR,
        "closed_at": TIME,
    },
    required=(*COMMON_REQUIRED, "dossier_id", "procedure_code", "agency_code", "level",
              "channel", "received_at", "due_at"),
    enums={
        "level": ("province", "commune"),
        "channel": ("online", "in_person", "postal"),
        "online_mode": ("full", "partial", None),
        "rating": ("satisfied", "neutral", "unsatisfied", None),
        "applicant_kind": ("citizen", "business", None),
        "status": ("received", "in_progress", "supplement", "completed", "returned",
                   "cancelled", None),
    },
)

FEEDBACK_CONTRACT = Contract(
    stream=FEEDBACK,
    schema="ioc.feedback.v1",
    topic="ioc.feedback.v1",
    key_field="feedback_id",
    types=("received", "assigned", "responded", "closed", "rated"),
    fields={
        **COMMON_FIELDS,
        "feedback_id": STR,
        "channel": STR,
        "category": STR,
        "text": STR,
        "lat": FLOAT,
        "lon": FLOAT,
        "address": STR,
        "agency_code": STR,
        "received_at": TIME,
        "due_at": TIME,
        "responded_at": TIME,
        "closed_at": TIME,
        "status": STR,
        "rating": STR,
    },
    required=(*COMMON_REQUIRED, "feedback_id", "channel", "category", "received_at", "due_at"),
    enums={
        "channel": ("hotline_1022", "web", "zalo", "facebook", "app", "email", "open311"),
        "status": ("received", "assigned", "responded", "closed", None),
        "rating": ("satisfied", "neutral", "unsatisfied", None),
    },
)

SOCIAL_CONTRACT = Contract(
    stream=SOCIAL,
    schema="ioc.social.v1",
    topic="ioc.social.v1",
    key_field="post_id",
    types=("published",),
    fields={
        **COMMON_FIELDS,
        "post_id": STR,
        "platform": STR,
        "url": STR,
        "title": STR,
        "text": STR,
        "published_at": TIME,
        "engagement": OBJ,
        "author_ref": STR,
    },
    required=(*COMMON_REQUIRED, "post_id", "platform", "published_at"),
    enums={"platform": ("news", "facebook", "forum", "youtube", "tiktok", "other")},
)

CONTRACTS: dict[str, Contract] = {
    DOSSIER: DOSSIER_CONTRACT,
    FEEDBACK: FEEDBACK_CONTRACT,
    SOCIAL: SOCIAL_CONTRACT,
}
BY_TOPIC: dict[str, Contract] = {c.topic: c for c in CONTRACTS.values()}


def contract_for_topic(topic: str) -> Contract:
    try:
        return BY_TOPIC[topic]
    except KeyError:
        raise ValueError(f"unknown topic {topic!r}; known: {sorted(BY_TOPIC)}") from None


def parse_time(value: str) -> datetime:
    """ISO 8601 with an explicit offset; naive times are refused (ambiguous zone)."""
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        raise ValueError("time has no UTC offset")
    return dt


def _check_kind(kind: str, value: Any) -> str | None:
    if kind == STR:
        return None if isinstance(value, str) else "must be a string"
    if kind == INT:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "must be an integer"
    if kind == FLOAT:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "must be a number"
    if kind == BOOL:
        return None if isinstance(value, bool) else "must be true or false"
    if kind == OBJ:
        return None if isinstance(value, dict) else "must be an object"
    if kind == TIME:
        if not isinstance(value, str):
            return "must be an ISO 8601 string"
        try:
            parse_time(value)
        except ValueError as exc:
            return f"is not an ISO 8601 time with offset ({exc})"
        return None
    raise AssertionError(kind)


def validate_event(contract: Contract, event: Any) -> list[str]:
    """Return the problems of one decoded event; [] means valid."""
    if not isinstance(event, dict):
        return ["event must be a JSON object"]
    problems: list[str] = []
    for name in contract.required:
        if event.get(name) is None:
            problems.append(f"{name}: required")
    for name, kind in contract.fields.items():
        value = event.get(name)
        if value is None:
            continue
        err = _check_kind(kind, value)
        if err:
            problems.append(f"{name}: {err}")
    if event.get("schema") not in (None, contract.schema):
        problems.append(f"schema: expected {contract.schema!r}, got {event.get('schema')!r}")
    if event.get("type") is not None and event.get("type") not in contract.types:
        problems.append(f"type: {event.get('type')!r} not in {list(contract.types)}")
    for name, allowed in contract.enums.items():
        value = event.get(name)
        if value is not None and value not in allowed:
            problems.append(f"{name}: {value!r} not in {[a for a in allowed if a]}")
    seq = event.get("seq")
    if isinstance(seq, int) and not isinstance(seq, bool) and seq < 1:
        problems.append("seq: must be >= 1")
    if event.get("ward_code") is None and not event.get("ward_code_reason") and not problems:
        problems.append("ward_code: null without ward_code_reason")
    if not problems:
        problems += _time_order_problems(contract, event)
    return problems


# (earlier, later) pairs that must not be reversed; equal instants are allowed.
TIME_ORDER: dict[str, tuple[tuple[str, str], ...]] = {
    DOSSIER: (("received_at", "completed_at"), ("received_at", "due_at"),
              ("received_at", "closed_at"),
              ("received_at", "supplement_requested_at"),
              ("supplement_requested_at", "supplement_received_at")),
    FEEDBACK: (("received_at", "responded_at"), ("received_at", "closed_at")),
    SOCIAL: (),
}


def _time_order_problems(contract: Contract, event: dict[str, Any]) -> list[str]:
    out = []
    for a, b in TIME_ORDER[contract.stream]:
        if (event.get(a) is not None and event.get(b) is not None
                and parse_time(event[b]) < parse_time(event[a])):
            out.append(f"{b}: {event[b]} is before {a} {event[a]}")
    return out


_POLARS_KIND = {
    STR: pl.String,
    INT: pl.Int64,
    FLOAT: pl.Float64,
    BOOL: pl.Boolean,
    TIME: pl.String,  # parsed after decode: offsets vary per source
}


# Only the counts we aggregate; other keys of the object are kept on the topic, not decoded.
ENGAGEMENT = pl.Struct({"likes": pl.Int64, "shares": pl.Int64, "comments": pl.Int64})


def polars_schema(contract: Contract) -> dict[str, pl.DataType | type[pl.DataType]]:
    """Explicit schema for the aggregator's bulk NDJSON decode (objects are skipped)."""
    schema: dict[str, pl.DataType | type[pl.DataType]] = {}
    for name, kind in contract.fields.items():
        if kind == OBJ:
            schema[name] = ENGAGEMENT if name == "engagement" else pl.String
        else:
            schema[name] = _POLARS_KIND[kind]
    return schema


def time_columns(contract: Contract) -> list[str]:
    return [name for name, kind in contract.fields.items() if kind == TIME]
