"""Property: the bound on how long a dossier stays open (ioc.kpis.open_bound) is at least every
stored dossier's closed_at − received_at after random lifecycles applied shuffled, in batches,
with a batch re-applied; the state counts at random instants read with the bound equal those
read from every closure since the instant (no bound stored); migration 0019's backfill gives
a bound that holds too. Runs on SQLite, and on PostgreSQL when IOC_TEST_DATABASE_URL is set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, Table, delete, select

from ioc.db import schema as s
from ioc.db.migrate import alembic_config
from ioc.kpis.values import near_due_limit, state_frame
from tests.helpers import apply_events, apply_random_dossiers

SCOPE = "province:25"
T0 = datetime(2026, 8, 25, 17)  # naive UTC


def stored_bound(engine: Engine, bound: Table = s.dossier_open_bound) -> int | None:
    """Province 25's stored bound in `bound` (seconds)."""
    with engine.connect() as conn:
        return conn.execute(select(bound.c.max_open_s)
                            .where(bound.c.province_code == "25")).scalar()


def longest_open(engine: Engine, entities: Table = s.dossiers) -> float:
    """The longest closed_at − received_at among the stored `entities`, in seconds."""
    with engine.connect() as conn:
        rows = conn.execute(select(entities.c.received_at, entities.c.closed_at)
                            .where(entities.c.closed_at.is_not(None))).all()
    return max((c - r).total_seconds() for r, c in rows)


