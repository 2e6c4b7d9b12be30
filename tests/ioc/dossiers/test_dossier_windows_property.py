"""Property: for random dossier lifecycles delivered in random batches (out of order, with
duplicates), every dossier KPI computed from hourly buckets + entity state equals a brute-force
recomputation from the raw events, for every kind of window.

The brute force below is plain Python over dicts (newest seq wins), written from the KPI
definitions in ioc.kpis.catalogue, independent of ioc.state / ioc.kpis.scorecard; it uses only the
working-day calendar (tested on its own in test_calendar.py).
"""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete

from ioc.db import schema as s
from ioc.events.contracts import DOSSIER_CONTRACT
from ioc.events.decode import decode_batch
from ioc.kpis.values import dossier_kpis
from ioc.kpis.windows import resolve
from ioc.reference.calendar import add_working_days, office_time
from streams.apply import apply_dossiers
from streams.chaos.workload import dossier_event, iso
from tests.helpers import apply_events

NOW = datetime(2026, 3, 4, 3, 20, tzinfo=UTC)  # Wed 4 Mar 2026 10:20 in Hà Nội (after Tết)
WARDS = ("04792", "04795")
AGENCIES = ("SYT-25", "UBND-04792")


def random_lifecycle(rng: random.Random, i: int) -> list[dict]:
    did = f"P{i}"
    received = NOW - timedelta(minutes=rng.randrange(0, 75 * 24 * 60))
    due = received + timedelta(hours=rng.choice([8, 30, 80, 200, 400]))
    attrs = dict(
        ward=rng.choice(WARDS), channel=rng.choice(["online", "online", "in_person", "postal"]),
        agency_code=rng.choice(AGENCIES), digitized=rng.random() < 0.8,
        fee_vnd=rng.choice([0, 0, 50000]), online_eligible=rng.choice([True, True, False, None]),
        due_at=iso(due),
    )
    attrs["online_mode"] = rng.choice(["full", "partial"]) if attrs["channel"] == "online" \
        else None
    attrs["paid_online"] = (rng.random() < 0.5) if attrs["fee_vnd"] else None
    t = received
    steps: list[tuple[str, datetime, dict]] = [("received", t, {})]
    state: dict = {}

    def later() -> datetime:
        return t + timedelta(minutes=rng.randrange(10, 6 * 24 * 60))

    if rng.random() < 0.85:
        t = later()
        steps.append(("in_progress", t, {}))
        if rng.random() < 0.3:
            t = later()
            state["supplement_requested_at"] = iso(t)
            steps.append(("supplement_requested", t, dict(state)))
            if rng.random() < 0.8:
                t = later()
                state["supplement_received_at"] = iso(t)
                steps.append(("supplement_received", t, dict(state)))
        fate = rng.random()
        if fate < 0.6:
            t = later()
            done = {**state, "completed_at": t, "e_result": rng.random() < 0.7}
            steps.append(("completed", t, done))
            if rng.random() < 0.4:
                t = later()
                steps.append(("rated", t, {**done, "rating": rng.choice(
                    ["satisfied", "neutral", "unsatisfied"])}))
        elif fate < 0.75:
            t = later()
            end = rng.choice(["returned", "cancelled"])
            closed = {**state, "status": end, "closed_at": iso(t)}
            steps.append((end, t, closed))
            if rng.random() < 0.3:  # rated after the return: the event carries the end
                t = later()
                steps.append(("rated", t, {**closed, "rating": rng.choice(
                    ["satisfied", "unsatisfied"])}))
    events = []
    for seq, (kind, at, extra) in enumerate(steps, start=1):
        if at > NOW:  # the future has not happened yet
            break
        fields = {**attrs, **extra}
        completed_at = fields.pop("completed_at", None)
        ev = dossier_event(did, seq, kind, received, completed_at=completed_at, **fields)
        ev["occurred_at"] = iso(at)
        events.append(ev)
    return events


# ------------------------------------------------------------------ brute force

def _t(v: str | None) -> datetime | None:
    return datetime.fromisoformat(v).astimezone(UTC) if v else None


