"""Shared machinery of the deterministic event simulators.

Determinism without history: the arrivals of each (stream, province, part, hour) come from an
RNG seeded by those values alone, and each arrival's whole lifecycle is drawn at once. An event
belongs to window [t0, t1) iff its occurred_at does, so any split of a time range yields the
same events: events_between(a, c) == events_between(a, b) + events_between(b, c).

To answer a window we regenerate the hours whose entities may still emit events in it, i.e.
arrival hours in [t0 − horizon, t1). A *part* is an independent arrival sub-stream with its own
horizon (short procedures need weeks of look-back, long ones months), and every lifecycle is
clamped to its part's horizon so the look-back is a guarantee, not an estimate. Hours are
cached (LRU) as compact plans; event dicts are only built for events inside the window.
"""

from __future__ import annotations

import hashlib
import math
import random
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import accumulate
from typing import Any, Generic, TypeVar

from ioc.reference.admin_units import Commune, communes, province
from ioc.reference.calendar import TZ

HOUR = 3600
DAY = 86_400

T = TypeVar("T")


class SlotRecord:
    """Base for compact per-entity lifecycle plans: subclasses list __slots__, set by keyword."""

    __slots__ = ()

    def __init__(self, **kw: Any) -> None:
        for k, v in kw.items():
            setattr(self, k, v)


def iso(epoch: float) -> str:
    """ISO 8601 local time with the +07:00 offset, seconds precision."""
    return datetime.fromtimestamp(epoch, TZ).isoformat(timespec="seconds")


def to_epoch(dt: datetime) -> float:
    if dt.tzinfo is None:
        raise ValueError("naive datetime: simulators need aware datetimes")
    return dt.timestamp()


def local(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, TZ)


def hour_rng(seed: int, stream: str, province_code: str, part: str, hour: int) -> random.Random:
    """RNG of one arrival hour; str seeds are hashed with SHA-512 by `random`, so the stream
    is the same in every process (no PYTHONHASHSEED dependence)."""
    return random.Random(f"{seed}:{stream}:{province_code}:{part}:{hour}")


