"""The freshness knows the embedded broker is down or was just restarted, although the
aggregator's heartbeats go on: red badge with the cause, data_status broker_down/restarted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert

from ioc.db import broker_health
from ioc.db.schema import aggregator_batches
from ioc.kpis.freshness import freshness
from ioc.ui.components import freshness_html


def _live_aggregator(engine: Engine) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(insert(aggregator_batches).values(
            instance="a", consumer_group="g", committed_at=now, heartbeat_at=now,
            events_total=10, last_batch_events=1, lag=0))


def test_broker_down_turns_a_live_heartbeat_red_with_the_cause(engine: Engine):
    _live_aggregator(engine)
    broker_health.mark(engine, "up", cluster_id="c1")
    assert freshness(engine).status == "live"
    broker_health.mark(engine, "down", "process exited with -9", "c1")
    fr = freshness(engine)
    assert fr.stale and fr.broker == "down" and fr.status == "broker_down"
    badge = freshness_html(fr)
    assert 'data-freshness="stale"' in badge and 'data-broker="down"' in badge
    assert "Máy chủ Kafka ngừng" in badge and "process exited with -9" in badge


def test_a_restart_stays_red_for_a_while_then_the_badge_is_live_again(engine: Engine):
    _live_aggregator(engine)
    broker_health.mark(engine, "up", "no answer to ApiVersions within 1s", "c2", restarted=True)
    fr = freshness(engine)
    assert fr.status == "broker_restarted" and "ApiVersions" in (fr.broker_cause or "")
    assert "khởi động lại" in freshness_html(fr)
    later = datetime.now(UTC) + timedelta(minutes=11)
    assert freshness(engine, max_age_seconds=3600, now=later).status == "live"
    broker_health.mark(engine, "stopped")
    assert freshness(engine).broker is None
