"""Property: the feedback response / close times stored at write time (feedback.response_us,
close_us; the histogram feedback_times_day/_month; migration 0020) and the narrow feedback
rollups give the same figures as computing them from the report rows, as the KPI tiles did
before (office time per report, mean, nearest-rank p90 over the reports responded / closed in
the window). Reports of random channels, categories, agencies and communes over a span with
Tết and weekends, responded, closed, rated, reassigned (a later state moves them to other
buckets) and reopened (their close time goes away), their events duplicated, shuffled and
applied by the aggregator's write path in random batches, a third replayed. Checked: every
row's stored durations, the histograms against a recount, the narrow rollups against the
hourly buckets, the migration's backfill against the write path, and for random windows and
groupings the times, the drill options and the tiles. SQLite, and PostgreSQL when
IOC_TEST_DATABASE_URL is set."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

import polars as pl
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, and_, or_, select

from ioc.db import schema as s
from ioc.db.columns import FEEDBACK_COUNTERS, FEEDBACK_DIMS
from ioc.db.migrate import alembic_config
from ioc.feedback.queries import (
    LIST_COLUMNS,
    REPORT_COLUMNS,
    feedback_options,
    report_list,
    with_age,
    with_state,
)
from ioc.kpis.buckets import regroup, roll_up
from ioc.kpis.feedback_scorecard import DURATIONS
from ioc.kpis.feedback_times import time_rows
from ioc.kpis.feedback_values import feedback_card, times_frame
from ioc.kpis.values import _rows_frame, bucket_frame
from ioc.kpis.windows import Period
from ioc.reference.calendar import DAY_US, office_times
from streams.chaos.workload import iso
from tests.helpers import apply_events

SCOPE = "province:25"
T0 = datetime(2026, 1, 20, 1)  # naive UTC; ~100 days with Tết (17 Feb 2026) and weekends
SPAN_DAYS = 100
EVERYTHING = (datetime(2000, 1, 1), datetime(2100, 1, 1))
CHANNELS = ("hotline_1022", "web", "zalo")
CATEGORIES = ("môi trường", "giao thông", "đất đai")
WARDS = ("08494", "08500", "08512")
REPORT_SCHEMA = {c: pl.Datetime("us") if c.endswith("_at") else pl.Float64
                 if c in ("lat", "lon") else pl.String for c in REPORT_COLUMNS}
TIMES = {"response_days": ("responded_at",), "close_days": ("closed_at",)}


def _event(fid: str, seq: int, type_: str, at: datetime, state: dict) -> dict:
    return {
        "schema": "ioc.feedback.v1", "event_id": f"{fid}:{seq}", "type": type_,
        "occurred_at": iso(at), "source": "test", "seq": seq, "province_code": "25",
        "feedback_id": fid, "text": "Rác thải chưa được thu gom", "lat": 21.3, "lon": 105.3,
        "address": None, **state,
    }


def _lifecycles(seed: int, n: int) -> list[dict]:
    rng = random.Random(seed)
    events = []
    for i in range(n):
        fid = f"FT{seed}-{i}"
        received = T0 + timedelta(minutes=rng.randrange(SPAN_DAYS * 1440))
        ward = rng.choice(WARDS)
        state = {"ward_code": ward, "agency_code": f"UBND-{ward}",
                 "channel": rng.choice(CHANNELS), "category": rng.choice(CATEGORIES),
                 "received_at": iso(received), "due_at": iso(received + timedelta(days=5)),
                 "status": "received", "rating": None, "responded_at": None,
                 "closed_at": None}
        events.append(_event(fid, 1, "received", received, dict(state)))
        t, seq = received, 1
        if rng.random() < 0.8:
            t += timedelta(minutes=rng.randrange(0, 20 * 1440))
            seq += 1
            state.update(status="responded", responded_at=iso(t))
            events.append(_event(fid, seq, "responded", t, dict(state)))
        if rng.random() < 0.6:
            t += timedelta(minutes=rng.randrange(0, 15 * 1440))
            seq += 1
            state.update(status="closed", closed_at=iso(t))
            events.append(_event(fid, seq, "closed", t, dict(state)))
            if rng.random() < 0.3:
                seq += 1
                state.update(rating=rng.choice(["satisfied", "unsatisfied"]))
                events.append(_event(fid, seq, "rated", t, dict(state)))
        if rng.random() < 0.15:  # reassigned: the same times in other buckets
            seq += 1
            ward = rng.choice(WARDS)
            state.update(category=rng.choice(CATEGORIES), ward_code=ward,
                         agency_code=f"UBND-{ward}")
            events.append(_event(fid, seq, "assigned" if state["status"] != "closed"
                                 else "closed", t, dict(state)))
        if state["closed_at"] and rng.random() < 0.1:  # reopened: no close time any more
            seq += 1
            state.update(status="assigned", closed_at=None, rating=None)
            events.append(_event(fid, seq, "assigned", t + timedelta(hours=1), dict(state)))
    return events


def _apply(engine: Engine) -> None:
    events = _lifecycles(7, 700)
    rng = random.Random(11)
    events += rng.sample(events, len(events) // 5)  # duplicates
    rng.shuffle(events)
    cut = sorted(rng.sample(range(1, len(events)), 8))
    for a, b in zip([0, *cut], [*cut, len(events)], strict=True):
        apply_events(engine, events[a:b])
    apply_events(engine, events[: len(events) // 3])  # a batch re-read after a crash


def _reports(engine: Engine) -> pl.DataFrame:
    f = s.feedback
    cols = ["feedback_id", "province_code", "channel", "category", "agency_code", "ward_code",
            "received_at", "responded_at", "closed_at", "is_open", "response_us", "close_us"]
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(*[f.c[c] for c in cols]))]
    return pl.DataFrame(rows, orient="row", schema={
        c: (pl.Datetime("us") if c.endswith("_at") else pl.Boolean if c == "is_open"
            else pl.Int64 if c.endswith("_us") else pl.String) for c in cols})


def _table(engine: Engine, t) -> pl.DataFrame:
    keys = [c.name for c in t.primary_key.columns]
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(*t.c))]
    df = pl.DataFrame(rows, orient="row", schema={
        c.name: (pl.Datetime("us") if c.name == "hour" else pl.String
                 if c.name in keys and c.name != "bin" else pl.Int64) for c in t.columns})
    counters = [c for c in df.columns if c not in keys]
    return df.filter(pl.any_horizontal([pl.col(c) != 0 for c in counters])).sort(keys)


def _old_times(reports: pl.DataFrame, start: datetime, end: datetime, by: list[str]
               ) -> dict[tuple, tuple[int, float, float, int]]:
    """What the tiles computed before 0020 (ioc.kpis.feedback_scorecard._durations then):
    office time per report of the window in working days, its mean and nearest-rank p90,
    per group of `by` and kind; with n and the p90's office microseconds."""
    out = {}
    for kind, (col,) in TIMES.items():
        done = reports.filter(pl.col(col).is_not_null() & (pl.col(col) >= start)
                              & (pl.col(col) < end))
        us = office_times(done[col]) - office_times(done["received_at"])
        done = done.with_columns(us.alias("_us"), (us / DAY_US).alias("_d"))
        if done.is_empty():
            continue
        keys = by or [pl.lit("").alias("_all")]
        rank = (pl.len() * 0.9).ceil().cast(pl.Int64) - 1
        agg = done.group_by(keys).agg(
            pl.len().alias("n"), pl.col("_d").mean().alias("mean"),
            pl.col("_d").sort().get(rank).alias("p90"),
            pl.col("_us").sort().get(rank).alias("p90_us"))
        for r in agg.iter_rows(named=True):
            out[(kind, *[r[c] for c in by])] = (r["n"], r["mean"], r["p90"], r["p90_us"])
    return out


