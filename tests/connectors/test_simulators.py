"""Deterministic simulators: contracts, determinism/splits, lifecycles, realistic rates."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from connectors.simulators import (
    DossierSimulator,
    FeedbackSimulator,
    SocialSimulator,
    make_simulator,
)
from ioc.dossiers.lifecycle import effective_due
from ioc.events.contracts import CONTRACTS, parse_time, validate_event
from ioc.events.redact import redact_event
from ioc.reference import admin_units as au
from ioc.reference.calendar import TZ, is_working_day, working_days_between
from ioc.social import sentiment

# An ordinary week without holidays (Mon 3 – Sun 9 November 2025).
WEEK0 = datetime(2025, 11, 3, tzinfo=TZ)
WEEK1 = WEEK0 + timedelta(days=7)
KEY = {"dossier": "dossier_id", "feedback": "feedback_id", "social": "post_id"}


@pytest.fixture(scope="module")
def week() -> dict[str, list[dict[str, Any]]]:
    return {
        "dossier": DossierSimulator().events_between(WEEK0, WEEK1),
        "feedback": FeedbackSimulator().events_between(WEEK0, WEEK1),
        "social": SocialSimulator().events_between(WEEK0, WEEK1),
    }


def when(e: dict[str, Any], field: str = "occurred_at") -> datetime:
    return parse_time(e[field])


def share(items: list[Any], pred: Callable[[Any], Any]) -> float:
    return sum(1 for i in items if pred(i)) / len(items)


# --- contracts, windows, determinism ----------------------------------------------------------

@pytest.mark.parametrize("stream", ["dossier", "feedback", "social"])
def test_every_event_is_valid_and_in_window(week, stream: str) -> None:
    events = week[stream]
    assert len(events) > 1000
    contract = CONTRACTS[stream]
    problems = [(e["event_id"], validate_event(contract, e)) for e in events]
    assert [p for p in problems if p[1]] == []
    times = [when(e) for e in events]
    assert times == sorted(times)
    assert all(WEEK0 <= x < WEEK1 for x in times)
    assert all(e["occurred_at"].endswith("+07:00") for e in events)
    assert all(e["source"] == f"sim-{stream}" and e["province_code"] == "25" for e in events)
    wards = set(au.commune_names("25"))
    assert all(e["ward_code"] in wards for e in events if e["ward_code"] is not None)


@pytest.mark.parametrize(
    ("stream", "rate", "province_code"),
    [("dossier", 0.2, "25"), ("feedback", 1.0, "25"), ("social", 1.0, "25"),
     ("dossier", 0.1, "79"), ("social", 1.0, "01")],
)
def test_split_windows_equal_the_whole(stream: str, rate: float, province_code: str) -> None:
    a = datetime(2025, 12, 1, 6, 0, tzinfo=TZ)
    b = datetime(2025, 12, 2, 13, 37, 21, 500_000, tzinfo=TZ)  # an arbitrary cut
    c = datetime(2025, 12, 3, 9, 0, tzinfo=TZ)
    whole = make_simulator(stream, province_code, rate=rate).events_between(a, c)
    fresh = make_simulator(stream, province_code, rate=rate)
    second = fresh.events_between(b, c)  # asked in reverse order: no dependence on history
    first = fresh.events_between(a, b)
    assert len(whole) > 100
    assert first + second == whole
    assert first and second
    # Another seed gives another world (a cheap check, so only for the light streams).
    if stream != "dossier":
        other = make_simulator(stream, province_code, seed=7, rate=rate).events_between(a, c)
        assert other != whole


def test_empty_and_invalid_windows() -> None:
    sim = FeedbackSimulator()
    assert sim.events_between(WEEK1, WEEK0) == []
    assert sim.events_between(WEEK0, WEEK0) == []
    with pytest.raises(ValueError, match="naive"):
        sim.events_between(datetime(2025, 11, 3), datetime(2025, 11, 4))
    with pytest.raises(ValueError, match="unknown province"):
        DossierSimulator("26")
    with pytest.raises(ValueError):
        make_simulator("weather")


@pytest.mark.parametrize("stream", ["dossier", "feedback"])
def test_seq_increases_per_entity(week, stream: str) -> None:
    by_entity: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in week[stream]:
        by_entity[e[KEY[stream]]].append(e)
        assert e["event_id"] == f"{e[KEY[stream]]}:{e['seq']}"
    for events in by_entity.values():
        seqs = [e["seq"] for e in events]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        if when(events[0], "received_at") >= WEEK0:  # whole lifecycle inside the window
            assert seqs == list(range(1, len(seqs) + 1))
            assert events[0]["type"] == "received"
    assert len(by_entity) > 500


# --- dossiers ---------------------------------------------------------------------------------

def test_dossier_lifecycle_fields(week) -> None:
    by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in week["dossier"]:
        by_id[e["dossier_id"]].append(e)
        assert when(e, "due_at") > when(e, "received_at")
        assert when(e) >= when(e, "received_at")
        done = e["type"] in ("completed", "rated")
        assert (e["completed_at"] is not None) == done
        assert (e["e_result"] is not None) == done
        assert (e["rating"] is not None) == (e["type"] == "rated")
        assert (e["online_mode"] is not None) == (e["channel"] == "online")
        assert (e["paid_online"] is None) == (e["fee_vnd"] == 0)
        due = when(e, "due_at")
        assert is_working_day(due.date()) and (7, 30) <= (due.hour, due.minute) <= (17, 0)
        assert re.fullmatch(r"H25\.[A-Z0-9]+-\d{6}-\d{6,}", e["dossier_id"])
    for events in by_id.values():
        kinds = [e["type"] for e in events]
        if "supplement_received" in kinds[1:]:
            # The deadline without the pause stays; the pause is carried by two times.
            i = kinds.index("supplement_received")
            req, rec = events[i - 1], events[i]
            assert req["type"] == "supplement_requested"
            assert req["supplement_requested_at"] == req["occurred_at"]
            assert req["supplement_received_at"] is None
            assert rec["supplement_received_at"] == rec["occurred_at"]
            assert when(req, "due_at") == when(rec, "due_at") == when(events[-1], "due_at")
            assert events[-1]["supplement_requested_at"] == req["occurred_at"]
            paused = working_days_between(when(req), when(rec))
            moved = effective_due(when(rec, "due_at"), when(req), when(rec))
            assert working_days_between(when(rec, "due_at"), moved) == pytest.approx(
                paused, abs=1e-3)
        states = {(e["procedure_code"], e["agency_code"], e["channel"], e["received_at"])
                  for e in events}
        assert len(states) == 1  # state-carrying: the fixed attributes never change


def test_dossier_rates_in_expected_bands(week) -> None:
    events = week["dossier"]
    received = [e for e in events if e["type"] == "received"]
    per_working_day = len([e for e in received if when(e).weekday() < 5]) / 5
    assert 1500 <= per_working_day <= 3000
    prov = [e for e in received if e["level"] == "province"]
    comm = [e for e in received if e["level"] == "commune"]
    assert 0.76 <= share(prov, lambda e: e["channel"] == "online") <= 0.84
    assert 0.70 <= share(comm, lambda e: e["channel"] == "online") <= 0.78
    assert 0.55 <= len(comm) / len(received) <= 0.75  # most dossiers are commune-level now
    online = [e for e in received if e["channel"] == "online"]
    assert 0.1 <= share(online, lambda e: e["online_mode"] == "full") <= 0.6
    assert 0.85 <= share(received, lambda e: e["digitized"]) <= 0.95

    completed = [e for e in events if e["type"] == "completed"]
    def on_time(e: dict) -> bool:
        due = when(e, "due_at")
        if e["supplement_received_at"]:
            due = effective_due(due, when(e, "supplement_requested_at"),
                                when(e, "supplement_received_at"))
        return when(e, "completed_at") <= due

    assert 0.93 <= share(completed, on_time) <= 0.98
    assert 0.70 <= share(completed, lambda e: e["e_result"]) <= 0.90
    n_done = len(completed)
    kinds = Counter(e["type"] for e in events)
    assert 0.01 <= kinds["returned"] / n_done <= 0.035
    assert 0.003 <= kinds["cancelled"] / n_done <= 0.02
    assert 0.05 <= kinds["supplement_requested"] / n_done <= 0.11
    assert 0.25 <= kinds["rated"] / n_done <= 0.35
    rated = [e for e in events if e["type"] == "rated"]
    assert 0.74 <= share(rated, lambda e: e["rating"] == "satisfied") <= 0.88
    fee_online = [e for e in received if e["fee_vnd"] > 0 and e["channel"] == "online"]
    assert 0.40 <= share(fee_online, lambda e: e["paid_online"]) <= 0.60
    assert {"citizen", "business"} <= {e["applicant_kind"] for e in received}


def test_dossier_weekly_rhythm(week) -> None:
    received = [e for e in week["dossier"] if e["type"] == "received"]
    by_day = Counter(when(e).weekday() for e in received)
    assert by_day[0] > by_day[4]  # Monday busiest, Friday afternoon quiet
    assert by_day[5] < 0.25 * by_day[2] and by_day[6] < 0.2 * by_day[2]
    counter = [e for e in received if e["channel"] != "online"]
    assert all(when(e).weekday() < 6 for e in counter)  # nobody at the counter on Sunday
    assert all(7 <= when(e).hour < 17 for e in counter)
    office = share(received, lambda e: 7 <= when(e).hour < 17 and when(e).weekday() < 5)
    assert office > 0.85


def test_no_counter_dossiers_during_tet() -> None:
    sim = DossierSimulator(rate=0.3)
    events = sim.events_between(datetime(2026, 2, 16, tzinfo=TZ), datetime(2026, 2, 21, tzinfo=TZ))
    received = [e for e in events if e["type"] == "received"]
    assert received and all(e["channel"] == "online" for e in received)
    assert len(received) < 0.3 * 2228 * 0.15 * 5 * 1.5  # only the around-the-clock stream
    # Nothing is processed on a holiday: only receipts and (calendar-time) ratings happen.
    assert {e["type"] for e in events} <= {"received", "rated"}


# --- feedback ---------------------------------------------------------------------------------

PII = re.compile(
    r"(?:\+84|0)\d{2,3}[ \d]{6,10}|(?<!\d)\d{12}(?!\d)|@|[Tt]ôi là [A-ZĐ]|số \d+ ngõ|"
    r"(?<!\w)(?:ông|bà|anh|chị) [A-ZĐ]"
)


def test_feedback_rates_and_lifecycle(week) -> None:
    events = week["feedback"]
    received = [e for e in events if e["type"] == "received"]
    assert 40 <= len(received) / 7 <= 120
    channels = Counter(e["channel"] for e in received)
    n = len(received)
    assert 0.38 <= channels["hotline_1022"] / n <= 0.52
    assert 0.14 <= channels["zalo"] / n <= 0.26
    assert 0.10 <= channels["web"] / n <= 0.20
    assert 0.05 <= channels["facebook"] / n <= 0.15
    cats = Counter(e["category"] for e in received)
    assert cats.most_common(1)[0][0] == "môi trường" and len(cats) == 10
    closed = [e for e in events if e["type"] == "closed"]
    assert 0.80 <= share(closed, lambda e: when(e, "closed_at") <= when(e, "due_at")) <= 0.91
    for e in events:
        assert e["status"] == ("closed" if e["type"] == "rated" else e["type"])
        assert when(e, "due_at") > when(e, "received_at")
        assert (e["responded_at"] is not None) == (e["type"] in ("responded", "closed", "rated"))
        assert (e["closed_at"] is not None) == (e["type"] in ("closed", "rated"))
        assert (e["agency_code"] is None) == (e["type"] == "received")
        assert re.fullmatch(r"PAKN-25-\d{6}-\d{4,}", e["feedback_id"])
    unknown = [e for e in received if e["ward_code"] is None]
    assert 1 <= len(unknown) <= 0.03 * n
    assert all(e["ward_code_reason"] == "không xác định được địa chỉ" for e in unknown)


def test_feedback_points_near_their_commune(week) -> None:
    located = [e for e in week["feedback"] if e["lat"] is not None]
    assert len(located) > 0.5 * len(week["feedback"])
    for e in located:
        c = au.commune(e["ward_code"])
        dy = (e["lat"] - c.lat) * 111.0
        dx = (e["lon"] - c.lon) * 111.0 * math.cos(math.radians(c.lat))
        assert math.hypot(dx, dy) <= math.sqrt(c.area_km2 or 30.0) / 3 + 0.01


def test_some_raw_feedback_carries_personal_data(week) -> None:
    received = [e for e in week["feedback"] if e["type"] == "received"]
    with_pii = [e for e in received if PII.search(e["text"] + " " + (e["address"] or ""))]
    assert 0.06 <= len(with_pii) / len(received) <= 0.14
    # The connector's redactor recognises every one of them …
    assert all(redact_event(e)[1] for e in with_pii)
    # … and personal data never leaks into identifiers.
    for e in week["feedback"]:
        assert not PII.search(e["event_id"]) and not PII.search(e["feedback_id"])


# --- social -----------------------------------------------------------------------------------

def test_social_volume_platforms_sentiment_and_duplicates(week) -> None:
    events = week["social"]
    posts = {e["post_id"]: e for e in events}
    assert 150 <= len(posts) / 7 <= 400
    platforms = Counter(e["platform"] for e in posts.values())
    assert 0.25 <= platforms["news"] / len(posts) <= 0.35
    assert 0.40 <= platforms["facebook"] / len(posts) <= 0.50
    labels = Counter(
        sentiment.label(sentiment.score(f"{e['title'] or ''}. {e['text']}"))
        for e in posts.values()
    )
    assert 0.20 <= labels["negative"] / len(posts) <= 0.30
    assert labels["positive"] > 0 and labels["neutral"] > 0
    topics = Counter(sentiment.topic(f"{e['title'] or ''}. {e['text']}") for e in posts.values())
    assert len(topics) >= 8

    seen: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        seen[e["event_id"]].append(e)
        assert e["seq"] == 1 and e["type"] == "published"
        assert e["url"].startswith("https://")
        assert set(e["engagement"]) == {"likes", "shares", "comments"}
        assert e["author_ref"].startswith("anon-")
    dups = [v for v in seen.values() if len(v) > 1]
    assert 0.015 <= len(dups) / len(posts) <= 0.05
    for first, again in dups:
        assert first["post_id"] == again["post_id"] and first["url"] == again["url"]
        assert first["published_at"] == again["published_at"]
        assert when(again) > when(first)
    news = [e for e in posts.values() if e["platform"] == "news"]
    assert any(e["url"].startswith("https://baophutho.vn/") for e in news)
    assert share(list(posts.values()), lambda e: e["ward_code"] is None) > 0.2
    # Registers: comments typed without diacritics / in teencode among the Facebook ones, and
    # communes named in the text (no ward_code sent) that ioc.social.places finds.
    from ioc.social.features import strip_diacritics
    from ioc.social.places import places

    fb = [e for e in posts.values() if e["platform"] == "facebook"]
    assert 0.2 <= share(fb, lambda e: strip_diacritics(e["text"]) == e["text"]) <= 0.5
    assert all(e["ward_code"] is None for e in posts.values())
    located = share(list(posts.values()),
                    lambda e: bool(places(f"{e['title'] or ''} {e['text']}", "25")))
    assert 0.45 <= located <= 0.65


def test_other_province_uses_its_own_communes() -> None:
    events = FeedbackSimulator("79").events_between(WEEK0, WEEK0 + timedelta(days=2))
    wards = set(au.commune_names("79"))
    assert events and all(e["ward_code"] in wards or e["ward_code"] is None for e in events)
    assert all(e["feedback_id"].startswith("PAKN-79-") for e in events)


# --- sentiment (trained model) --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Người dân bức xúc vì rác thải bốc mùi", "negative"),
        ("Cán bộ tận tình, giải quyết nhanh chóng, tôi rất hài lòng", "positive"),
        ("Tôi không hài lòng với cách giải quyết", "negative"),
        ("Hội nghị triển khai nhiệm vụ quý IV", "neutral"),
        ("Học sinh thi tốt nghiệp trung học phổ thông", "neutral"),
        ("Lễ hội ở xã Thành Công khai mạc", "neutral"),  # a place name, not praise
        ("NGẬP SÂU sau mưa lớn", "negative"),
    ],
)
def test_sentiment_labels(text: str, expected: str) -> None:
    assert sentiment.label(sentiment.score(text)) == expected


def test_sentiment_score_range_and_topics() -> None:
    assert sentiment.score("") == 0.0
    # The trained model's score is a signed confidence: a complaint is negative, a string of
    # complaints at least as confidently so, and never beyond (−1, 1).
    assert sentiment.label(sentiment.score("ô nhiễm")) == "negative"
    assert -1 < sentiment.score("ô nhiễm, ngập, tắc, kém, chậm") <= sentiment.score("ô nhiễm")
    assert sentiment.label(-0.2) == "negative" and sentiment.label(0.2) == "positive"
    assert sentiment.topic("Ùn tắc kéo dài trên quốc lộ 2") == "giao thông"
    assert sentiment.topic("Rác thải gây ô nhiễm") == "môi trường"
    assert sentiment.topic("Xin chào") == "khác"
