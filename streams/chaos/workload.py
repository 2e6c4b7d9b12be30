"""A workload with known answers: v1 events of every stream (lifecycles with duplicates and
shuffled order) and the totals they must produce, recomputed in plain Python over dicts
(newest seq per entity wins, posts counted once) — independent of the aggregator's code."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, func, select

from ioc.db import schema as s
from ioc.reference.calendar import from_office_time, office_time

TZ7 = "+07:00"


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


def dossier_event(dossier_id: str, seq: int, type_: str, received_at: datetime, *,
                  due_days: float = 3, ward: str = "08494", completed_at: datetime | None = None,
                  channel: str = "online", **extra: Any) -> dict[str, Any]:
    occurred = {"received": received_at}.get(type_, completed_at or received_at
                                             + timedelta(hours=seq))
    ev = {
        "schema": "ioc.dossier.v1", "event_id": f"{dossier_id}:{seq}", "type": type_,
        "occurred_at": iso(occurred), "source": "test", "seq": seq, "province_code": "25",
        "ward_code": ward, "dossier_id": dossier_id, "procedure_code": "1.001",
        "procedure_name": "Đăng ký khai sinh", "sector": "Hộ tịch", "agency_code": f"UBND-{ward}",
        "agency_name": "UBND xã", "level": "commune", "channel": channel,
        "online_mode": "full" if channel == "online" else None,
        "received_at": iso(received_at), "due_at": iso(received_at + timedelta(days=due_days)),
        "completed_at": iso(completed_at) if completed_at else None, "digitized": True,
        "e_result": True, "fee_vnd": 0, "paid_online": False, "rating": None,
        "applicant_kind": "citizen",
    }
    ev.update(extra)
    return ev


def feedback_event(fid: str, seq: int, type_: str, received_at: datetime, *,
                   channel: str = "hotline_1022", ward: str = "08494", **extra: Any) -> dict:
    status = {"rated": "closed"}.get(type_, type_)
    ev = {
        "schema": "ioc.feedback.v1", "event_id": f"{fid}:{seq}", "type": type_,
        "occurred_at": iso(received_at + timedelta(hours=seq - 1)), "source": "test",
        "seq": seq, "province_code": "25", "ward_code": ward, "feedback_id": fid,
        "channel": channel, "category": "môi trường", "text": "Rác thải chưa được thu gom",
        "lat": 21.3, "lon": 105.3, "address": None, "agency_code": f"UBND-{ward}",
        "received_at": iso(received_at), "due_at": iso(received_at + timedelta(days=3)),
        "status": status, "rating": None,
    }
    ev.update(extra)
    return ev


def social_event(post_id: str, published_at: datetime, *, text: str = "Người dân hài lòng",
                 ward: str | None = "08494", **extra: Any) -> dict:
    ev = {
        "schema": "ioc.social.v1", "event_id": post_id, "type": "published",
        "occurred_at": iso(published_at), "source": "test", "seq": 1, "province_code": "25",
        "ward_code": ward, "post_id": post_id, "platform": "news",
        "url": f"https://example.vn/{post_id}", "title": "Tin địa phương", "text": text,
        "published_at": iso(published_at), "engagement": {"likes": 2, "shares": 1, "comments": 0},
        "author_ref": "a1",
    }
    if ward is None:
        ev["ward_code_reason"] = "không xác định"
    ev.update(extra)
    return ev


def _latest(events: list[dict], key: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for e in events:
        k = e[key]
        if k not in out or e["seq"] > out[k]["seq"]:
            out[k] = e
    return out


def _due(e: dict) -> datetime:
    """The deadline moved by the paused office time (independent of ioc.dossiers.lifecycle)."""
    due = datetime.fromisoformat(e["due_at"])
    req, rec = e.get("supplement_requested_at"), e.get("supplement_received_at")
    if req and rec:
        pause = office_time(datetime.fromisoformat(rec)) - office_time(
            datetime.fromisoformat(req))
        due = from_office_time(office_time(due) + pause, at_end=True)
    return due


def expected_totals(events: list[dict[str, Any]]) -> dict[str, int]:
    d = _latest([e for e in events if e["schema"] == "ioc.dossier.v1"], "dossier_id")
    f = _latest([e for e in events if e["schema"] == "ioc.feedback.v1"], "feedback_id")
    posts = {e["post_id"] for e in events if e["schema"] == "ioc.social.v1"}
    c: Counter[str] = Counter()
    for e in d.values():
        c["dossier.received"] += 1
        c["dossier.received_online"] += e["channel"] == "online"
        done = e["completed_at"] is not None
        c["dossier.completed"] += done
        if done:
            on_time = datetime.fromisoformat(e["completed_at"]) <= _due(e)
            c["dossier.completed_on_time"] += on_time
        c["dossier.returned"] += e["type"] == "returned"
        c["dossier.open"] += (not done) and e["type"] not in ("returned", "cancelled")
    for e in f.values():
        c["feedback.received"] += 1
        c["feedback.closed"] += e["status"] == "closed"
    c["social.posts"] = len(posts)
    return dict(c)


def db_totals(engine: Engine) -> dict[str, int]:
    def total(table: Table, col: str) -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.sum(table.c[col]), 0))).scalar())

    with engine.connect() as conn:
        open_d = int(conn.execute(select(func.count()).select_from(s.dossiers)
                                  .where(s.dossiers.c.is_open.is_(True))).scalar())
    return {
        "dossier.received": total(s.dossier_buckets, "received"),
        "dossier.received_online": total(s.dossier_buckets, "received_online"),
        "dossier.completed": total(s.dossier_buckets, "completed"),
        "dossier.completed_on_time": total(s.dossier_buckets, "completed_on_time"),
        "dossier.returned": total(s.dossier_buckets, "returned"),
        "dossier.open": open_d,
        "feedback.received": total(s.feedback_buckets, "received"),
        "feedback.closed": total(s.feedback_buckets, "closed"),
        "social.posts": total(s.social_buckets, "posts"),
    }


def random_events(n_dossiers: int, n_feedback: int, n_posts: int, seed: int,
                  now: datetime) -> list[dict]:
    """Lifecycles with duplicates and shuffled order (out-of-order arrival across batches)."""
    rng = random.Random(seed)
    events: list[dict] = []
    for i in range(n_dossiers):
        t0 = now - timedelta(hours=rng.uniform(1, 200))
        did = f"D{seed}-{i}"
        ch = rng.choice(["online", "online", "in_person", "postal"])
        events.append(dossier_event(did, 1, "received", t0, channel=ch))
        fate = rng.random()
        if fate < 0.6:
            done = t0 + timedelta(hours=rng.uniform(1, 120))
            events.append(dossier_event(did, 2, "in_progress", t0, channel=ch))
            events.append(dossier_event(did, 3, "completed", t0, channel=ch, completed_at=done))
            if rng.random() < 0.3:
                events.append(dossier_event(did, 4, "rated", t0, channel=ch, completed_at=done,
                                            rating=rng.choice(["satisfied", "unsatisfied"])))
        elif fate < 0.7:
            events.append(dossier_event(did, 2, "returned", t0, channel=ch))
    for i in range(n_feedback):
        t0 = now - timedelta(hours=rng.uniform(1, 200))
        fid = f"F{seed}-{i}"
        events.append(feedback_event(fid, 1, "received", t0))
        if rng.random() < 0.5:
            events.append(feedback_event(fid, 2, "closed", t0,
                                         closed_at=(t0 + timedelta(hours=5)).isoformat()))
    for i in range(n_posts):
        events.append(social_event(f"P{seed}-{i}", now - timedelta(hours=rng.uniform(1, 200))))
    dups = rng.sample(events, k=len(events) // 20)  # re-sent events (at-least-once sources)
    events.extend(json.loads(json.dumps(e)) for e in dups)
    rng.shuffle(events)
    return events
