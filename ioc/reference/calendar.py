"""Working-day calendar of Vietnamese public administration (Asia/Ho_Chi_Minh).

Legal deadlines of administrative procedures count *working days*: Saturdays, Sundays and
public holidays (lunar Tết and Hùng Kings' day included, as the `holidays` package lists them
for VN) do not count. Office hours are 07:30–11:30 and 13:00–17:00 local, so one working day
is 8 office hours and half a day is 4.

Method: every instant maps to its *office time*, the office microseconds elapsed since a fixed
origin (times outside office hours map to the next opening). Deadlines and durations are then
plain additions and subtractions on that line, which makes them exact, O(log n) and mutually
consistent: ``working_days_between(t, add_working_days(t, n)) == n`` for t in office hours.

Limits: compensating *working* Saturdays announced by the government (when a bridge day is
swapped) are not known to the package, so they count as days off; regional or sector-specific
schedules are out of scope. Vietnam has no daylight saving time, so local minutes are uniform.
"""

from __future__ import annotations

import importlib.util
import threading
from bisect import bisect_left
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache, partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import polars as pl

TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_MIN = 60_000_000  # microseconds per minute
# Office segments as [start, end) minutes after local midnight: 07:30–11:30, 13:00–17:00.
SEGMENTS: tuple[tuple[int, int], ...] = ((450, 690), (780, 1020))
_SEG_US = tuple((s * _MIN, e * _MIN) for s, e in SEGMENTS)
_MORNING_US = _SEG_US[0][1] - _SEG_US[0][0]
DAY_US = sum(e - s for s, e in _SEG_US)  # one working day = 8 office hours
MINUTE_US = _MIN
DAY_MINUTES = DAY_US // MINUTE_US  # 480 office minutes in a working day
_BASE_YEAR = 2000  # origin of the office-time line (any year works; holidays are per year)


# The Vietnamese calendar's module, loaded from its file on its own: importing it by name
# runs holidays.countries' __init__, which imports every country's calendar (≈280 modules,
# 0.2–0.8 s on a fresh process's first working-day computation, e.g. the Overview's first
# draw). Same class, same dates (a test compares them with holidays.country_holidays("VN")).
_VN_LOCK = threading.Lock()
_vn_calendar: Callable[..., Any] | None = None


def _vietnam() -> Callable[..., Any]:
    """holidays' Vietnam class from holidays/countries/vietnam.py alone (under a private
    module name, so holidays.countries stays as the package builds it); the package's own
    lookup, which imports every country, if that file cannot be loaded."""
    global _vn_calendar
    with _VN_LOCK:
        if _vn_calendar is None:
            _vn_calendar = partial(holidays.country_holidays, "VN")
            path = Path(holidays.__file__).parent / "countries" / "vietnam.py"
            spec = importlib.util.spec_from_file_location("_ioc_holidays_vn", path)
            if spec is not None and spec.loader is not None and path.is_file():
                module = importlib.util.module_from_spec(spec)
                try:
                    spec.loader.exec_module(module)
                    _vn_calendar = module.Vietnam
                except (ImportError, AttributeError):  # another layout: the package's way
                    pass
        return _vn_calendar


@lru_cache(maxsize=256)
def holiday_dates(year: int) -> frozenset[date]:
    """Vietnamese public holidays (incl. substituted days off) of one year, cached."""
    return frozenset(_vietnam()(years=year).keys())


def is_working_day(d: date) -> bool:
    """Monday–Friday and not a public holiday."""
    if isinstance(d, datetime):  # a datetime is a date subclass: judge its local day
        d = _local(d).date()
    return d.weekday() < 5 and d not in holiday_dates(d.year)


@lru_cache(maxsize=256)
def _workdays(year: int) -> tuple[int, ...]:
    """Ordinals of the working days of a year, ascending."""
    off = {d.toordinal() for d in holiday_dates(year)}
    # Ordinal 1 (1 Jan of year 1) was a Monday: (o - 1) % 7 is the weekday, no date objects
    # (a fresh process walks every year since _BASE_YEAR on its first office time).
    return tuple(o for o in range(date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal())
                 if (o - 1) % 7 < 5 and o not in off)


@lru_cache(maxsize=512)
def _year_offset(year: int) -> int:
    """Number of working days between 1 Jan of the base year and 1 Jan of `year` (signed)."""
    if year == _BASE_YEAR:
        return 0
    if year > _BASE_YEAR:
        return _year_offset(year - 1) + len(_workdays(year - 1))
    return _year_offset(year + 1) - len(_workdays(year))


def _local(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime "
                         "(e.g. tzinfo=ioc.reference.calendar.TZ)")
    return dt.astimezone(TZ)


