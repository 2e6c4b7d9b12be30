"""Simulator as a source: backfill N days in large steps, then follow the wall clock.

The cursor is the simulated-time watermark; simulators are deterministic functions of the
window, so resuming from the watermark neither repeats nor skips an event.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from connectors.base import SourceBatch, record_from_event
from ioc.events.contracts import Contract


class Simulator(Protocol):
    def events_between(self, t0: datetime, t1: datetime) -> list[dict]: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class SimulatorSource:
    def __init__(self, connector_id: str, contract: Contract, simulator: Simulator,
                 backfill_days: float = 30, step: timedelta = timedelta(hours=6),
                 clock: Callable[[], datetime] = utc_now,
                 tick: timedelta = timedelta(seconds=1)) -> None:
        self.connector_id = connector_id
        self.contract = contract
        self.simulator = simulator
        self.backfill = timedelta(days=backfill_days)
        self.step = step
        self.clock = clock
        self.tick = tick  # live mode: windows shorter than this wait for the next poll

    def poll(self, cursor: str | None) -> SourceBatch | None:
        now = self.clock()
        if cursor is None:
            start = (now - self.backfill).replace(minute=0, second=0, microsecond=0)
        else:
            start = datetime.fromisoformat(cursor)
        end = min(start + self.step, now)
        if end - start < self.tick:
            return None
        events = self.simulator.events_between(start, end)
        return SourceBatch([record_from_event(e) for e in events], cursor=end.isoformat())
