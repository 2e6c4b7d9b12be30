"""`ioc status`: broker reachability and health (restarts by `ioc up`), end offsets, lag, last
batch time, dead letters."""

from __future__ import annotations

from typing import Any

from kafka.errors import KafkaError
from sqlalchemy import Engine

from ioc.db.broker_health import load as load_broker_health
from ioc.db.migrate import migrated_engine
from ioc.kpis.freshness import freshness
from ioc.settings import Settings
from streams.discovery import resolve_bootstrap
from streams.lag import end_offsets, group_lag
from streams.topics import ALL_TOPICS


def collect_status(settings: Settings) -> dict[str, Any]:
    engine = migrated_engine(settings.database_url)
    fresh = freshness(engine, settings.freshness_seconds)
    out: dict[str, Any] = {
        "broker": {"bootstrap": resolve_bootstrap(settings), "reachable": False,
                   "embedded": settings.embedded_broker},
        "topics": {},
        "consumer_lag": None,
        "last_committed_batch": fresh.last_commit.isoformat() + "Z" if fresh.last_commit
        else None,
        "last_heartbeat": fresh.last_heartbeat.isoformat() + "Z" if fresh.last_heartbeat
        else None,
        "aggregator_instances": fresh.instances,
        "data_status": fresh.status,
        "dead_letters": {"archived": fresh.dead_letters, "in_topic": None},
        "broker_health": _health(engine),
    }
    bootstrap = out["broker"]["bootstrap"]
    if bootstrap:
        try:
            from streams.aggregator import cluster_id_of

            cid = cluster_id_of(bootstrap)
            ends = end_offsets(bootstrap, list(ALL_TOPICS))
            out["broker"].update(reachable=True, cluster_id=cid)
            for tp, end in sorted(ends.items()):
                out["topics"].setdefault(tp.topic, {})[str(tp.partition)] = end
            lag = group_lag(engine, settings.consumer_group, cid,
                            {tp: e for tp, e in ends.items() if tp.topic != "ioc.alerts"})
            out["consumer_lag"] = {"group": settings.consumer_group,
                                   "total": sum(lag.values()),
                                   "by_topic": _by_topic(lag)}
            out["dead_letters"]["in_topic"] = sum(e for tp, e in ends.items()
                                                  if tp.topic == "ioc.dlq")
        except (KafkaError, OSError) as exc:
            out["broker"]["error"] = repr(exc)
    engine.dispose()
    return out


def _health(engine: Engine) -> dict[str, Any] | None:
    """The supervisor's view of the embedded broker: state, why it last went down, restarts."""
    h = load_broker_health(engine)
    if h is None:
        return None
    return {"state": h.state, "cause": h.cause, "since": h.since.isoformat() + "Z",
            "restarts": h.restarts, "cluster_id": h.cluster_id,
            "last_restart_at": h.last_restart_at.isoformat() + "Z" if h.last_restart_at
            else None, "checked_at": h.checked_at.isoformat() + "Z"}


def _by_topic(lag: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for tp, n in lag.items():
        out[tp.topic] = out.get(tp.topic, 0) + n
    return out
