"""Working-day calendar: weekends, Vietnamese public holidays (lunar Tết), office hours."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ioc.reference import calendar as cal
from ioc.reference.calendar import TZ


def t(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def test_holidays_package_knows_tet_2026_and_national_day() -> None:
    days = cal.holiday_dates(2026)
    # Tết Bính Ngọ: 29 Tết (16 Feb, Mon) to the 4th day (20 Feb, Fri).
    for d in range(16, 21):
        assert date(2026, 2, d) in days
    assert date(2026, 2, 17) in days  # the first day of the lunar year
    assert {date(2026, 9, 1), date(2026, 9, 2)} <= days
    assert {date(2025, 9, 1), date(2025, 9, 2)} <= cal.holiday_dates(2025)


def test_vietnamese_calendar_loaded_alone_gives_the_packages_dates() -> None:
    # The narrow load (holidays/countries/vietnam.py alone) must list what the package's own
    # country_holidays("VN") lists, every year the office-time line is likely to touch.
    for year in range(2000, 2041):
        assert cal.holiday_dates(year) == frozenset(
            holidays.country_holidays("VN", years=year).keys()), year


def test_first_working_day_computation_imports_no_other_country() -> None:
    # A fresh process: the first office time loads the Vietnamese calendar only, not the
    # ≈280 country modules of holidays.countries (0.2–0.8 s of a page's first draw).
    code = ("import sys; from datetime import datetime; from ioc.reference import calendar as c;"
            "c.office_time(datetime(2026, 2, 17, 9, tzinfo=c.TZ));"
            "print(sorted(m for m in sys.modules if m.startswith('holidays.countries')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


@pytest.mark.parametrize(
    ("d", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before Tết
        (date(2026, 2, 14), False),  # Saturday
        (date(2026, 2, 15), False),  # Sunday
        (date(2026, 2, 16), False),  # Tết
        (date(2026, 2, 17), False),
        (date(2026, 2, 20), False),
        (date(2026, 2, 23), True),  # back to work
        (date(2025, 9, 2), False),  # National Day
        (date(2025, 9, 1), False),  # the day off joined to it
        (date(2025, 9, 3), True),
        (date(2025, 11, 22), False),  # an ordinary Saturday
        (date(2025, 11, 24), True),  # an ordinary Monday
        (date(2025, 4, 30), False),  # Reunification Day
    ],
)
def test_is_working_day(d: date, working: bool) -> None:
    assert cal.is_working_day(d) is working


def test_working_days_in_february_2026_excludes_tet() -> None:
    # 20 weekdays minus the five Tết weekdays.
    assert cal.working_days_in(date(2026, 2, 1), date(2026, 2, 28)) == 15
    assert cal.working_days_in(date(2025, 11, 3), date(2025, 11, 9)) == 5


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Same office time N working days later, skipping weekend and Tết.
        (t(2026, 2, 13, 9, 10), 1, t(2026, 2, 23, 9, 10)),
        # Out-of-hours receipt counts from the next opening; a whole day ends at 17:00.
        (t(2026, 2, 13, 20, 0), 1, t(2026, 2, 23, 17, 0)),
        (t(2026, 2, 14, 10, 0), 1, t(2026, 2, 23, 17, 0)),
        # Half a day = 4 office hours, across lunch and across 1–2 September 2025.
        (t(2025, 8, 29, 15, 0), 0.5, t(2025, 9, 3, 9, 30)),
        (t(2025, 11, 21, 9, 0), 0.5, t(2025, 11, 21, 14, 30)),
        (t(2025, 11, 21, 11, 0), 0.25, t(2025, 11, 21, 14, 30)),
        # Lunch-time receipt with 0 days → the afternoon opening.
        (t(2025, 11, 21, 12, 0), 0, t(2025, 11, 21, 13, 0)),
        # 3 working days from Thursday: Fri, Mon, Tue.
        (t(2025, 11, 20, 10, 0), 3, t(2025, 11, 25, 10, 0)),
        # 30 working days for a land certificate filed before Tết.
        (t(2026, 1, 26, 8, 0), 30, t(2026, 3, 16, 8, 0)),
    ],
)
def test_add_working_days(start: datetime, days: float, expected: datetime) -> None:
    got = cal.add_working_days(start, days)
    assert got == expected
    assert got.utcoffset() == timedelta(hours=7)


def test_add_working_days_accepts_any_zone_and_rejects_naive_or_negative() -> None:
    utc = datetime(2026, 2, 13, 2, 10, tzinfo=UTC)  # 09:10 in Hà Nội
    assert cal.add_working_days(utc, 1) == t(2026, 2, 23, 9, 10)
    assert cal.add_working_days(utc, 1).tzinfo is TZ
    with pytest.raises(ValueError, match="naive"):
        cal.add_working_days(datetime(2026, 2, 13, 9, 0), 1)
    with pytest.raises(ValueError):
        cal.add_working_days(utc, -1)


def test_working_days_between() -> None:
    assert cal.working_days_between(t(2026, 2, 13, 9, 10), t(2026, 2, 23, 9, 10)) == 1.0
    assert cal.working_days_between(t(2026, 2, 23, 9, 10), t(2026, 2, 13, 9, 10)) == -1.0
    # Friday closing to Monday opening: no office time.
    assert cal.working_days_between(t(2025, 11, 21, 17, 0), t(2025, 11, 24, 7, 30)) == 0.0
    # Morning 09:00 → 15:00 the same day: 2.5 h + 2 h = 4.5 of 8 office hours.
    assert cal.working_days_between(t(2025, 11, 21, 9, 0), t(2025, 11, 21, 15, 0)) == 4.5 / 8
    # The whole Tết week counts nothing.
    assert cal.working_days_between(t(2026, 2, 13, 17, 0), t(2026, 2, 22, 23, 0)) == 0.0


def test_office_hours() -> None:
    assert cal.is_office_hours(t(2025, 11, 21, 7, 30))
    assert not cal.is_office_hours(t(2025, 11, 21, 12, 0))
    assert not cal.is_office_hours(t(2025, 11, 21, 17, 0))
    assert not cal.is_office_hours(t(2026, 2, 17, 9, 0))  # Tết
    assert cal.next_office_time(t(2025, 11, 21, 18, 0)) == t(2025, 11, 24, 7, 30)


instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(TZ)
)


@settings(max_examples=300, deadline=None)
@given(start=instants, days=st.floats(min_value=0.01, max_value=60))
def test_add_and_between_are_inverse(start: datetime, days: float) -> None:
    due = cal.add_working_days(start, days)
    assert due > start
    assert abs(cal.working_days_between(start, due) - days) < 1e-9
    assert cal.is_working_day(due.date())
    local = due.timetz()
    assert (7, 30) <= (local.hour, local.minute) <= (17, 0)


@settings(max_examples=200, deadline=None)
@given(a=instants, b=instants)
def test_between_is_antisymmetric(a: datetime, b: datetime) -> None:
    assert cal.working_days_between(a, b) == -cal.working_days_between(b, a)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 3, 1))
                | st.none(), max_size=40))
def test_office_times_column_equals_office_time(instants: list) -> None:
    """The aggregator's column-wise office time equals the scalar one, nulls included."""
    import polars as pl

    from ioc.reference.calendar import office_times

    got = office_times(pl.Series("t", instants, dtype=pl.Datetime("us"))).to_list()
    want = [None if t is None else cal.office_time(t.replace(tzinfo=UTC)) for t in instants]
    assert got == want
