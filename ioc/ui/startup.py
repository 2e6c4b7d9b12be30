"""The UI process's start: every page's view module imported, the first-use costs of a draw
paid (ioc.warmup), then the objects alive frozen out of the garbage collector's reach
(ioc.startup_gc), before the first page is drawn."""

from __future__ import annotations

import importlib

from ioc.startup_gc import freeze_startup_objects
from ioc.warmup import warm_up

# What the pages import when first drawn (pages/*.py call these views).
PAGE_VIEWS = ("ioc.ui.overview.view", "ioc.ui.dossiers.view", "ioc.ui.feedback.view",
              "ioc.ui.social.view", "ioc.ui.alerts.view", "ioc.ui.thresholds.view",
              "ioc.ui.wall.view")


def start_process() -> bool:
    """Once per process (later calls do nothing); True on the call that froze."""
    for name in PAGE_VIEWS:
        importlib.import_module(name)
    warm_up()
    return freeze_startup_objects()
