"""Property: the aggregator's bulk write path (decode → apply → DB-API upserts in one
transaction per batch) leaves KPIs equal to a brute-force recomputation from the raw events,
whatever the batching, with duplicates, out-of-order arrival and batches re-read after a
crash (a re-read batch is one whose DB commit happened but whose offsets Kafka never got).
Runs on SQLite, and on PostgreSQL when IOC_TEST_DATABASE_URL is set."""

from __future__ import annotations

import random
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select

from ioc.db import schema as s
from streams.chaos.workload import db_totals, expected_totals, random_events
from tests.helpers import apply_events, now_utc

# The dossier rollups (full and narrow) and the processing-time histogram: all kept by the
# same write path, so compared bucket for bucket too.
DERIVED = (*s.ROLLUPS["dossier_buckets"].values(),
           *[t for ts in s.NARROW_ROLLUPS["dossier_buckets"].values() for t in ts],
           *s.P90_ROLLUPS.values())
TABLES = (s.dossiers, s.feedback, s.social_posts, s.dossier_buckets, s.feedback_buckets,
          s.social_buckets, *DERIVED)


def _empty(engine: Engine) -> None:
    with engine.begin() as conn:
        for t in TABLES:
            conn.execute(delete(t))


def _nonzero(totals: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in totals.items() if v}  # the recomputation omits zero totals


def _buckets(engine: Engine) -> dict[str, list[tuple]]:
    """Every non-zero bucket row of every stream, sorted: an exact comparison."""
    out = {}
    with engine.connect() as conn:
        for t in (s.dossier_buckets, s.feedback_buckets, s.social_buckets, *DERIVED):
            dims = [c for c in t.c if c.primary_key]
            rows = conn.execute(select(*t.c).order_by(*dims)).all()
            n = len(dims)
            out[t.name] = [tuple(r) for r in rows if any(v != 0 for v in tuple(r)[n:])]
    return out


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_d=st.integers(1, 120), n_f=st.integers(0, 40),
       n_p=st.integers(0, 40), cuts=st.lists(st.floats(0, 1), max_size=6),
       replays=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), max_size=3))
def test_bulk_write_path_equals_recomputation(engine: Engine, seed: int, n_d: int, n_f: int,
                                              n_p: int, cuts: list[float],
                                              replays: list[tuple[float, float]]) -> None:
    now = now_utc() - timedelta(minutes=5)
    events = random_events(n_d, n_f, n_p, seed=seed, now=now)
    # Extra out-of-order arrival: some entities' newest event first, then the older ones.
    rng = random.Random(seed)
    rng.shuffle(events)
    bounds = sorted({0, len(events), *(int(c * len(events)) for c in cuts)})
    batches = [events[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]

    _empty(engine)
    for i, batch in enumerate(batches):
        apply_events(engine, batch)
        for start, length in replays:  # a crash after the DB commit: the batch is re-read
            if int(start * len(batches)) == i:
                j = min(len(events), int(start * len(events)) + int(length * 200))
                apply_events(engine, events[int(start * len(events)):j] or batch)
    assert _nonzero(db_totals(engine)) == _nonzero(expected_totals(events))
    incremental = _buckets(engine)

    # The same events in one batch, newest state only once: bucket for bucket identical.
    _empty(engine)
    apply_events(engine, events)
    assert _buckets(engine) == incremental
