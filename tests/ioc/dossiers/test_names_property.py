"""Property: the names table the aggregator keeps equals a scan of the stored dossiers — per
(kind, code, name) the number of dossiers carrying the pair — for random lifecycles whose
agency and procedure codes and names change between events (empty and missing ones too),
with duplicates, shuffled order, random batches and a batch applied twice; and migration
0017's backfill from the dossiers gives the same table. Runs on SQLite, and on PostgreSQL
when IOC_TEST_DATABASE_URL is set."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import Engine, select

from ioc.db import schema as s
from ioc.db.migrate import alembic_config
from ioc.dossiers.names import NAMED, pick_names
from ioc.dossiers.queries import code_names
from streams.chaos.workload import dossier_event
from tests.helpers import apply_events

PROVINCE = "25"
NOW = datetime(2026, 11, 20, 3, tzinfo=UTC)
AGENCIES = ["", "A1", "A2", "A3"]
PROCEDURES = ["", "1.001", "1.002"]
NAMES = [None, "", "Sở Tư pháp", "Sở Y tế", "UBND xã", "Ủy ban"]


def _events(rng: random.Random, round_: int, n: int) -> list[dict]:
    events: list[dict] = []
    for i in range(n):
        did = f"N{round_}-{i}"
        t0 = NOW - timedelta(hours=rng.uniform(1, 300))
        for seq in range(1, rng.randint(1, 4) + 1):
            kind = "received" if seq == 1 else rng.choice(["in_progress", "returned"])
            events.append(dossier_event(
                did, seq, kind, t0, agency_code=rng.choice(AGENCIES),
                agency_name=rng.choice(NAMES), procedure_code=rng.choice(PROCEDURES),
                procedure_name=rng.choice(NAMES)))
    # Older rounds' dossiers come back with newer and stale events.
    for _ in range(n // 3):
        old = rng.randrange(max(1, round_))
        did = f"N{old}-{rng.randrange(n)}"
        events.append(dossier_event(
            did, rng.randint(1, 8), "in_progress", NOW - timedelta(hours=400),
            agency_code=rng.choice(AGENCIES), agency_name=rng.choice(NAMES),
            procedure_code=rng.choice(PROCEDURES), procedure_name=rng.choice(NAMES)))
    events += [json.loads(json.dumps(e)) for e in rng.sample(events, len(events) // 10)]
    rng.shuffle(events)
    return events


def _scanned(engine: Engine) -> dict[tuple[str, str, str], int]:
    """The old read: every stored dossier's (code, name) pairs, counted."""
    d = s.dossiers
    out: dict[tuple[str, str, str], int] = {}
    with engine.connect() as conn:
        for code, name in NAMED.items():
            q = select(d.c[code], d.c[name]).where(d.c.province_code == PROVINCE)
            for c, nm in conn.execute(q):
                if c and nm:
                    out[(code, c, nm)] = out.get((code, c, nm), 0) + 1
    return out


def _stored(engine: Engine) -> dict[tuple[str, str, str], int]:
    n = s.dossier_names
    with engine.connect() as conn:
        rows = conn.execute(select(n.c.kind, n.c.code, n.c.name, n.c.dossiers)
                            .where(n.c.province_code == PROVINCE)).all()
    assert all(r.dossiers >= 0 for r in rows), rows
    return {(r.kind, r.code, r.name): r.dossiers for r in rows if r.dossiers > 0}


def test_names_table_equals_a_scan_of_the_dossiers(engine: Engine) -> None:
    rng = random.Random(17)
    for round_ in range(6):
        events = _events(rng, round_, 40)
        cut = sorted(rng.sample(range(1, len(events)), 3))
        for a, b in zip([0, *cut], [*cut, len(events)], strict=True):
            apply_events(engine, events[a:b])
        apply_events(engine, events[: len(events) // 2])  # a batch re-read after a crash
        scanned = _scanned(engine)
        assert len({k[0] for k in scanned}) == 2 and len(scanned) > 10
        assert _stored(engine) == scanned
        assert code_names(engine, PROVINCE) == pick_names(scanned)
    assert code_names(engine, "99") == {"agency_code": {}, "procedure_code": {}}

    # Migration 0017's backfill from the dossiers alone gives the same table.
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0016")
        command.upgrade(alembic_config(conn), "head")
    assert _stored(engine) == _scanned(engine)


def test_a_code_with_several_names_shows_the_greatest() -> None:
    pairs = [("agency_code", "A1", "Sở B"), ("agency_code", "A1", "Sở A"),
             ("procedure_code", "1.001", "Khai sinh")]
    assert pick_names(pairs) == {"agency_code": {"A1": "Sở B"},
                                 "procedure_code": {"1.001": "Khai sinh"}}
