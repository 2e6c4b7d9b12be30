"""Dossier lifecycle arithmetic on the working-day calendar (pure; naive UTC in and out).

received → in progress → supplement requested ⏸ → supplement received ▶ → completed on time
or late / returned / cancelled → rated.

The contract's `due_at` is the deadline *without* pauses. While the applicant supplements, the
clock stops: the dossier is neither overdue nor near-due, and once the supplement is received
the deadline moves by the paused office time (``add_working_days`` semantics, so a pause from
Friday 16:00 to Monday 08:30 costs one office hour, not a weekend). Processing time is the
office time from receipt to result minus that pause, in working days of 8 office hours.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ioc.reference.calendar import MINUTE_US, from_office_time, office_time


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def _naive(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None)


def pause_office_us(paused_at: datetime | None, resumed_at: datetime | None) -> int:
    """Office time the clock stood still (0 without a finished pause)."""
    if paused_at is None or resumed_at is None:
        return 0
    return max(0, office_time(_aware(resumed_at)) - office_time(_aware(paused_at)))


def effective_due(due_at: datetime, paused_at: datetime | None,
                  resumed_at: datetime | None) -> datetime:
    """Deadline after a finished pause; `due_at` itself without one (naive in → naive out)."""
    pause = pause_office_us(paused_at, resumed_at)
    if pause == 0:
        return due_at
    moved = from_office_time(office_time(_aware(due_at)) + pause, at_end=True)
    return _naive(moved) if due_at.tzinfo is None else moved.astimezone(UTC)


def processing_minutes(received_at: datetime, completed_at: datetime,
                       paused_at: datetime | None, resumed_at: datetime | None) -> int:
    """Office minutes from receipt to result, net of the supplement pause."""
    total = office_time(_aware(completed_at)) - office_time(_aware(received_at))
    if resumed_at is not None and resumed_at <= completed_at:
        total -= pause_office_us(paused_at, resumed_at)
    return max(0, (total + MINUTE_US // 2) // MINUTE_US)  # to the nearest minute, half up
