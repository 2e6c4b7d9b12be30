"""The Overview's cache key: equal keys mean equal page data, so it must change with every
committed batch of any instance and with the hour, and nothing else."""

from __future__ import annotations

from datetime import datetime

from ioc.ui.batch_cache import batch_key

NOW = datetime(2026, 12, 6, 9, 20)
T1, T2 = datetime(2026, 12, 6, 9, 19, 58), datetime(2026, 12, 6, 9, 19, 59)


def test_same_batches_same_key() -> None:
    rows = [(T1, 100), (T2, 50)]
    assert batch_key(rows, NOW) == batch_key(list(reversed(rows)), NOW.replace(minute=59))


def test_a_new_commit_of_any_instance_changes_the_key() -> None:
    base = batch_key([(T1, 100), (T2, 50)], NOW)
    assert batch_key([(T1, 100), (T2, 51)], NOW) != base  # more events, same second
    later = datetime(2026, 12, 6, 9, 20, 1)
    assert batch_key([(later, 100), (T2, 50)], NOW) != base  # a commit of an idle batch


def test_the_hour_turning_changes_the_key() -> None:
    rows = [(T1, 100)]
    assert batch_key(rows, NOW) != batch_key(rows, NOW.replace(hour=10, minute=0))


def test_no_aggregator_yet() -> None:
    assert batch_key([], NOW) == ("", 0, "2026-12-06T10:00:00")
    assert batch_key([(None, None)], NOW) == ("", 0, "2026-12-06T10:00:00")
