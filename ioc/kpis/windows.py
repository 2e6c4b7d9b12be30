"""Reporting windows and their previous equal period (pure; no I/O).

A window is a half-open range of whole UTC hours ``[start, end)``, because KPIs are sums over
hourly buckets. "Now" is rounded *up* to the next hour, so the current (partial) hour counts.
Days, months, quarters and years are local (Asia/Ho_Chi_Minh, UTC+7 without DST), and local
midnight is a whole UTC hour, so calendar windows align with buckets exactly.

The comparison period is the *previous equal period*: the same length immediately before the
start (month to date on the 21st → the 20 days and hours before the 1st). That keeps the
change fair whatever the window (a partial month is never compared with a full one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from ioc.reference.calendar import TZ

WINDOW_LABELS: dict[str, tuple[str, str]] = {
    "today": ("Hôm nay", "Today"),
    "1h": ("1 giờ", "1 hour"),
    "24h": ("24 giờ", "24 hours"),
    "7d": ("7 ngày", "7 days"),
    "30d": ("30 ngày", "30 days"),
    "month": ("Tháng này", "This month"),
    "quarter": ("Quý này", "This quarter"),
    "ytd": ("Từ đầu năm", "Year to date"),
    "custom": ("Tùy chọn", "Custom range"),
}
WINDOW_NAMES = tuple(WINDOW_LABELS)
_TRAILING = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7),
             "30d": timedelta(days=30)}


@dataclass(frozen=True)
class Period:
    """UTC-naive ``[start, end)`` on whole hours (the database stores naive UTC)."""

    start: datetime
    end: datetime
    window: str

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def previous(self) -> Period:
        return Period(self.start - self.length, self.start, self.window)

    def local_dates(self) -> tuple[date, date]:
        """First and last local day touched (for labels)."""
        first = self.start.replace(tzinfo=UTC).astimezone(TZ).date()
        last = (self.end - timedelta(microseconds=1)).replace(tzinfo=UTC).astimezone(TZ).date()
        return first, last


def _utc_naive(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        return dt
    return dt.astimezone(UTC).replace(tzinfo=None)


def hour_ceil(now: datetime) -> datetime:
    """End of the current hour (UTC-naive): the current partial bucket is inside the window."""
    n = _utc_naive(now)
    floor = n.replace(minute=0, second=0, microsecond=0)
    return floor + timedelta(hours=1)


def _local_midnight_utc(d: date) -> datetime:
    return _utc_naive(datetime(d.year, d.month, d.day, tzinfo=TZ))


def resolve(window: str, now: datetime, first: date | None = None,
            last: date | None = None) -> Period:
    """The window's period at `now` (aware or UTC-naive). `custom` takes local dates
    ``first..last`` inclusive; the other windows end with the current hour."""
    if window == "custom":
        if first is None or last is None:
            raise ValueError("custom window needs a first and a last date (dd/mm/yyyy)")
        if last < first:
            raise ValueError(f"custom window: last date {last} is before first date {first}")
        return Period(_local_midnight_utc(first), _local_midnight_utc(last + timedelta(days=1)),
                      window)
    end = hour_ceil(now)
    if window in _TRAILING:
        return Period(end - _TRAILING[window], end, window)
    aware = _utc_naive(now).replace(tzinfo=UTC).astimezone(TZ)
    today = aware.date()
    if window == "today":
        start_day = today
    elif window == "month":
        start_day = today.replace(day=1)
    elif window == "quarter":
        start_day = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    elif window == "ytd":
        start_day = date(today.year, 1, 1)
    else:
        raise ValueError(f"window must be one of {list(WINDOW_NAMES)}, got {window!r}")
    return Period(_local_midnight_utc(start_day), end, window)


def parse_day(text: str) -> date:
    """dd/mm/yyyy (as Vietnamese users write dates) or ISO yyyy-mm-dd."""
    text = text.strip()
    try:
        if "/" in text:
            return datetime.strptime(text, "%d/%m/%Y").date()
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date (dd/mm/yyyy or yyyy-mm-dd): {text!r}") from None
