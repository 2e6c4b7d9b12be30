"""A UI process freezes its start-up objects once, after importing every page's view and
paying a draw's first-use costs (ioc/warmup.py): the garbage collector's full passes then skip
them (ioc/startup_gc.py). Run in a fresh interpreter: freezing is for the life of a
process."""

from __future__ import annotations

import json
import subprocess
import sys

from tests import REPO_ROOT

PROBE = """
import gc, json, sys
import ioc.warmup
from ioc.ui.startup import PAGE_VIEWS, start_process
warmed_before = ioc.warmup._warmed
before = gc.get_freeze_count()
first = start_process()
frozen = gc.get_freeze_count()
again = start_process()
print(json.dumps({"before": before, "first": first, "frozen": frozen, "again": again,
                  "after": gc.get_freeze_count(),
                  "views": [v in sys.modules for v in PAGE_VIEWS],
                  "warmed": [warmed_before, ioc.warmup._warmed, ioc.warmup.warm_up()]}))
"""


def test_start_process_imports_the_pages_then_freezes_once():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=str(REPO_ROOT), check=True,
                         capture_output=True, text=True, timeout=120).stdout
    r = json.loads(out.strip().splitlines()[-1])
    assert r["before"] == 0 and r["first"] is True
    # Every page's modules, with Polars, SQLAlchemy and Streamlit: far more than a bare
    # interpreter's few thousand objects.
    assert r["frozen"] > 100_000
    assert r["again"] is False and r["after"] == r["frozen"]  # once per process
    assert all(r["views"])
    # Warmed by the start, once: a later call does nothing.
    assert r["warmed"] == [False, True, False]