def _workday_index(d: date) -> int:
    """Index of the first working day on or after `d` on the office-time line."""
    return _year_offset(d.year) + bisect_left(_workdays(d.year), d.toordinal())


def _nth_workday(n: int) -> date:
    year = _BASE_YEAR + n // 250  # ~250 working days a year: a close first guess
    while _year_offset(year) > n:
        year -= 1
    while _year_offset(year + 1) <= n:
        year += 1
    return date.fromordinal(_workdays(year)[n - _year_offset(year)])


def office_time(dt: datetime) -> int:
    """Office microseconds from the origin to `dt` (instants outside office hours take the
    value of the next opening). Differences of two values are office durations."""
    local = _local(dt)
    d = local.date()
    n = _workday_index(d)
    if not is_working_day(d):
        return n * DAY_US  # not a working day: the next working day's opening
    us = ((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000 + local.microsecond
    within = 0
    for start, end in _SEG_US:
        within += min(max(us - start, 0), end - start)
    return n * DAY_US + within


def from_office_time(x: int, at_end: bool = True) -> datetime:
    """Local datetime of office time `x`. Values on a segment boundary are ambiguous
    (17:00 equals next day's 07:30); `at_end` picks the end of the earlier segment, which is
    how a deadline reads ("by 17:00"), otherwise the next opening."""
    n, r = divmod(x, DAY_US)
    if at_end and r == 0 and x > 0:
        n, r = n - 1, DAY_US
    if at_end:
        seg_us = _SEG_US[0][0] + r if r <= _MORNING_US else _SEG_US[1][0] + r - _MORNING_US
    else:
        seg_us = _SEG_US[0][0] + r if r < _MORNING_US else _SEG_US[1][0] + r - _MORNING_US
    d = _nth_workday(n)
    return datetime(d.year, d.month, d.day, tzinfo=TZ) + timedelta(microseconds=seg_us)


def next_office_time(dt: datetime) -> datetime:
    """`dt` itself if inside office hours of a working day, else the next opening."""
    return from_office_time(office_time(dt), at_end=False)


def add_working_days(start: datetime, days: float) -> datetime:
    """Deadline `days` working days after `start` (aware in, aware Asia/Ho_Chi_Minh out).

    Counted in office time: 09:10 Monday + 1 → 09:10 Tuesday; a receipt outside office hours
    counts from the next opening, so Friday 20:00 + 1 → Monday 17:00; + 0.5 = 4 office hours.
    """
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    base = office_time(start)
    if days == 0:
        return from_office_time(base, at_end=False)
    return from_office_time(base + round(days * DAY_US), at_end=True)


def working_days_between(a: datetime, b: datetime) -> float:
    """Office time from `a` to `b` in working days of 8 office hours (negative if b < a)."""
    return (office_time(b) - office_time(a)) / DAY_US


def is_office_hours(dt: datetime) -> bool:
    """Inside 07:30–11:30 or 13:00–17:00 of a working day (local)."""
    local = _local(dt)
    if not is_working_day(local.date()):
        return False
    minute = local.hour * 60 + local.minute
    return any(s <= minute < e for s, e in SEGMENTS)


def working_days_in(first: date, last: date) -> int:
    """Number of working days in the closed date range [first, last]."""
    if last < first:
        return 0
    return _workday_index(last + timedelta(days=1)) - _workday_index(first)


def office_times(instants: pl.Series) -> pl.Series:
    """`office_time` of a whole column of naive-UTC datetimes at once (nulls stay null).

    The calendar lookups run once per distinct local day, the rest is column arithmetic:
    the aggregator needs this for every completed dossier of a batch.
    """
    local = instants.dt.replace_time_zone("UTC").dt.convert_time_zone(str(TZ))
    days = local.dt.date()
    uniq = days.drop_nulls().unique().to_list()
    index = days.replace_strict(uniq, [_workday_index(d) for d in uniq], default=None,
                                return_dtype=pl.Int64)
    working = days.replace_strict(uniq, [is_working_day(d) for d in uniq], default=None,
                                  return_dtype=pl.Boolean)
    us = ((local.dt.hour().cast(pl.Int64) * 60 + local.dt.minute()) * 60
          + local.dt.second()) * 1_000_000 + local.dt.microsecond()
    frame = pl.DataFrame({"n": index, "w": working, "us": us})
    within = pl.sum_horizontal([(pl.col("us") - start).clip(0, end - start)
                                for start, end in _SEG_US])
    return frame.select(
        (pl.col("n") * DAY_US + pl.when(pl.col("w")).then(within).otherwise(0))
        .alias(instants.name)).to_series()


__all__ = [
    "TZ", "DAY_US", "SEGMENTS", "holiday_dates", "is_working_day", "add_working_days",
    "working_days_between", "office_time", "from_office_time", "next_office_time",
    "is_office_hours", "working_days_in", "office_times",
]
