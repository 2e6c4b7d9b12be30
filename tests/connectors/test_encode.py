"""The one encoder of what a connector sends (connectors.encode): the memo changes nothing, and
the runtime dead-letters a record whose redaction or encoding raises, naming the stage and the
exception's type only."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

import connectors.encode as encode
from connectors.base import record_from_event
from connectors.encode import EncodeMemo, encode_valid
from connectors.runtime import ConnectorRuntime
from connectors.simulators import FeedbackSimulator, SocialSimulator
from ioc.events.contracts import CONTRACTS, TOPIC_DLQ
from ioc.reference.calendar import TZ

T0 = datetime(2025, 11, 3, 8, tzinfo=TZ)
PII = " Liên hệ Nguyễn Văn An 0912345678."


def _events() -> list[tuple[Any, dict[str, Any]]]:
    pairs = [(CONTRACTS[k], e) for k, sim in (("feedback", FeedbackSimulator()),
                                                ("social", SocialSimulator()))
             for e in sim.events_between(T0, T0 + timedelta(hours=6))]
    # Personal data in the free text, so redaction has something to find.
    return [(c, {**e, "text": (e.get("text") or "") + PII}) for c, e in pairs]


def test_memo_gives_what_the_plain_encoder_gives():
    pairs = _events()
    assert {c.stream for c, _ in pairs} == {"feedback", "social"}
    memo = EncodeMemo()
    for contract, event in pairs * 2:  # the second round from a warm memo
        plain = encode_valid(contract, event, "sim")
        assert encode_valid(contract, event, "sim", memo) == plain
        assert "person" in plain.kinds and "phone" in plain.kinds
        assert b"0912345678" not in plain.value
        assert plain.headers == [("source", b"sim")]
        assert json.loads(plain.value)["text"].endswith("[họ tên] [SĐT].")
    assert memo.redacted and memo.enriched


def _route(contract: Any, event: dict[str, Any]) -> tuple[str, dict[str, bytes]]:
    source = SimpleNamespace(connector_id="test", contract=contract)
    runtime = ConnectorRuntime(source, None, None,  # type: ignore[arg-type]
                               heartbeat_expiry_seconds=1)  # _route uses neither
    topic, _, _, headers, _ = runtime._route(record_from_event(event))
    return topic, dict(headers)


@pytest.mark.parametrize("stage", ["redact", "encode"])
def test_runtime_dead_letters_a_failing_stage_with_the_type_only(monkeypatch, stage):
    def boom(*_: Any, **__: Any) -> Any:
        raise ValueError("quoted: Nguyễn Văn An 0912345678")

    if stage == "redact":
        monkeypatch.setattr(encode, "redact_event", boom)
    else:
        monkeypatch.setattr(encode, "json", SimpleNamespace(dumps=boom))
    contract, event = _events()[0]
    topic, headers = _route(contract, event)
    assert topic == TOPIC_DLQ
    assert headers["stage"] == stage.encode()
    assert headers["reason"] == f"{stage} failed: ValueError".encode()
