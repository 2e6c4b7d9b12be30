"""Once per process, at its start: the first use of what a page draw needs that costs far
more the first time than after, paid before the first viewer's draw instead of in it.

Measured in a fresh process (10 M events, SQLite): the first redaction of report texts took
≈47 ms against ≈3 ms after (Polars builds the redaction patterns' regexes on first use); the
first office-time column ≈28 ms against ≈7 (time-zone conversion and the calendar's working
day tables). Without this, both landed in the first Feedback draw (its report list and map
cell reports)."""

from __future__ import annotations

import threading
from datetime import datetime

import polars as pl

from ioc.events.redact import redact_frame
from ioc.reference.calendar import office_times

_lock = threading.Lock()
_warmed = False
# A made-up report text holding what the patterns look for (a phone number, a name title).
_SAMPLE = "Ông Nguyễn Văn An, số 0912 345 678, phản ánh rác thải tại xóm 3"


def warm_up() -> bool:
    """The first time only (True then): one redaction and one office-time column."""
    global _warmed
    with _lock:
        if _warmed:
            return False
        redact_frame(pl.DataFrame({"text": [_SAMPLE]}, schema={"text": pl.String}))
        office_times(pl.Series("t", [datetime.now()], dtype=pl.Datetime("us")))
        _warmed = True
        return True
