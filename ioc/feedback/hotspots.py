"""Feedback hotspots: H3 cells whose report count in a window exceeds their own baseline.

Cells. Reports with coordinates are put on H3 cells of resolution 7 (≈ 5.2 km², ≈ 2.5 km
across): a post-2025 commune (tens of km²) holds a handful to a few dozen of them, so the map
says *where in the commune* without splitting one flooded street or one garbage dump over
several cells (resolution 8, ≈ 0.7 km², scatters such a cluster and leaves most cells at a
count of 0 or 1). Reports without coordinates are left out of the cells (their commune is
known, but putting them all on the commune's centroid would make the centre cell look busy
whenever the hotline is); the caller shows how many were left out.

Method (the family of the burst rules, ioc.alerts.bursts: a count against the same window
shifted back whole periods, with a floor). For each cell, `count` = reports received in
[end − window, end); the baseline is the counts of the `baseline_windows` windows shifted back
1..n × `step` (whole days by default, so a morning is compared with earlier mornings, not with
the night). The cell is a hotspot when

    count > limit = max(min_count, mean(baseline) + k × σ(baseline))

(σ the population standard deviation). `min_count` keeps a cell that usually has no report
from being a hotspot at one or two; k × σ lets a cell with a busy but steady market stay quiet.
The windows are half-open; `window` ≤ `step` so the baseline windows never overlap.

Pure (Polars and h3 only): the SQL that fetches the reports is in ioc.feedback.queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import h3
import polars as pl

RESOLUTION = 7


@dataclass(frozen=True)
class HotspotParams:
    window: timedelta = timedelta(hours=24)
    baseline_windows: int = 7
    step: timedelta = timedelta(days=1)
    k: float = 3.0
    min_count: int = 4
    resolution: int = RESOLUTION

    def __post_init__(self) -> None:
        if not timedelta(0) < self.window <= self.step:
            raise ValueError("window must be positive and at most one step long")
        if self.baseline_windows < 1:
            raise ValueError("baseline_windows must be at least 1")

    def first_start(self, end: datetime) -> datetime:
        """Start of the oldest baseline window: the reports to fetch are [this, end)."""
        return end - self.window - self.baseline_windows * self.step


HOTSPOT_SCHEMA: dict[str, pl.DataType] = {
    "cell": pl.String(), "lat": pl.Float64(), "lon": pl.Float64(), "ward_code": pl.String(),
    "count": pl.Int64(), "baseline_mean": pl.Float64(), "baseline_sd": pl.Float64(),
    "limit": pl.Float64(), "is_hotspot": pl.Boolean(),
}


def cell_of(lat: float, lon: float, resolution: int = RESOLUTION) -> str:
    return str(h3.latlng_to_cell(lat, lon, resolution))


def cell_center(cell: str) -> tuple[float, float]:
    lat, lon = h3.cell_to_latlng(cell)
    return float(lat), float(lon)


def hotspot_limit(baseline: Sequence[int], k: float, min_count: float) -> float:
    """max(min_count, mean + k·σ) of a cell's baseline counts (σ: population)."""
    n = len(baseline)
    if n == 0:
        return float(min_count)
    mean = sum(baseline) / n
    var = max(0.0, sum(x * x for x in baseline) / n - mean * mean)
    return max(float(min_count), mean + k * var ** 0.5)


def with_cells(reports: pl.DataFrame, resolution: int = RESOLUTION) -> pl.DataFrame:
    """The reports that have coordinates, with their H3 `cell`."""
    located = reports.filter(pl.col("lat").is_not_null() & pl.col("lon").is_not_null())
    cells = [cell_of(a, b, resolution) for a, b in
             zip(located["lat"].to_list(), located["lon"].to_list(), strict=True)]
    return located.with_columns(pl.Series("cell", cells, dtype=pl.String))


def hotspots(reports: pl.DataFrame, end: datetime,
             params: HotspotParams = HotspotParams()) -> pl.DataFrame:
    """Every cell with at least one report in the window (columns of HOTSPOT_SCHEMA), hotspots
    first, then by count. `reports` has received_at (naive UTC, like `end`), lat, lon and
    ward_code; rows without coordinates or outside [first_start(end), end) are ignored."""
    step_us = params.step // timedelta(microseconds=1)
    window_us = params.window // timedelta(microseconds=1)
    n = params.baseline_windows
    located = with_cells(reports.filter(
        (pl.col("received_at") >= params.first_start(end)) & (pl.col("received_at") < end)),
        params.resolution)
    # Age before `end` in µs; window i (0 = current) holds ages in (i·step, i·step + window].
    age = (pl.lit(end) - pl.col("received_at")).dt.total_microseconds()
    idx = (age - 1) // step_us
    binned = (located.with_columns(idx.alias("i"), (age - idx * step_us).alias("into"))
              .filter((pl.col("into") <= window_us) & (pl.col("i") <= n)))
    if binned.is_empty():
        return pl.DataFrame(schema=HOTSPOT_SCHEMA)
    per = binned.group_by("cell", "i").agg(pl.len().cast(pl.Int64).alias("c"))
    base = pl.col("c").filter(pl.col("i") >= 1)
    stats = per.group_by("cell").agg(
        pl.col("c").filter(pl.col("i") == 0).sum().alias("count"),
        (base.sum() / n).alias("baseline_mean"),
        (base.pow(2).sum() / n).alias("m2"),
    ).filter(pl.col("count") > 0)
    sd = (pl.col("m2") - pl.col("baseline_mean").pow(2)).clip(lower_bound=0).sqrt()
    stats = stats.with_columns(sd.alias("baseline_sd")).with_columns(
        pl.max_horizontal(pl.lit(float(params.min_count)),
                          pl.col("baseline_mean") + params.k * pl.col("baseline_sd"))
        .alias("limit"))
    stats = stats.with_columns((pl.col("count") > pl.col("limit")).alias("is_hotspot"))
    # The commune a cell belongs to, for the map's label: the one most of its reports name.
    wards = (binned.filter(pl.col("i") == 0).group_by("cell", "ward_code").agg(pl.len())
             .sort(["cell", "len", "ward_code"], descending=[False, True, False])
             .group_by("cell", maintain_order=True).first().select("cell", "ward_code"))
    centers = [cell_center(c) for c in stats["cell"].to_list()]
    stats = stats.with_columns(pl.Series("lat", [c[0] for c in centers], dtype=pl.Float64),
                               pl.Series("lon", [c[1] for c in centers], dtype=pl.Float64))
    return (stats.join(wards, on="cell", how="left")
            .sort(["is_hotspot", "count", "cell"], descending=[True, True, False])
            .select(list(HOTSPOT_SCHEMA)).cast(HOTSPOT_SCHEMA))  # type: ignore[arg-type]


def cell_polygon(cell: str) -> list[list[float]]:
    """The cell's boundary as [lon, lat] pairs (pydeck's order)."""
    return [[float(lon), float(lat)] for lat, lon in h3.cell_to_boundary(cell)]
