"""How fresh the aggregated data is, read from the database (the UI never talks to Kafka)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from ioc.db.schema import aggregator_batches as ab
from ioc.db.schema import dead_letters


@dataclass
class Freshness:
    last_commit: datetime | None  # naive UTC
    last_heartbeat: datetime | None
    lag: int  # records not yet aggregated, summed over live instances
    instances: int
    dead_letters: int
    age_seconds: float | None  # since the last heartbeat
    stale: bool

    @property
    def status(self) -> str:
        return "stale" if self.stale else "live"


def freshness(engine: Engine, max_age_seconds: int = 60, max_lag: int = 50000,
              now: datetime | None = None) -> Freshness:
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    with engine.connect() as conn:
        rows = conn.execute(select(ab.c.committed_at, ab.c.heartbeat_at, ab.c.lag)).all()
        n_dead = int(conn.execute(select(func.count()).select_from(dead_letters)).scalar() or 0)
    live = [r for r in rows if (now - r.heartbeat_at).total_seconds() <= max_age_seconds]
    last_commit = max((r.committed_at for r in rows), default=None)
    last_hb = max((r.heartbeat_at for r in rows), default=None)
    age = (now - last_hb).total_seconds() if last_hb else None
    lag = sum(int(r.lag) for r in live)
    stale = not live or lag > max_lag
    return Freshness(last_commit, last_hb, lag, len(live), n_dead, age, stale)