def _pause_us(e: dict) -> int:
    req, rec = _t(e.get("supplement_requested_at")), _t(e.get("supplement_received_at"))
    if req is None or rec is None:
        return 0
    return max(0, office_time(rec) - office_time(req))


def _eff_due(e: dict) -> datetime:
    due = _t(e["due_at"])
    p = _pause_us(e)
    if not p:
        return due
    from ioc.reference.calendar import from_office_time

    return from_office_time(office_time(due) + p, at_end=True).astimezone(UTC)


def apply_shuffled_lifecycles(engine: Engine, n: int, seed: int, batch: int) -> None:
    """`n` random lifecycles (seed `seed`), shuffled, applied by the aggregator's write path in
    batches of `batch` events."""
    rng = random.Random(seed)
    events = [e for i in range(n) for e in random_lifecycle(rng, i)]
    rng.shuffle(events)
    for a in range(0, len(events), batch):
        apply_events(engine, events[a:a + batch])


def brute_force(events: list[dict], start: datetime, end: datetime, now: datetime) -> dict:
    latest: dict[str, dict] = {}
    for e in events:
        if e["dossier_id"] not in latest or e["seq"] > latest[e["dossier_id"]]["seq"]:
            latest[e["dossier_id"]] = e
    at = min(end, now)
    near = add_working_days(at, 1).astimezone(UTC)
    c: dict[str, int] = dict.fromkeys(
        ["received", "online", "online_elig", "elig", "full", "digitized", "fee", "paid",
         "completed", "on_time", "e_result", "returned", "cancelled", "rated", "satisfied",
         "open", "paused", "overdue", "near", "minutes"], 0)
    minutes: list[int] = []
    in_w = lambda x: x is not None and start <= x < end  # noqa: E731
    for e in latest.values():
        rec_at, done = _t(e["received_at"]), _t(e["completed_at"])
        kind = e.get("status") if e["type"] == "rated" and not done else e["type"]
        closed = done if done else (_t(e.get("closed_at") or e["occurred_at"])
                                    if kind in ("returned", "cancelled") else None)
        eligible = e.get("online_eligible") is not False
        if in_w(rec_at):
            c["received"] += 1
            c["online"] += e["channel"] == "online"
            c["elig"] += eligible
            c["online_elig"] += eligible and e["channel"] == "online"
            c["full"] += e["online_mode"] == "full"
            c["digitized"] += bool(e["digitized"])
            if e["fee_vnd"]:
                c["fee"] += 1
                c["paid"] += bool(e["paid_online"])
        if done and in_w(done):
            c["completed"] += 1
            c["on_time"] += done <= _eff_due(e)
            c["e_result"] += bool(e["e_result"])
            total = office_time(done) - office_time(rec_at)
            req, rsv = _t(e.get("supplement_requested_at")), _t(e.get("supplement_received_at"))
            if rsv is not None and rsv <= done:
                total -= _pause_us(e)
            m = max(0, (total + 30_000_000) // 60_000_000)  # nearest minute, half up
            c["minutes"] += m
            minutes.append(m)
        if (done and in_w(done)) or (kind in ("returned", "cancelled") and in_w(closed)):
            c["returned"] += kind == "returned"
            c["cancelled"] += kind == "cancelled"
            c["rated"] += e["rating"] is not None
            c["satisfied"] += e["rating"] == "satisfied"
        is_open = rec_at < at and (closed is None or closed >= at)
        if not is_open:
            continue
        c["open"] += 1
        req, rsv = _t(e.get("supplement_requested_at")), _t(e.get("supplement_received_at"))
        if req is not None and req < at and (rsv is None or rsv >= at):
            c["paused"] += 1
            continue
        due = _eff_due(e) if rsv is not None and rsv < at else _t(e["due_at"])
        c["overdue"] += due < at
        c["near"] += at <= due <= near
    minutes.sort()
    p90 = minutes[math.ceil(0.9 * len(minutes)) - 1] / 480 if minutes else None
    ratio = lambda n, d: (c[n] / c[d]) if c[d] else None  # noqa: E731
    return {
        "received": c["received"], "completed": c["completed"],
        "completed_on_time": c["on_time"], "completed_late": c["completed"] - c["on_time"],
        "returned": c["returned"], "cancelled": c["cancelled"], "in_progress": c["open"],
        "paused": c["paused"], "overdue": c["overdue"], "near_due": c["near"],
        "on_time_rate": ((c["on_time"] + c["open"] - c["overdue"])
                         / (c["completed"] + c["open"])) if c["completed"] + c["open"] else None,
        "online_rate": ratio("online", "received"),
        "online_eligible_rate": ratio("online_elig", "elig"),
        "full_online_rate": ratio("full", "received"),
        "digitization_rate": ratio("digitized", "received"),
        "e_result_rate": ratio("e_result", "completed"),
        "online_payment_rate": ratio("paid", "fee"),
        "satisfaction_rate": ratio("satisfied", "rated"),
        "processing_days_mean": (c["minutes"] / c["completed"] / 480) if c["completed"]
        else None,
        "processing_days_p90": p90,
    }


# ------------------------------------------------------------------ the property

def _apply(engine: Engine, batches: list[list[dict]]) -> None:
    with engine.begin() as conn:
        conn.execute(delete(s.dossiers))
        conn.execute(delete(s.dossier_buckets))
        # Long windows read these: rollups (full and narrow) and the p90 histogram.
        for rollup in (*s.ROLLUPS["dossier_buckets"].values(), *s.P90_ROLLUPS.values(),
                       *[t for ts in s.NARROW_ROLLUPS["dossier_buckets"].values()
                         for t in ts]):
            conn.execute(delete(rollup))
    for batch in batches:
        decoded = decode_batch([json.dumps(e).encode() for e in batch], DOSSIER_CONTRACT)
        assert not decoded.bad, decoded.bad
        with engine.begin() as conn:
            apply_dossiers(conn, decoded.frame.drop("_row"))


WINDOW = st.sampled_from(["today", "1h", "24h", "7d", "30d", "month", "quarter", "ytd",
                         "custom"])


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 10**9), n=st.integers(1, 60), window=WINDOW,
       batches=st.integers(1, 5), first=st.integers(0, 70), span=st.integers(0, 40))