def test_stored_feedback_times_equal_report_rows(engine: Engine) -> None:
    _apply(engine)
    reports = _reports(engine)
    assert reports.height == 700
    assert reports["closed_at"].is_not_null().sum() > 200
    assert reports.filter(pl.col("closed_at").is_null() & pl.col("responded_at").is_null()
                          ).height > 20
    # Every report's stored office microseconds are those of its stored times.
    start = office_times(reports["received_at"])
    assert reports["response_us"].equals(office_times(reports["responded_at"]) - start,
                                         check_names=False)
    assert reports["close_us"].equals(office_times(reports["closed_at"]) - start,
                                      check_names=False)
    assert (reports["response_us"].is_null() == reports["responded_at"].is_null()).all()
    # The histograms equal a recount of the stored reports.
    day = regroup(time_rows(reports), ("hour", "province_code", "kind", "bin"),
                  ("reports", "total_us")).sort("hour", "province_code", "kind", "bin")
    month = roll_up(day, "month", ("hour", "province_code", "kind", "bin"),
                    ("reports", "total_us")).sort("hour", "province_code", "kind", "bin")
    hist = {g: _table(engine, t) for g, t in s.FEEDBACK_TIME_ROLLUPS.items()}
    assert hist["day"].equals(day.select(hist["day"].columns))
    assert hist["month"].equals(month.select(hist["month"].columns))
    # The narrow rollups equal the hourly buckets summed to their dimensions.
    hourly = bucket_frame(engine, s.feedback_buckets, SCOPE, *EVERYTHING)
    narrow = {}
    for grain, tables in s.NARROW_ROLLUPS["feedback_buckets"].items():
        rolled = roll_up(hourly, grain, FEEDBACK_DIMS, FEEDBACK_COUNTERS)
        for t in tables:
            keys = tuple(c.name for c in t.primary_key.columns)
            want = regroup(rolled, keys, FEEDBACK_COUNTERS).sort(list(keys))
            narrow[t.name] = _table(engine, t)
            assert narrow[t.name].height > 0
            assert narrow[t.name].equals(want.select(narrow[t.name].columns)), t.name

    # Migration 0020's backfill from the report rows alone gives the same columns and tables.
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0019")
        command.upgrade(alembic_config(conn), "head")
    assert _reports(engine).sort("feedback_id").equals(reports.sort("feedback_id"))
    for g, t in s.FEEDBACK_TIME_ROLLUPS.items():
        assert _table(engine, t).equals(hist[g]), t.name
    for tables in s.NARROW_ROLLUPS["feedback_buckets"].values():
        for t in tables:
            assert _table(engine, t).equals(narrow[t.name]), t.name

    hours = (T0 - timedelta(days=2), T0 + timedelta(days=SPAN_DAYS + 40))
    n_hours = int((hours[1] - hours[0]).total_seconds() // 3600)
    f = s.feedback

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(a=st.integers(0, n_hours), length=st.integers(0, n_hours),
           by=st.lists(st.sampled_from(["channel", "category", "agency_code"]), unique=True,
                       max_size=2),
           option=st.sampled_from(["ward_code", "agency_code", "category"]))
    def windows(a: int, length: int, by: list[str], option: str) -> None:
        start = hours[0] + timedelta(hours=a)
        end = start + timedelta(hours=length)
        want = _old_times(reports, start, end, by)
        for scope_by in ([], by):  # no groups: the histogram when the window has a whole day
            got = times_frame(engine, SCOPE, start, end, scope_by)
            expect = want if scope_by == by else _old_times(reports, start, end, [])
            assert got.height == len(expect), (start, end, scope_by)
            for row in got.iter_rows(named=True):
                n, mean, _, p90_us = expect[(row["kind"], *[row[c] for c in scope_by])]
                assert row["n"] == n
                assert math.isclose(row["total_us"] / n / DAY_US, mean, rel_tol=1e-12)
                assert row["p90_us"] == p90_us
        # The tiles' times (the card) are the same figures.
        card = feedback_card(engine, SCOPE, Period(start, end, "custom"), now=EVERYTHING[1])
        row = card.row(0, named=True) if card.height else {}
        for kind in DURATIONS:
            old = want.get((kind,)) if not by else _old_times(reports, start, end, []).get(
                (kind,))
            if old is None:
                assert row.get(f"{kind}_mean") is None
                continue
            assert math.isclose(row[f"{kind}_mean"], old[1], rel_tol=1e-12)
            assert row[f"{kind}_p90"] == old[2]  # the same float as before
        # The drill options: received in the window or still open, as the reports say.
        with engine.connect() as conn:
            old_options = sorted({r[0] for r in conn.execute(
                select(f.c[option]).distinct().where(
                    f.c.province_code == "25",
                    or_(and_(f.c.received_at >= start, f.c.received_at < end),
                        f.c.is_open.is_(True)))) if r[0]})
        assert feedback_options(engine, SCOPE, Period(start, end, "custom"),
                                option) == old_options
        # The report list: received in the window or open at its end (or now), newest first.
        closes = reports.filter((pl.col("closed_at") >= start) & (pl.col("closed_at") < end)
                                & (pl.col("received_at") < start))["closed_at"]
        # "now" on a report's close instant: open until then, so listed.
        on_close = [(closes[0], 5000)] if len(closes) else []
        for now, limit in ((EVERYTHING[1], 5000), (start + (end - start) / 2, 7),
                           (start - timedelta(hours=5), 40), *on_close):
            at = min(end, now)
            old_q = (select(*[f.c[c] for c in REPORT_COLUMNS]).where(
                f.c.province_code == "25",
                or_(and_(f.c.received_at >= start, f.c.received_at < end),
                    and_(f.c.received_at < at,
                         or_(f.c.closed_at.is_(None), f.c.closed_at >= at))))
                .order_by(f.c.received_at.desc(), f.c.feedback_id).limit(limit))
            old_list = with_state(with_age(_rows_frame(engine, old_q, REPORT_SCHEMA), at), at)
            got_list = report_list(engine, SCOPE, Period(start, end, "custom"), now=now,
                                   limit=limit)
            # The list carries what it shows (LIST_COLUMNS), no coordinates or rating.
            assert got_list.columns == [*LIST_COLUMNS, "age_days", "state"]
            assert got_list.equals(old_list.select(got_list.columns)), (start, end, now, limit)

    windows()
