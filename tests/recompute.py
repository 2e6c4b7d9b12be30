"""Brute-force recomputation of totals from raw events, independent of the aggregator code:
plain Python over dicts, newest seq per entity wins, posts counted once."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from ioc.db import schema as s
from ioc.reference.calendar import from_office_time, office_time
from tests.helpers import dossier_event, feedback_event, social_event


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
    def total(table, col) -> int:
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
