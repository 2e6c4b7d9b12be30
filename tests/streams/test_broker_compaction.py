"""The embedded broker's memory stays bounded: `ioc up`'s supervisor restarts it empty once
everything in it is aggregated, and the totals still equal a recomputation from the raw events
(nothing lost, nothing counted twice across the restart)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from connectors.registry import CONNECTORS
from ioc.db.engine import make_engine
from ioc.db.schema import connector_checkpoints
from ioc.settings import Settings
from streams.chaos.workload import db_totals, expected_totals
from streams.supervisor import Supervisor


def _cursors(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(connector_checkpoints.c.connector,
                                        connector_checkpoints.c.cursor)).all())


def test_compaction_frees_memory_and_keeps_totals(tmp_path: Path, db_url: str, engine):
    settings = Settings(var_dir=tmp_path / "var", database_url=db_url, sim_backfill_days=3,
                        sim_seed=42, topic_partitions=2)
    sup = Supervisor(settings, simulators=True, ui=False)
    started = datetime.now(UTC)
    try:
        sup.start()
        deadline = time.monotonic() + 180
        # Backfill done: all three connectors have checkpointed a cursor close to now.
        while time.monotonic() < deadline:
            cur = _cursors(engine)
            if len(cur) == 3 and all(
                    (datetime.now().astimezone() - datetime.fromisoformat(c)).total_seconds()
                    < 120 for c in cur.values()):
                break
            sup.stop_event.wait(1.0)  # connectors work in their own processes
        assert len(_cursors(engine)) == 3
        before = sup.broker.rss_mb()
        old_cluster = sup.broker.cluster_id
        assert sup.compact()
        assert sup.broker.cluster_id != old_cluster
        after = sup.broker.rss_mb()
        assert after < before, (before, after)
        # Live traffic continues on the new broker; a second compaction drains it too.
        assert sup.compact()
    finally:
        sup.shutdown()
    cursors = _cursors(engine)
    events = []
    for name, cursor in cursors.items():
        src = CONNECTORS[name](settings)
        # The connector's first cursor: now − backfill, floored to the hour (SimulatorSource).
        first = (started - src.backfill).replace(minute=0, second=0, microsecond=0)
        events += src.simulator.events_between(first, datetime.fromisoformat(cursor))
    assert db_totals(make_engine(db_url)) == expected_totals(events)
    print(f"broker RSS before {before:.0f} MB, after compaction {after:.0f} MB")