def poisson(rng: random.Random, lam: float) -> int:
    """Poisson draw: Knuth for small means, a rounded normal for large ones (fast enough)."""
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class Weighted(Generic[T]):
    """Weighted random choice over a fixed population (cumulative weights + bisect)."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        if not items or len(items) != len(weights):
            raise ValueError("need as many positive weights as items")
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect_left(self.cum, rng.random() * self.total)]


def commune_weight(c: Commune) -> float:
    """Relative activity of a commune: urban wards (phường) are denser than rural xã; mild
    area effect (bigger communes merged more old ones, hence more people)."""
    kind = {"phường": 2.5, "xã": 1.0, "đặc khu": 0.6}[c.kind]
    area = c.area_km2 or 30.0
    return kind * (max(area, 5.0) / 30.0) ** 0.3


@lru_cache(maxsize=64)
def commune_picker(province_code: str) -> Weighted[Commune]:
    cs = communes(province_code)
    return Weighted(cs, [commune_weight(c) for c in cs])


def jitter_point(rng: random.Random, c: Commune) -> tuple[float, float]:
    """A point near the commune centroid: uniform in a disc of radius sqrt(area)/3 km."""
    radius_km = math.sqrt(c.area_km2 or 30.0) / 3
    r = radius_km * math.sqrt(rng.random())
    a = rng.random() * 2 * math.pi
    dlat = r * math.sin(a) / 111.0
    dlon = r * math.cos(a) / (111.0 * math.cos(math.radians(c.lat)))
    return round(c.lat + dlat, 6), round(c.lon + dlon, 6)


def short_hash(*parts: object, n: int = 16) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:n]


def ascii_slug(text: str, max_len: int = 80) -> str:
    """URL slug of Vietnamese text: accents stripped, đ→d, words joined by '-'."""
    s = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Mn").lower()
    words = "".join(ch if ch.isalnum() else " " for ch in s).split()
    return "-".join(words)[:max_len].rstrip("-")


def place_name(c: Commune) -> str:
    """'xã Lâm Thao', 'phường Việt Trì': how texts name a commune mid-sentence."""
    return f"{c.kind} {c.short_name}"


@dataclass(frozen=True)
class Part:
    """An independent arrival sub-stream; all its events happen < arrival + horizon_s."""

    name: str
    horizon_s: int


# One scheduled event of a cached hour: (epoch, entity key, seq, dup no., plan, event index).
Item = tuple[int, str, int, int, Any, int]


@dataclass(frozen=True)
class HourBatch:
    epochs: tuple[int, ...]  # ascending
    items: tuple[Item, ...]  # same order as epochs
    max_epoch: int


def make_batch(items: list[Item]) -> HourBatch:
    items.sort(key=lambda it: (it[0], it[1], it[2], it[3]))
    epochs = tuple(it[0] for it in items)
    return HourBatch(epochs, tuple(items), epochs[-1] if epochs else -1)


class HourlySimulator:
    """Base class: subclasses set `stream`, `parts`, and implement `_generate` / `_materialize`.

    `_generate(part, hour, rng)` returns the items (see `Item`) of the entities *arriving* in
    that hour; `_materialize(plan, index)` builds the event dict of one item.
    """

    stream: str = ""
    parts: tuple[Part, ...] = ()

    def __init__(self, province_code: str = "25", seed: int = 20250701, rate: float = 1.0) -> None:
        if rate < 0:
            raise ValueError(f"rate must be >= 0, got {rate}")
        self.province = province(province_code)  # ValueError for an unknown code
        self.province_code = province_code
        self.seed = seed
        self.rate = rate
        self._caches = {
            p.name: lru_cache(maxsize=p.horizon_s // HOUR + 96)(self._hour_for(p))
            for p in self.parts
        }

    def _hour_for(self, part: Part) -> Callable[[int], HourBatch]:
        def build(hour: int) -> HourBatch:
            rng = hour_rng(self.seed, self.stream, self.province_code, part.name, hour)
            items = self._generate(part, hour, rng)
            for it in items:  # the look-back guarantee the window logic relies on
                assert it[0] < (hour + 1) * HOUR + part.horizon_s, (self.stream, part, it[:3])
            return make_batch(items)
        return build

    def _generate(self, part: Part, hour: int, rng: random.Random) -> list[Item]:
        raise NotImplementedError

    def _materialize(self, plan: Any, index: int) -> dict[str, Any]:
        raise NotImplementedError

    def events_between(self, t0: datetime, t1: datetime) -> list[dict[str, Any]]:
        """Every event with t0 <= occurred_at < t1, sorted by occurred_at (then entity, seq)."""
        a, b = to_epoch(t0), to_epoch(t1)
        if b <= a:
            return []
        picked: list[Item] = []
        last_hour = math.ceil(b / HOUR) - 1  # hours that start before t1
        for part in self.parts:
            cache = self._caches[part.name]
            first_hour = math.floor((a - part.horizon_s) / HOUR) - 1
            for hour in range(first_hour, last_hour + 1):
                batch = cache(hour)
                if batch.max_epoch < a:
                    continue
                i = bisect_left(batch.epochs, a)
                j = bisect_left(batch.epochs, b)
                picked.extend(batch.items[i:j])
        picked.sort(key=lambda it: (it[0], it[1], it[2], it[3]))
        return [self._materialize(it[4], it[5]) for it in picked]

    def cache_clear(self) -> None:
        for cache in self._caches.values():
            cache.cache_clear()


def clamp_times(times: list[int], limit: int) -> list[int]:
    """Make a lifecycle's times strictly increasing and all < limit (the part's horizon).
    Only pathological draws are touched; the horizons leave room for every normal lifecycle."""
    out: list[int] = []
    for t in times:
        out.append(t if not out or t > out[-1] else out[-1] + 1)
    n = len(out)
    for k in range(n):  # squeeze the tail under the limit, keeping the order
        out[k] = min(out[k], limit - (n - k))
    return out
