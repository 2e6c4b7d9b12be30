"""The embedded broker's health as `ioc up`'s supervisor sees it, kept in the database so the
freshness badge (which never talks to Kafka) can say the broker is down or was restarted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select, update

from ioc.db.schema import broker_health as bh
from ioc.db.upsert import upsert

EMBEDDED = "embedded"


@dataclass(frozen=True)
class BrokerHealth:
    state: str  # up | down | stopped
    cause: str | None  # why it went down last (the restart's cause while the notice lasts)
    since: datetime  # naive UTC
    checked_at: datetime
    restarts: int
    last_restart_at: datetime | None
    cluster_id: str | None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def mark(engine: Engine, state: str, cause: str | None = None, cluster_id: str | None = None,
         restarted: bool = False, name: str = EMBEDDED) -> None:
    """Record a change of state; `restarted` counts a recovery (not a first start)."""
    now = _now()
    with engine.begin() as conn:
        old = conn.execute(select(bh.c.restarts).where(bh.c.name == name)).scalar()
        row = {"name": name, "state": state, "cause": cause, "since": now, "checked_at": now,
               "restarts": int(old or 0) + int(restarted), "cluster_id": cluster_id}
        replace = ["state", "cause", "since", "checked_at", "restarts", "cluster_id"]
        if restarted:
            row["last_restart_at"] = now
            replace.append("last_restart_at")
        elif state == "up" and cause is None:  # a fresh start: the old notice no longer holds
            row["last_restart_at"] = None
            replace.append("last_restart_at")
        upsert(conn, bh, [row], keys=("name",), replace=tuple(replace))


def touch(engine: Engine, name: str = EMBEDDED) -> None:
    """The supervisor still watches: the row's state is current."""
    with engine.begin() as conn:
        conn.execute(update(bh).where(bh.c.name == name).values(checked_at=_now()))


def load(engine: Engine) -> BrokerHealth | None:
    """The most recently checked row (one supervisor per database in practice)."""
    with engine.connect() as conn:
        r = conn.execute(select(bh).order_by(bh.c.checked_at.desc()).limit(1)).first()
    if r is None:
        return None
    return BrokerHealth(r.state, r.cause, r.since, r.checked_at, int(r.restarts),
                        r.last_restart_at, r.cluster_id)
