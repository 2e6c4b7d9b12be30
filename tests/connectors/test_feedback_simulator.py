"""The feedback simulator's calibration: the daily hotspot shows up in ioc.feedback.hotspots
while it lasts and fades after, one department holds the most overdue reports, satisfaction
near the seeds' 80 %, all deterministic under the seed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from connectors.simulators.feedback import EPISODE_PROFILE, FeedbackSimulator, episode
from ioc.events.contracts import parse_time
from ioc.feedback.hotspots import HotspotParams, cell_of, hotspots
from ioc.reference.calendar import TZ

DAY = date(2025, 11, 12)  # a Wednesday
SIX_HOURS = HotspotParams(window=timedelta(hours=6), baseline_windows=3)


def utc(epoch_hour: int) -> datetime:
    return datetime.fromtimestamp(epoch_hour * 3600, UTC).replace(tzinfo=None)


def received_frame(events: list[dict[str, Any]]) -> pl.DataFrame:
    rows = [(parse_time(e["received_at"]).astimezone(UTC).replace(tzinfo=None), e["lat"],
             e["lon"], e["ward_code"]) for e in events if e["type"] == "received"]
    return pl.DataFrame(rows, schema={"received_at": pl.Datetime("us"), "lat": pl.Float64,
                                      "lon": pl.Float64, "ward_code": pl.String}, orient="row")


@pytest.fixture(scope="module")
def days() -> list[dict[str, Any]]:
    start = datetime.combine(DAY - timedelta(days=8), datetime.min.time(), TZ)
    return FeedbackSimulator().events_between(start, start + timedelta(days=10))


def test_the_hotspot_is_flagged_while_it_lasts_and_fades_after(days) -> None:
    ep = episode(20250701, "25", DAY)
    cell = cell_of(ep.lat, ep.lon)
    reports = received_frame(days)
    end_of_episode = utc(ep.first_hour + len(EPISODE_PROFILE))
    during = hotspots(reports, end_of_episode, SIX_HOURS)
    flagged = during.filter("is_hotspot")
    assert cell in flagged["cell"].to_list()
    row = flagged.filter(pl.col("cell") == cell).row(0, named=True)
    assert row["count"] >= sum(EPISODE_PROFILE) and row["ward_code"] == ep.commune.code
    # Six hours after it ended the cell is back to its usual (nothing or a stray report).
    after = hotspots(reports, end_of_episode + timedelta(hours=6), SIX_HOURS)
    assert cell not in after.filter("is_hotspot")["cell"].to_list()
    # Its reports are about one subject, from the spot, in that commune.
    cluster = [e for e in days if e["type"] == "received" and e["lat"] is not None
               and cell_of(e["lat"], e["lon"]) == cell
               and utc(ep.first_hour) <= parse_time(e["received_at"]).astimezone(UTC)
               .replace(tzinfo=None) < end_of_episode]
    assert Counter(e["category"] for e in cluster).most_common(1)[0] == (
        ep.category, pytest.approx(sum(EPISODE_PROFILE), abs=2))
    assert {e["ward_code"] for e in cluster} == {ep.commune.code}


def test_a_hotspot_every_day_moves_and_is_deterministic() -> None:
    eps = [episode(20250701, "25", DAY + timedelta(days=k)) for k in range(10)]
    assert len({e.commune.code for e in eps}) >= 6
    assert all(7 <= datetime.fromtimestamp(e.first_hour * 3600, TZ).hour <= 12 for e in eps)
    assert episode.__wrapped__(20250701, "25", DAY) == eps[0]
    assert episode.__wrapped__(1, "25", DAY) != eps[0]


def test_one_department_holds_the_most_overdue_and_satisfaction_is_near_80(days) -> None:
    final: dict[str, dict[str, Any]] = {}
    for e in days:
        final[e["feedback_id"]] = e
    at = datetime.combine(DAY + timedelta(days=2), datetime.min.time(), TZ).isoformat()
    # Deadlines missed in the ten days: closed after due_at, or still open past it at the end
    # (one instant's overdue backlog is too noisy for ten days of a simulated province).
    missed = Counter(e["agency_code"] for e in final.values()
                     if e["agency_code"] and e["due_at"] < at
                     and (e["closed_at"] is None or e["closed_at"] > e["due_at"]))
    (top, n), (_, second) = missed.most_common(2)
    assert top == "SNNMT-25" and n > 1.5 * second
    rated = [e for e in days if e["type"] == "rated"]
    assert 0.72 <= sum(e["rating"] == "satisfied" for e in rated) / len(rated) <= 0.88
