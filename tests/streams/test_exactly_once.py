"""Crash between the DB commit and the Kafka commit, and two instances in one group: the
totals always equal a brute-force recomputation from the raw events."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

from streams.aggregator import Aggregator, cluster_id_of
from streams.chaos.workload import db_totals, expected_totals, random_events
from tests import REPO_ROOT
from tests.helpers import drain, lag, now_utc, produce_events

ROOT = str(REPO_ROOT)



def test_crash_after_db_commit_before_kafka_commit(broker, engine, db_url):
    events = random_events(3000, 800, 1500, seed=7, now=now_utc())
    produce_events(broker.bootstrap, events)
    env = {**os.environ, "IOC_KAFKA_BOOTSTRAP": broker.bootstrap, "IOC_DATABASE_URL": db_url,
           "IOC_CRASH_AFTER_DB_COMMIT": "2", "IOC_CONSUMER_GROUP": "g-crash"}
    # Small polls so the crash happens with most events still unread.
    proc = subprocess.run([sys.executable, "-c",
                           "import sys; from streams import aggregator as a;"
                           "from ioc.db.engine import make_engine; import os, threading;"
                           "g=a.Aggregator(os.environ['IOC_KAFKA_BOOTSTRAP'],"
                           "make_engine(os.environ['IOC_DATABASE_URL']), group='g-crash',"
                           "max_poll_records=500); g.run(threading.Event())"],
                          env=env, cwd=ROOT, timeout=180)
    assert proc.returncode == 17  # died right after the 2nd DB commit
    partial = db_totals(engine)
    assert partial["dossier.received"] + partial["social.posts"] + partial[
        "feedback.received"] > 0

    agg = Aggregator(broker.bootstrap, engine, group="g-crash")
    try:
        drain(agg)
    finally:
        agg.close()
    assert db_totals(engine) == expected_totals(events)


def test_two_instances_equal_recomputation(broker, engine):
    events = random_events(2500, 600, 1200, seed=11, now=now_utc() - timedelta(minutes=5))
    produce_events(broker.bootstrap, events)
    stop = threading.Event()
    aggs = [Aggregator(broker.bootstrap, engine, group="g-two", instance=f"i{i}",
                       max_poll_records=400) for i in range(2)]
    threads = [threading.Thread(target=a.run, args=(stop,)) for a in aggs]
    for t in threads:
        t.start()
    cid = cluster_id_of(broker.bootstrap)
    deadline = time.monotonic() + 180
    try:
        while lag(engine, broker.bootstrap, "g-two", cid) and time.monotonic() < deadline:
            stop.wait(0.5)  # the instances work in their threads; check progress periodically
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
        for a in aggs:
            a.close()
    assert db_totals(engine) == expected_totals(events)
    # Both instances did part of the work (the group really split the partitions).
    assert all(a.stats.records > 0 for a in aggs), [a.stats.records for a in aggs]
