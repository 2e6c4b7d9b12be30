"""Once per process, after its start-up imports: move every object alive then into the
garbage collector's permanent generation (`gc.freeze`).

A UI process holds a few hundred thousand objects from Polars, SQLAlchemy, Altair and
Streamlit that live as long as it does; every full collection walked them again — 95–125 ms
each, twice during a fresh process's first page draws (p95 of a cold Feedback or Overview
draw, 10 M events). Frozen, they are never scanned again; they are still freed by reference
counting if they ever go, only a cycle among them would stay (module-level objects, so none
that matter)."""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_frozen = False


def freeze_startup_objects() -> bool:
    """Freeze what is alive now, the first time only; True if this call froze."""
    global _frozen
    with _lock:
        if _frozen:
            return False
        gc.freeze()
        _frozen = True
        return True
