"""How fresh the aggregated data is, read from the database (the UI never talks to Kafka).

The aggregator's heartbeats go on while the embedded broker is gone, so the supervisor's
broker_health row is read too: a broker down, or restarted within BROKER_NOTICE_SECONDS
(records it held are being replayed), makes the data not live, with the cause.

Each long-running connector keeps a heartbeat row (ioc.db.connector_heartbeats): a stream
whose connector has had no successful poll for longer than the same threshold (plus its own
pause between polls) is stale too, named with its connector, since when and its last error.
`stream_stale` is that rule, pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from ioc.db.broker_health import load as load_broker_health
from ioc.db.connector_heartbeats import ConnectorHeartbeat
from ioc.db.connector_heartbeats import load as load_heartbeats
from ioc.db.schema import aggregator_batches as ab
from ioc.db.schema import dead_letters
from ioc.settings import load_settings


@dataclass(frozen=True)
class StreamFreshness:
    """One connector's stream as its heartbeat tells it."""
    connector: str
    stream: str  # dossier | feedback | social
    since: datetime  # naive UTC: last successful poll (or the run's start if none yet)
    last_error: str | None  # redacted
    stale: bool


def stream_stale(hb: ConnectorHeartbeat, now: datetime, max_age_seconds: float
                 ) -> StreamFreshness:
    """Stale when the connector's last successful poll is older than the threshold plus its
    pause between polls (a feed polled every 5 min is not stale after 1). A poll that found
    nothing new counts as success: a quiet source is not stale. Never a success: counted from
    the start of its run. Pure."""
    since = hb.last_ok_at or hb.started_at
    allowed = max_age_seconds + max(0.0, hb.interval_seconds)
    return StreamFreshness(hb.connector, hb.stream, since, hb.last_error,
                           (now - since).total_seconds() > allowed)


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
    streams: tuple[StreamFreshness, ...] = ()  # one per live connector heartbeat
    aggregator_stale: bool | None = None  # None: as `stale` (built without the fields below)

    @property
    def stale_streams(self) -> tuple[StreamFreshness, ...]:
        """Streams whose connector stopped delivering, the longest-silent first."""
        return tuple(sorted((s for s in self.streams if s.stale), key=lambda s: s.since))

    @property
    def status(self) -> str:
        if self.broker is not None:
            return f"broker_{self.broker}"
        return "stale" if self.stale else "live"


BROKER_NOTICE_SECONDS = 600  # a restart stays on the badge this long (replays under way)


def freshness(engine: Engine, max_age_seconds: int = 60, max_lag: int = 50000,
              now: datetime | None = None, expiry_seconds: float | None = None) -> Freshness:
    """The one staleness rule of the badge, the wall strip and `ioc status`: the aggregator
    (heartbeat within max_age_seconds, lag within max_lag), the broker, each connector's
    stream. `expiry_seconds` (default IOC_CONNECTOR_EXPIRY_HOURS): older heartbeat rows are
    removed connectors and are ignored."""
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    if expiry_seconds is None:  # a deployment constant; callers pass only the threshold
        expiry_seconds = load_settings().connector_expiry_hours * 3600
    streams = tuple(stream_stale(hb, now, max_age_seconds)
                    for hb in load_heartbeats(engine, now, expiry_seconds))
    with engine.connect() as conn:
        rows = conn.execute(select(ab.c.committed_at, ab.c.heartbeat_at, ab.c.lag)).all()
        n_dead = int(conn.execute(select(func.count()).select_from(dead_letters)).scalar() or 0)
    live = [r for r in rows if (now - r.heartbeat_at).total_seconds() <= max_age_seconds]
    last_commit = max((r.committed_at for r in rows), default=None)
    last_hb = max((r.heartbeat_at for r in rows), default=None)
    age = (now - last_hb).total_seconds() if last_hb else None
    lag = sum(int(r.lag) for r in live)
    agg_stale = not live or lag > max_lag
    broker, cause, since = _broker_notice(engine, now)
    stale = agg_stale or bool(broker) or any(s.stale for s in streams)
    return Freshness(last_commit, last_hb, lag, len(live), n_dead, age, stale,
                     broker, cause, since, streams, agg_stale)


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