def test_bucket_windows_equal_brute_force(engine: Engine, seed: int, n: int, window: str,
                                          batches: int, first: int, span: int) -> None:
    rng = random.Random(seed)
    events = [e for i in range(n) for e in random_lifecycle(rng, i)]
    events += [dict(e) for e in rng.sample(events, k=len(events) // 5)]  # re-sent duplicates
    rng.shuffle(events)  # out of order, also across batches
    cuts = sorted(rng.sample(range(len(events) + 1), k=min(batches - 1, len(events))))
    parts = [events[a:b] for a, b in zip([0, *cuts], [*cuts, len(events)], strict=True)]
    _apply(engine, [p for p in parts if p])

    d0 = (NOW - timedelta(days=first)).date()
    period = resolve(window, NOW, d0, d0 + timedelta(days=span))
    for p in (period, period.previous()):
        start, end = p.start.replace(tzinfo=UTC), p.end.replace(tzinfo=UTC)
        expected = brute_force(events, start, end, NOW)
        got = {k.kpi.split(".", 1)[1]: k for k in dossier_kpis(engine, "province:25", p, NOW)}
        for name, want in expected.items():
            value = got[name].value
            if want is None:
                assert value is None, (name, p, value)
            else:
                assert value == pytest.approx(want, abs=1e-9), (name, p, value, want)


def test_brute_force_is_not_vacuous() -> None:
    """The generator produces every lifecycle branch the property is meant to cover."""
    rng = random.Random(7)
    events = [e for i in range(300) for e in random_lifecycle(rng, i)]
    kinds = {e["type"] for e in events}
    assert kinds == set(DOSSIER_CONTRACT.types)
    r = brute_force(events, (NOW - timedelta(days=30)).replace(minute=0, second=0),
                    NOW + timedelta(hours=1), NOW)
    assert r["completed"] and r["overdue"] and r["paused"] and r["returned"] and r["cancelled"]
    assert r["completed_late"] and r["near_due"] is not None
    assert pl.Series([e["seq"] for e in events]).max() >= 5
    assert date(2026, 2, 17) > (NOW - timedelta(days=75)).date()  # Tết lies inside the range
