"""The contract says what is plausible, names the field and never quotes the value; the bulk
decoder judges each record alone, so one bad value never takes good records with it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ioc.events.contracts import (
    DOSSIER_CONTRACT,
    FEEDBACK_CONTRACT,
    SOCIAL_CONTRACT,
    validate_event,
)
from ioc.events.decode import decode_batch, loads_event
from streams.chaos.workload import dossier_event, feedback_event, social_event

T = datetime.now(UTC) - timedelta(hours=2)
SECRET = "Nguyễn Văn Bí Mật 0912345678"


def _dossier(**extra: Any) -> dict[str, Any]:
    return {**dossier_event("D-X", 1, "received", T), **extra}


# (contract, event, the field the reason must name, the value it must not quote)
CASES = [
    (DOSSIER_CONTRACT, _dossier(seq=10**20), "seq", "100000000000000000000"),
    (DOSSIER_CONTRACT, _dossier(seq=0), "seq", None),
    (DOSSIER_CONTRACT, _dossier(received_at="9999-01-01T00:00:00+00:00",
                                due_at="9999-01-05T00:00:00+00:00"), "received_at", "9999"),
    (DOSSIER_CONTRACT, _dossier(received_at="0001-01-01T00:00:00+00:00"), "received_at",
     "0001"),
    (DOSSIER_CONTRACT, _dossier(due_at="2026-01-01T10:00:00"), "due_at", "2026-01-01"),
    (DOSSIER_CONTRACT, _dossier(channel=SECRET), "channel", SECRET),
    (DOSSIER_CONTRACT, _dossier(procedure_name="x" * 301), "procedure_name", "xxxx"),
    (DOSSIER_CONTRACT, _dossier(agency_name="\ud800" + SECRET), "agency_name", SECRET),
    (DOSSIER_CONTRACT, _dossier(sector="a\x00b"), "sector", None),
    (DOSSIER_CONTRACT, _dossier(note={"a": SECRET * 2000}), "note.a", SECRET),
    (DOSSIER_CONTRACT, _dossier(deep=json.loads("[" * 30 + "]" * 30)), "deep", None),
    (DOSSIER_CONTRACT, _dossier(fee_vnd=2**63), "fee_vnd", None),
    (DOSSIER_CONTRACT, _dossier(completed_at=(T - timedelta(days=1)).isoformat(),
                                type="completed"), "completed_at", None),
    (FEEDBACK_CONTRACT, feedback_event("F-X", 1, "received", T, lat=float("nan")), "lat",
     "nan"),
    (FEEDBACK_CONTRACT, feedback_event("F-X", 1, "received", T, lon=float("inf")), "lon",
     "inf"),
    (FEEDBACK_CONTRACT, feedback_event("F-X", 1, "received", T, lat=48.85, lon=2.35), "lat",
     "48.85"),
    (FEEDBACK_CONTRACT, feedback_event("F-X", 1, "received", T, lat=None), "lat/lon", None),
    (FEEDBACK_CONTRACT, feedback_event("F-X", 1, "received", T, text=SECRET * 1000), "text",
     SECRET),
    (SOCIAL_CONTRACT, social_event("P-X", T, engagement={"likes": 10**19}),
     "engagement.likes", None),
    (SOCIAL_CONTRACT, social_event("P-X", T, schema=SECRET), "schema", SECRET),
    (SOCIAL_CONTRACT, social_event("P-X", T, type=SECRET), "type", SECRET),
]


@pytest.mark.parametrize(("contract", "event", "field", "value"), CASES,
                         ids=[f"{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_violation_names_the_field_never_the_value(contract, event, field, value):
    problems = validate_event(contract, event)
    assert problems, "implausible event accepted"
    text = "; ".join(problems)
    assert text.startswith(field) or f"; {field}" in text, text
    if value:
        assert value.lower() not in text.lower()


def test_plausible_events_pass():
    assert validate_event(DOSSIER_CONTRACT, _dossier()) == []
    island = feedback_event("F-1", 1, "received", T, lat=8.65, lon=111.92)  # Trường Sa
    assert validate_event(FEEDBACK_CONTRACT, island) == []
    unlocated = feedback_event("F-2", 1, "received", T, lat=None, lon=None,
                               geo_reason="gọi tổng đài, không có vị trí")
    assert validate_event(FEEDBACK_CONTRACT, unlocated) == []
    edge = _dossier(received_at="2000-01-01T07:00:00+07:00",
                    due_at="2100-12-31T23:59:59+00:00")
    assert validate_event(DOSSIER_CONTRACT, edge) == []


@pytest.mark.parametrize(("raw", "reason"), [
    (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 20"),
    (b"\xff\xfe{}", "not valid UTF-8"),
    (b'{"a": "' + b"x" * 1_000_001 + b'"}', "larger than"),
    (b'{"a": "secret 0912345678"', "invalid JSON"),
])
def test_loads_event_never_raises_anything_but_value_error(raw, reason):
    with pytest.raises(ValueError, match=reason) as err:
        loads_event(raw)
    assert b"0912345678" not in str(err.value).encode()


def _good(n: int) -> list[bytes]:
    return [json.dumps(dossier_event(f"D-{i}", 1, "received", T)).encode() for i in range(n)]


def _enc(event: dict[str, Any]) -> bytes:
    return json.dumps(event).encode()


@pytest.mark.parametrize(("bad", "why"), [
    (_enc(_dossier(seq=10**20)), "seq"),
    (_enc(_dossier(received_at="2026-01-01T10:00:00")), "received_at"),  # no offset, FIRST
    (_enc(_dossier(received_at="9999-01-01T00:00:00+00:00",
                   due_at="9999-01-05T00:00:00+00:00")), "received_at"),
    (b'{"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested"),
    (_enc(_dossier(agency_name="\ud800")), "agency_name"),
    (b"\xff\xfe\x00garbage", "UTF-8"),
    (_enc(_dossier(fee_vnd=1.5)), "fee_vnd"),
    (_enc(_dossier(digitized="yes")), "digitized"),
    (b"", "empty"),
])
def test_one_bad_record_first_in_a_batch_takes_no_good_one_with_it(bad, why):
    good = _good(200)
    d = decode_batch([bad, *good], DOSSIER_CONTRACT)
    assert d.frame.height == 200
    assert [i for i, _ in d.bad] == [0]
    assert why in d.bad[0][1]
    assert "rejected by bulk decoder" not in d.bad[0][1]


def test_nan_latitude_and_offset_less_times_are_decided_per_record():
    good = [json.dumps(feedback_event(f"F-{i}", 1, "received", T)).encode()
            for i in range(200)]
    nan = json.dumps(feedback_event("F-NaN", 1, "received", T, lat=float("nan"))).encode()
    naive = json.dumps(feedback_event("F-naive", 1, "received", T,
                                      due_at="2026-01-01T10:00:00")).encode()
    d = decode_batch([naive, *good[:100], nan, *good[100:]], FEEDBACK_CONTRACT)
    assert d.frame.height == 200
    assert sorted(d.frame["feedback_id"].to_list()) == sorted(f"F-{i}" for i in range(200))
    assert {i: r.split(":")[0] for i, r in d.bad} == {0: "due_at", 101: "lat"}


def test_times_parsed_explicitly_to_naive_utc_whatever_the_iso_form():
    forms = ["2026-03-01T10:00:00+07:00", "2026-03-01T03:00:00Z", "2026-03-01T03:00:00.000+00:00",
             "20260301T100000+0700", "2026-03-01 10:00:00+07:00", "2026-03-01T10:00+07:00"]
    values = [_enc(dossier_event(f"D-{i}", 1, "received", T, occurred_at=f))
              for i, f in enumerate(forms)]
    d = decode_batch(values, DOSSIER_CONTRACT)
    assert d.bad == []
    assert set(d.frame["occurred_at"].to_list()) == {datetime(2026, 3, 1, 3, 0)}