def test_state_counts_read_within_the_open_bound_equal_an_unbounded_read(engine: Engine
                                                                         ) -> None:
    apply_random_dossiers(engine, T0, (3, 10, 24, 41, 63), 50, seed=11, shuffle_seed=2,
                          batches=6, replay_share=4)
    bound = stored_bound(engine)
    assert bound is not None and bound >= longest_open(engine) > 0
    hours = (T0 - timedelta(days=2), T0 + timedelta(days=80))
    n_hours = int((hours[1] - hours[0]).total_seconds() // 3600)
    instants = st.tuples(st.integers(0, n_hours), st.integers(0, 3599))
    by_ = st.lists(st.sampled_from(["ward_code", "agency_code", "sector"]), unique=True,
                   max_size=1)

    def frames(at: datetime, by: list[str]) -> list[tuple]:
        df = state_frame(engine, SCOPE, at, near_due_limit(at), by)
        return sorted(df.iter_rows())

    cases = []

    @settings(max_examples=25, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(i=instants, by=by_)
    def record(i: tuple[int, int], by: list[str]) -> None:
        at = hours[0] + timedelta(hours=i[0], seconds=i[1])
        cases.append((at, by, frames(at, by)))

    record()
    assert any(rows for _, _, rows in cases)
    with engine.begin() as conn:  # no bound stored: every closure since the instant
        conn.execute(delete(s.dossier_open_bound))
    for at, by, rows in cases:
        assert frames(at, by) == rows, (at, by)

    # Migration 0019's backfill from the dossiers gives a bound that holds.
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0018")
        command.upgrade(alembic_config(conn), "head")
    backfilled = stored_bound(engine)
    assert backfilled is not None and backfilled >= longest_open(engine)
    assert backfilled <= bound + 1


def _long_rows(engine: Engine, over: timedelta) -> set[tuple]:
    """What dossier_long_open should hold: every closed dossier open longer than `over`."""
    d = s.dossiers
    with engine.connect() as conn:
        rows = conn.execute(select(d.c.dossier_id, d.c.province_code, d.c.closed_at,
                                   d.c.received_at).where(d.c.closed_at.is_not(None))).all()
    return {tuple(r) for r in rows if r[2] - r[3] > over}


def _listed(engine: Engine) -> set[tuple]:
    lo = s.dossier_long_open
    with engine.connect() as conn:
        return {tuple(r) for r in conn.execute(select(lo.c.dossier_id, lo.c.province_code,
                                                      lo.c.closed_at, lo.c.received_at))}


def test_long_open_list_and_the_state_read_through_it(engine: Engine, monkeypatch) -> None:
    # A threshold of 2 days (30 in production) so that many dossiers of these lifecycles
    # are listed and every instant's read takes the "long" path.
    from ioc.kpis import open_bound, values

    short = timedelta(days=2)
    monkeypatch.setattr(open_bound, "LONG_OPEN", short)
    monkeypatch.setattr(open_bound, "_KEEP_OVER", short - timedelta(seconds=1))
    monkeypatch.setattr(values, "LONG_OPEN", short)
    apply_random_dossiers(engine, T0, (3, 10, 24, 41, 63), 50, seed=5, shuffle_seed=9,
                          batches=6, replay_share=4)
    # Shuffled batches and a re-applied one: the list mirrors the stored states exactly.
    listed = _listed(engine)
    assert listed == _long_rows(engine, short - timedelta(seconds=1))
    assert len(listed) > 10  # not vacuous
    bound = stored_bound(engine)
    assert bound is not None and timedelta(seconds=bound) > short  # the "long" path is taken
    hours = (T0 - timedelta(days=2), T0 + timedelta(days=80))
    n_hours = int((hours[1] - hours[0]).total_seconds() // 3600)
    cases = []

    @settings(max_examples=25, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(i=st.tuples(st.integers(0, n_hours), st.integers(0, 3599)),
           by=st.lists(st.sampled_from(["ward_code", "agency_code", "sector"]), unique=True,
                       max_size=1))
    def record(i: tuple[int, int], by: list[str]) -> None:
        at = hours[0] + timedelta(hours=i[0], seconds=i[1])
        df = state_frame(engine, SCOPE, at, near_due_limit(at), by)
        cases.append((at, by, sorted(df.iter_rows())))

    record()
    assert any(rows for _, _, rows in cases)
    with engine.begin() as conn:  # no bound stored: every closure since the instant
        conn.execute(delete(s.dossier_open_bound))
    for at, by, rows in cases:
        df = state_frame(engine, SCOPE, at, near_due_limit(at), by)
        assert sorted(df.iter_rows()) == rows, (at, by)

    # Migration 0023's backfill lists the dossiers open longer than its frozen 30 days.
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0022")
        command.upgrade(alembic_config(conn), "head")
    month = timedelta(days=30)
    backfilled = _listed(engine)
    assert _long_rows(engine, month) <= backfilled <= _long_rows(engine, month -
                                                                 timedelta(seconds=2))


def test_a_dossier_listed_long_open_leaves_the_list_when_its_state_no_longer_is(engine, monkeypatch
                                                                              ) -> None:
    from ioc.kpis import open_bound

    short = timedelta(days=2)
    monkeypatch.setattr(open_bound, "_KEEP_OVER", short - timedelta(seconds=1))
    received = datetime(2026, 7, 1, 2, tzinfo=UTC)

    def event(seq: int, type_: str, at: datetime, completed: datetime | None) -> dict:
        return {"schema": "ioc.dossier.v1", "event_id": f"L-1:{seq}", "type": type_,
                "occurred_at": at.isoformat(), "source": "test", "seq": seq,
                "province_code": "25", "ward_code": "08494", "dossier_id": "L-1",
                "procedure_code": "1.001", "procedure_name": "Đăng ký khai sinh",
                "sector": "Hộ tịch", "agency_code": "UBND-08494", "agency_name": "UBND xã",
                "level": "commune", "channel": "online", "online_mode": "full",
                "received_at": received.isoformat(),
                "due_at": (received + timedelta(days=3)).isoformat(),
                "completed_at": completed.isoformat() if completed else None,
                "digitized": True, "e_result": True, "fee_vnd": 0, "paid_online": False,
                "rating": None, "applicant_kind": "citizen"}

    done = received + timedelta(days=5)
    apply_events(engine, [event(1, "received", received, None),
                          event(2, "completed", done, done)])
    assert {r[0] for r in _listed(engine)} == {"L-1"}
    # A correction reopens it (a newer seq, no completion): no longer closed, not listed.
    apply_events(engine, [event(3, "in_progress", done + timedelta(hours=1), None)])
    assert _listed(engine) == set()
    # Completed again the next morning after receipt: closed, but not long open.
    soon = received + timedelta(days=1)
    apply_events(engine, [event(4, "completed", soon, soon)])
    assert _listed(engine) == set() == _long_rows(engine, short)
