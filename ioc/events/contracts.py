"""Event contracts v1 (DESIGN.md §3): the one source of truth for connectors, aggregator, tests.

Events are state-carrying JSON objects. `validate_event` returns a list of human-readable
problems (empty = valid); unknown extra fields are allowed for forward compatibility.

The contract also says what is *plausible* (docs/events.md, "Limits"): times with a UTC offset
between 2000-01-01 and 2100-12-31, integers within int64 (`seq` ≥ 1), finite numbers,
coordinates inside Vietnam's bounding box (islands included) or null, strings of valid Unicode
(no lone surrogate, no NUL) and bounded length, JSON nested at most `MAX_DEPTH` deep. A problem
names the field, never its value: values may be personal data and problems end up in logs and
dead-letter reasons.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

DOSSIER = "dossier"
FEEDBACK = "feedback"
SOCIAL = "social"
STREAMS = (DOSSIER, FEEDBACK, SOCIAL)

TOPIC_DLQ = "ioc.dlq"
TOPIC_ALERTS = "ioc.alerts"

STR, INT, FLOAT, BOOL, TIME, OBJ = "str", "int", "float", "bool", "time", "obj"

# Plausibility limits (docs/events.md).
TIME_MIN = datetime(2000, 1, 1, tzinfo=UTC)
TIME_MAX = datetime(2101, 1, 1, tzinfo=UTC)  # exclusive: up to 2100-12-31 included
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_TEXT = 20_000  # characters of any string (free text, URLs, unknown extra fields)
MAX_DEPTH = 20  # nesting of objects and arrays, the event object itself being depth 1
MAX_RECORD_BYTES = 1_000_000  # a whole record, checked before it is parsed
# Vietnam's bounding box with the islands: Hoàng Sa (to ~112.9° E) and Trường Sa (to ~6.5° N,
# ~117.8° E) as well as the mainland (8.2–23.4° N, 102.1–109.5° E).
LAT_RANGE = (6.0, 23.5)
LON_RANGE = (102.0, 118.0)
# Codes and names stored in bounded columns: longer values are implausible, and would fail
# the database write (PostgreSQL enforces VARCHAR lengths) instead of being dead-lettered.
MAX_CHARS: dict[str, int] = {
    "event_id": 200, "source": 100, "province_code": 8, "ward_code": 16,
    "ward_code_reason": 200, "geo_reason": 200, "dossier_id": 64, "feedback_id": 64,
    "post_id": 128, "procedure_code": 64, "procedure_name": 300, "sector": 64,
    "agency_code": 64, "agency_name": 200, "category": 64, "author_ref": 128,
}


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
        # Why lat/lon are null (optional): e.g. "không có vị trí" for a hotline call.
        "geo_reason": STR,
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
        # Optional, computed at ingest (ioc.social.enrichment); ENRICHMENT_FIELDS below.
        "enrichment": OBJ,
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
    """ISO 8601 with an explicit offset; naive times are refused (ambiguous zone). The error
    message never quotes the value."""
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("not an ISO 8601 time") from None
    if dt.tzinfo is None:
        raise ValueError("time has no UTC offset")
    return dt


def _time_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be an ISO 8601 string"
    try:
        dt = parse_time(value)
    except ValueError as exc:
        return f"is not an ISO 8601 time with offset ({exc})"
    if not TIME_MIN <= dt < TIME_MAX:
        return "must be between 2000-01-01 and 2100-12-31"
    return None


def _check_kind(kind: str, value: Any) -> str | None:
    if kind == STR:
        return None if isinstance(value, str) else "must be a string"
    if kind == INT:
        if not isinstance(value, int) or isinstance(value, bool):
            return "must be an integer"
        return None if INT64_MIN <= value <= INT64_MAX else "must fit in 64 bits"
    if kind == FLOAT:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return "must be a number"
        return None if math.isfinite(value) else "must be a finite number"
    if kind == BOOL:
        return None if isinstance(value, bool) else "must be true or false"
    if kind == OBJ:
        return None if isinstance(value, dict) else "must be an object"
    if kind == TIME:
        return _time_problem(value)
    raise AssertionError(kind)


# A lone surrogate cannot be encoded as UTF-8 (Kafka, the database); NUL is refused by
# PostgreSQL text columns. Both can only come from JSON escapes.
_BAD_CHARS = re.compile("[\ud800-\udfff\x00]")


def _string_problem(value: str, limit: int) -> str | None:
    if len(value) > limit:
        return f"longer than {limit} characters"
    if _BAD_CHARS.search(value):
        return "not valid UTF-8 text (lone surrogate or NUL)"
    return None


def structure_problems(event: Any) -> list[str]:
    """Depth, string validity and length of the whole object, extra fields included, as
    problems naming the field (a dotted path), never the value. Iterative: any depth."""
    problems: list[str] = []
    stack: list[tuple[Any, str, int]] = [(event, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                problems.append(f"{path or 'event'}: nested deeper than {MAX_DEPTH} levels")
                continue
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for k, v in items:
                key = str(k)
                if isinstance(k, str) and _string_problem(k, 200):
                    problems.append(f"{path or 'event'}: a field name is not valid text")
                    continue
                stack.append((v, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(value, str):
            top = path.split(".", 1)[0]
            limit = MAX_CHARS.get(top, MAX_TEXT) if "." not in path else MAX_TEXT
            err = _string_problem(value, limit)
            if err:
                problems.append(f"{path}: {err}")
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(f"{path}: must be a finite number")
    return sorted(problems)


def validate_event(contract: Contract, event: Any) -> list[str]:
    """Return the problems of one decoded event; [] means valid."""
    if not isinstance(event, dict):
        return ["event must be a JSON object"]
    problems: list[str] = structure_problems(event)
    if problems:  # the per-field checks below assume sane strings and depth
        return problems
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
        problems.append(f"schema: expected {contract.schema!r}")
    if event.get("type") is not None and event.get("type") not in contract.types:
        problems.append(f"type: not one of {list(contract.types)}")
    for name, allowed in contract.enums.items():
        value = event.get(name)
        if value is not None and value not in allowed:
            problems.append(f"{name}: not one of {[a for a in allowed if a]}")
    seq = event.get("seq")
    if isinstance(seq, int) and not isinstance(seq, bool) and seq < 1:
        problems.append("seq: must be >= 1")
    problems += _geo_problems(event)
    problems += _engagement_problems(event)
    problems += enrichment_problems(event)
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
            out.append(f"{b}: is before {a}")
    return out


def _geo_problems(event: dict[str, Any]) -> list[str]:
    lat, lon = event.get("lat"), event.get("lon")
    if lat is None and lon is None:
        return []
    if lat is None or lon is None:
        return ["lat/lon: both or neither (null with geo_reason)"]
    out = []
    for name, value, (lo, hi) in (("lat", lat, LAT_RANGE), ("lon", lon, LON_RANGE)):
        if (isinstance(value, int | float) and not isinstance(value, bool)
                and math.isfinite(value) and not lo <= value <= hi):
            out.append(f"{name}: outside Vietnam's bounding box ({lo}..{hi})")
    return out


def _engagement_problems(event: dict[str, Any]) -> list[str]:
    # The counts the aggregator decodes as int64 (ENGAGEMENT below).
    eng = event.get("engagement")
    if not isinstance(eng, dict):
        return []
    out = []
    for name in ENGAGEMENT_COUNTS:
        value = eng.get(name)
        if value is None:
            continue
        if (not isinstance(value, int) or isinstance(value, bool)
                or not 0 <= value <= INT64_MAX):
            out.append(f"engagement.{name}: must be a count within 64 bits")
    return out


# A social post's enrichment, computed at ingest so the aggregator need not (ioc.social.
# enrichment): every field is required when the object is present. A malformed one breaks the
# contract like any other field (the record is dead-lettered with the field named), so a
# producer's bug shows instead of being silently scored again.
ENRICHMENT_LABELS = ("negative", "neutral", "positive")
ENRICHMENT_LIMITS = {"model_version": 32, "topic": 64}  # the widths of their columns
# list field -> (longest item, separator the stored column joins items with)
ENRICHMENT_LISTS = {"topics": (64, "|"), "places": (16, ","), "terms": (64, None)}
MAX_ENRICHMENT_ITEMS = 2000
ENRICHMENT = pl.Struct({"sentiment": pl.Float64, "label": pl.String,
                        "model_version": pl.String, "topic": pl.String,
                        **{name: pl.List(pl.String) for name in ENRICHMENT_LISTS}})


def enrichment_problems(event: dict[str, Any]) -> list[str]:
    enr = event.get("enrichment")
    if not isinstance(enr, dict):
        return []  # absent/null: the aggregator enriches; not an object: _check_kind says
    out = []
    sentiment = enr.get("sentiment")
    if (not isinstance(sentiment, int | float) or isinstance(sentiment, bool)
            or not -1.0 <= sentiment <= 1.0):
        out.append("enrichment.sentiment: must be a number in [-1, 1]")
    if enr.get("label") not in ENRICHMENT_LABELS:
        out.append(f"enrichment.label: not one of {list(ENRICHMENT_LABELS)}")
    for name, limit in ENRICHMENT_LIMITS.items():
        value = enr.get(name)
        if not isinstance(value, str) or not value or len(value) > limit:
            out.append(f"enrichment.{name}: must be a string of 1 to {limit} characters")
    for name, (limit, sep) in ENRICHMENT_LISTS.items():
        items = enr.get(name)
        if (not isinstance(items, list) or len(items) > MAX_ENRICHMENT_ITEMS
                or not all(isinstance(v, str) and 0 < len(v) <= limit
                           and (sep is None or sep not in v) for v in items)):
            out.append(f"enrichment.{name}: must be a list of at most "
                       f"{MAX_ENRICHMENT_ITEMS} strings of 1 to {limit} characters")
    return out


def enrichment_flags() -> pl.Expr:
    """enrichment_problems() column-wise, for the bulk decoder: True where a present
    enrichment object breaks the contract (a null one is fine)."""
    e = pl.col("enrichment")
    bad = ~e.struct.field("sentiment").is_between(-1.0, 1.0)
    bad = bad | ~e.struct.field("label").is_in(list(ENRICHMENT_LABELS))
    for name, limit in ENRICHMENT_LIMITS.items():
        bad = bad | ~e.struct.field(name).str.len_chars().is_between(1, limit)
    for name, (limit, sep) in ENRICHMENT_LISTS.items():
        items = e.struct.field(name)
        item_bad = ~pl.element().str.len_chars().is_between(1, limit)
        if sep is not None:
            item_bad = item_bad | pl.element().str.contains(sep, literal=True)
        bad = bad | items.is_null() | (items.list.len() > MAX_ENRICHMENT_ITEMS) \
            | items.list.eval(item_bad.fill_null(True)).list.any()
    # Null fields make `bad` null: a present object with a missing field is bad too.
    return e.is_not_null() & bad.fill_null(True)


_POLARS_KIND = {
    STR: pl.String,
    INT: pl.Int64,
    FLOAT: pl.Float64,
    BOOL: pl.Boolean,
    TIME: pl.String,  # parsed after decode: offsets vary per source
}


# Only the counts we aggregate; other keys of the object are kept on the topic, not decoded.
ENGAGEMENT_COUNTS = ("likes", "shares", "comments")
ENGAGEMENT = pl.Struct({name: pl.Int64 for name in ENGAGEMENT_COUNTS})


def polars_schema(contract: Contract) -> dict[str, pl.DataType | type[pl.DataType]]:
    """Explicit schema for the aggregator's bulk NDJSON decode (objects are skipped)."""
    schema: dict[str, pl.DataType | type[pl.DataType]] = {}
    for name, kind in contract.fields.items():
        if kind == OBJ:
            schema[name] = {"engagement": ENGAGEMENT,
                            "enrichment": ENRICHMENT}.get(name, pl.String)
        else:
            schema[name] = _POLARS_KIND[kind]
    return schema


def time_columns(contract: Contract) -> list[str]:
    return [name for name, kind in contract.fields.items() if kind == TIME]
