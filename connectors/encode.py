"""What a connector sends for a valid event: redacted, a social post enriched on its redacted
text, compact JSON keyed by the contract's key field, with the `source` header.

One encoder for the connector runtime (`ConnectorRuntime._route`) and for what produces
simulator events outside it (the benchmarks), so their bytes cannot drift apart.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from connectors.base import to_bytes
from connectors.enrich import with_enrichment
from ioc.events.contracts import SOCIAL, Contract
from ioc.events.redact import PSEUDONYM_FIELDS, SAFE_FIELDS, URL_FIELDS, redact_event

MEMO_MAX = 200_000  # entries per memo before it starts afresh (bounded RSS)


class Encoded(NamedTuple):
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]
    kinds: list[str]  # the kinds of personal data redaction found (empty: none)


class EncodeFailed(Exception):
    """Redaction, enrichment or encoding raised; `stage` says which step (the cause is
    chained). The dead letter's reason keeps the type only: a message may quote the record."""

    def __init__(self, stage: str) -> None:
        super().__init__(stage)
        self.stage = stage


class EncodeMemo:
    """Memoised redaction and enrichment, for a producer of many repeating texts (simulators).

    Both are pure functions of the text: redaction per (field, string value) — `redact_event`
    treats every field on its own — and enrichment per (body text, province), the inputs of
    `enrich_event`. The result is what `encode_valid` gives without a memo (tested)."""

    def __init__(self, max_entries: int = MEMO_MAX) -> None:
        self.max_entries = max_entries
        self.redacted: dict[tuple[str, str], tuple[Any, list[str]]] = {}
        self.enriched: dict[tuple[str, str | None], dict[str, Any]] = {}

    def redact(self, event: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        out: dict[str, Any] = {}
        kinds: set[str] = set()
        for name, value in event.items():
            if name in SAFE_FIELDS or value is None:
                out[name] = value
                continue
            if (isinstance(value, str) and name not in URL_FIELDS
                    and name not in PSEUDONYM_FIELDS):  # URLs and authors hardly repeat
                key = (name, value)
                hit = self.redacted.get(key)
                if hit is None:
                    if len(self.redacted) >= self.max_entries:
                        self.redacted.clear()
                    hit = self.redacted[key] = _redact_field(name, value)
            else:
                hit = _redact_field(name, value)
            out[name] = hit[0]
            kinds.update(hit[1])
        return out, sorted(kinds)

    def enrich(self, contract: Contract, event: dict[str, Any]) -> dict[str, Any]:
        if contract.stream != SOCIAL:
            return event
        # Imported here: ioc.social loads its models (seconds), needed only for social posts.
        from ioc.social.enrichment import body

        key = (body(event.get("title"), event.get("text")), event.get("province_code"))
        hit = self.enriched.get(key)
        if hit is not None:
            return {**event, "enrichment": hit}
        out = with_enrichment(contract, event)
        if "enrichment" in out:  # a failure is not remembered: the next post tries again
            if len(self.enriched) >= self.max_entries:
                self.enriched.clear()
            self.enriched[key] = out["enrichment"]
        return out


def _redact_field(name: str, value: Any) -> tuple[Any, list[str]]:
    clean, kinds = redact_event({name: value})
    return clean[name], kinds


def encode_valid(contract: Contract, event: dict[str, Any], connector_id: str,
                 memo: EncodeMemo | None = None) -> Encoded:
    """The record a connector sends for a validated event. Raises `EncodeFailed` (with the
    stage, "redact" or "encode") if a step raises."""
    stage = "redact"
    try:
        if memo is None:
            event, kinds = redact_event(event)
            event = with_enrichment(contract, event)  # social posts, on redacted text
        else:
            event, kinds = memo.redact(event)
            event = memo.enrich(contract, event)
        stage = "encode"
        key = str(event[contract.key_field]).encode()
        value = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    except Exception as exc:
        raise EncodeFailed(stage) from exc
    return Encoded(contract.topic, key, value, [("source", to_bytes(connector_id))], kinds)
