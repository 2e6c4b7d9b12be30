"""Hotspots on H3 cells (pure): a planted cluster is found, steady and busy-but-usual cells
are not, the window edges and the limit are exact."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import polars as pl
import pytest

from ioc.feedback.hotspots import (
    HOTSPOT_SCHEMA,
    HotspotParams,
    cell_center,
    cell_of,
    cell_polygon,
    hotspot_limit,
    hotspots,
)

END = datetime(2026, 11, 20, 5)  # naive UTC, 12:00 in Vietnam
SCHEMA = {"received_at": pl.Datetime("us"), "lat": pl.Float64, "lon": pl.Float64,
          "ward_code": pl.String}
# Centres of three distinct resolution-7 cells in Phú Thọ.
CELLS = [cell_of(21.32, 105.40), cell_of(21.40, 105.22), cell_of(21.20, 105.10)]
PLANTED, STEADY, BUSY = CELLS


def frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def at_cell(cell: str, when: datetime, ward: str = "X") -> tuple:
    lat, lon = cell_center(cell)
    return (when, lat, lon, ward)


def test_a_planted_cluster_is_found_and_steady_cells_are_not() -> None:
    rng = random.Random(7)
    rows = []
    for day in range(0, 8):  # day 0 = the current 24 h window
        base = END - timedelta(days=day)
        # Steady cell: 6 reports every day, today too.
        rows += [at_cell(STEADY, base - timedelta(hours=rng.uniform(0, 23.9)), "S")
                 for _ in range(6)]
        # Busy cell: 8 to 14 a day; today 12 is within its usual swing.
        n = 12 if day == 0 else rng.randint(8, 14)
        rows += [at_cell(BUSY, base - timedelta(hours=rng.uniform(0, 23.9)), "B")
                 for _ in range(n)]
        # Planted cell: nothing or one a day, then a cluster of 9 in the last hours.
        n = 9 if day == 0 else rng.randint(0, 1)
        rows += [at_cell(PLANTED, base - timedelta(hours=rng.uniform(0, 5)), "P")
                 for _ in range(n)]
    out = hotspots(frame(rows), END)
    assert out.schema == pl.Schema(HOTSPOT_SCHEMA)
    by = {r["cell"]: r for r in out.iter_rows(named=True)}
    assert set(by) == set(CELLS)
    assert out.filter("is_hotspot")["cell"].to_list() == [PLANTED]
    assert out["cell"][0] == PLANTED  # hotspots first
    assert by[PLANTED]["count"] == 9 and by[PLANTED]["ward_code"] == "P"
    assert by[STEADY]["count"] == 6 and by[STEADY]["baseline_mean"] == 6.0
    assert by[STEADY]["baseline_sd"] == 0.0 and by[STEADY]["limit"] == 6.0
    assert by[BUSY]["count"] == 12 and by[BUSY]["limit"] > 12
    # The cell's centre, not one report's point, is what the map draws.
    assert (by[PLANTED]["lat"], by[PLANTED]["lon"]) == pytest.approx(cell_center(PLANTED))


def test_a_cluster_that_fades_is_no_longer_a_hotspot() -> None:
    cluster = [at_cell(PLANTED, END - timedelta(hours=h, minutes=10)) for h in range(8, 14)
               for _ in range(2)]  # 12 reports 8–14 hours before END
    six = HotspotParams(window=timedelta(hours=6))
    assert hotspots(frame(cluster), END - timedelta(hours=7), six)["is_hotspot"].to_list() \
        == [True]
    assert hotspots(frame(cluster), END, six).is_empty()  # the last 6 h are quiet
    # A day later the cluster is in the baseline: one report there is nothing.
    later = [*cluster, at_cell(PLANTED, END + timedelta(hours=16))]
    out = hotspots(frame(later), END + timedelta(hours=17), six)
    assert out["count"].to_list() == [1] and out["is_hotspot"].to_list() == [False]


def test_window_edges_and_reports_without_coordinates() -> None:
    p = HotspotParams(window=timedelta(hours=6), min_count=1)
    rows = [at_cell(PLANTED, END - timedelta(hours=6)),        # first instant: in
            at_cell(PLANTED, END - timedelta(microseconds=1)),  # last instant: in
            at_cell(PLANTED, END),                              # end: out
            at_cell(PLANTED, END - timedelta(hours=6, microseconds=1)),  # before: out
            (END - timedelta(hours=1), None, None, "N")]        # no coordinates: out
    out = hotspots(frame(rows), END, p)
    assert out.select("cell", "count", "baseline_mean", "is_hotspot").rows() == [
        (PLANTED, 2, 0.0, True)]
    # A baseline window is the current one shifted by whole steps, edges included.
    shifted = [at_cell(PLANTED, END - timedelta(days=1, hours=6)),
               at_cell(PLANTED, END - timedelta(days=7, microseconds=1)),
               at_cell(PLANTED, END - timedelta(days=8))]  # beyond the 7th window
    out = hotspots(frame([*rows[:2], *shifted]), END, p)
    assert out["baseline_mean"].to_list() == [pytest.approx(2 / 7)]


def test_limit_is_mean_plus_k_sigma_with_a_floor() -> None:
    assert hotspot_limit([0] * 7, 3.0, 4) == 4.0
    assert hotspot_limit([], 3.0, 4) == 4.0
    assert hotspot_limit([1, 2, 3], 3.0, 0) == pytest.approx(2 + 3 * (2 / 3) ** 0.5)
    assert hotspot_limit([10, 10, 10], 3.0, 4) == 10.0


def test_params_refuse_overlapping_baseline_windows() -> None:
    with pytest.raises(ValueError, match="window"):
        HotspotParams(window=timedelta(days=2))
    with pytest.raises(ValueError, match="baseline"):
        HotspotParams(baseline_windows=0)
    p = HotspotParams(window=timedelta(hours=6), baseline_windows=3)
    assert p.first_start(END) == END - timedelta(days=3, hours=6)


def test_cell_polygon_surrounds_its_centre() -> None:
    poly = cell_polygon(PLANTED)
    lat, lon = cell_center(PLANTED)
    assert len(poly) == 6
    assert min(p[0] for p in poly) < lon < max(p[0] for p in poly)
    assert min(p[1] for p in poly) < lat < max(p[1] for p in poly)
