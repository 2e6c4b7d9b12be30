"""The aggregator's transaction runs in a transactor process of its own: that process goes when
the aggregator goes, even by kill -9 (it would otherwise live on, holding a database
connection and hundreds of MB), and a batch it had not committed is applied once by the next
aggregator of the group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from streams.aggregator import Aggregator
from streams.chaos.workload import db_totals, expected_totals, random_events
from streams.transactor import _alive
from tests import REPO_ROOT
from tests.helpers import drain, now_utc, produce_events

# Prints its transactor's pid, then aggregates until killed.
AGGREGATE = (
    "import os, sys, threading; from streams.aggregator import Aggregator;"
    "from ioc.db.engine import make_engine;"
    "g = Aggregator(os.environ['IOC_KAFKA_BOOTSTRAP'], make_engine(os.environ['IOC_DATABASE_URL']),"
    " group='g-kill', max_poll_records=200);"
    "print(*g.transactor.pids, flush=True); g.run(threading.Event())")


def test_transactor_exits_when_the_aggregator_is_killed(broker, engine, db_url):
    events = random_events(3000, 800, 1500, seed=41, now=now_utc())
    produce_events(broker.bootstrap, events)
    env = {**os.environ, "IOC_KAFKA_BOOTSTRAP": broker.bootstrap, "IOC_DATABASE_URL": db_url}
    proc = subprocess.Popen([sys.executable, "-c", AGGREGATE], env=env, cwd=str(REPO_ROOT),
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 1 and pids[0] != proc.pid and _alive(pids[0])
        # Killed while it works through the backlog (200-record batches).
        deadline = time.monotonic() + 60
        while sum(db_totals(engine).values()) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 15
    while _alive(pids[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pids[0]), "the transactor outlived its aggregator"

    agg = Aggregator(broker.bootstrap, engine, group="g-kill")
    mine = agg.transactor.pids
    try:
        drain(agg)
    finally:
        agg.close()
    assert db_totals(engine) == expected_totals(events)
    assert mine and not any(_alive(p) for p in mine)  # closed with its aggregator
