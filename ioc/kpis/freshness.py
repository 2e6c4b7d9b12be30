"""How fresh the aggregated data is, read from the database (the UI never talks to Kafka).

The aggregator's heartbeats go on while the embedded broker is gone, so the supervisor's
broker_health row is read too: a broker down, or restarted within BROKER_NOTICE_SECONDS
(records it held are being replayed), makes the data not live, with the cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from ioc.db.broker_health import load as load_broker_health
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
    broker: str | None = None  # "down" | "restarted" (recently) | None: nothing to say
    broker_cause: str | None = None
    broker_since: datetime | None = None  # naive UTC: down since, or restarted at

    @property
    def status(self) -> str:
        if self.broker is not None:
            return f"broker_{self.broker}"
        return "stale" if self.stale else "live"


BROKER_NOTICE_SECONDS = 600  # a restart stays on the badge this long (replays under way)


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
    broker, cause, since = _broker_notice(engine, now)
    return Freshness(last_commit, last_hb, lag, len(live), n_dead, age, stale or bool(broker),
                     broker, cause, since)


def _broker_notice(engine: Engine, now: datetime
                   ) -> tuple[str | None, str | None, datetime | None]:
    health = load_broker_health(engine)
    if health is None:
        return None, None, None
    if health.state == "down":
        return "down", health.cause, health.since
    if (health.state == "up" and health.last_restart_at is not None
            and (now - health.last_restart_at).total_seconds() <= BROKER_NOTICE_SECONDS):
        return "restarted", health.cause, health.last_restart_at
    return None, None, None
