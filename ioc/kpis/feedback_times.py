"""Mean and exact nearest-rank p90 of the feedback response / close times of a province over
a long window without reading every report of it (issue 13), as ioc.kpis.p90_store does for
the dossiers' processing time.

Each report's office microseconds receipt → first response and receipt → close are stored
with its state (feedback.response_us / close_us, ioc.feedback.transitions). The aggregator
also keeps a histogram of them per province, local day (and month) of the response / close,
kind and bin of FEEDBACK_TIME_BIN_US (tables feedback_times_day/_month: reports and the sum
of their microseconds), moved by contributions(new states) − contributions(replaced states)
in its transaction. A read sums the bins of the window's whole days and months, adds the
reports of its partial days at the edges (read from the reports), gets n and the sum (the
mean) from them, finds the bin holding rank k = ceil(0.9·n) and reads only the reports of
that bin in the window (ix_feedback_response_us / ix_feedback_close_us) for the k-th value.

The stored values depend on the report's own times and the calendar only: not on "now" (an
open report has none), nor on the SLA rules (they fix due_at, which these do not use).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
from sqlalchemy import Connection, DateTime, func, literal_column, select

from ioc.db import schema as s
from ioc.kpis.buckets import grain_start, spans
from ioc.kpis.p90_store import write_day_month

KEYS = ("hour", "province_code", "kind", "bin")
COUNTERS = ("reports", "total_us")
BIN = s.FEEDBACK_TIME_BIN_US
# kind: (duration column, the time it is counted at), and the KPI name of ioc.kpis.feedback_*
KINDS = {"response": ("response_us", "responded_at"), "close": ("close_us", "closed_at")}
KPI_KIND = {"response": "response_days", "close": "close_days"}
_SCHEMA = {"hour": pl.Datetime("us"), "province_code": pl.String, "kind": pl.String,
           "bin": pl.Int64, "reports": pl.Int64, "total_us": pl.Int64}


def time_rows(states: pl.DataFrame) -> pl.DataFrame:
    """One row per report and kind with a duration: (local day of the response / close as its
    first naive-UTC hour, province, kind, bin, 1, microseconds)."""
    if states.is_empty():
        return pl.DataFrame(schema=_SCHEMA)
    parts = []
    for kind, (us, at) in KINDS.items():
        done = states.filter(pl.col(at).is_not_null() & pl.col(us).is_not_null())
        parts.append(done.select(
            grain_start(at, "day").alias("hour"), "province_code", pl.lit(kind).alias("kind"),
            (pl.col(us) // BIN).alias("bin"), pl.lit(1, pl.Int64).alias("reports"),
            pl.col(us).alias("total_us")).cast(_SCHEMA))  # type: ignore[arg-type]
    return pl.concat(parts)


def write_feedback_times(conn: Connection, new_states: pl.DataFrame,
                         replaced: pl.DataFrame) -> None:
    """Add the batch's change of the day and month histograms, in the caller's transaction."""
    write_day_month(conn, s.FEEDBACK_TIME_ROLLUPS, time_rows(new_states), time_rows(replaced),
                    KEYS, COUNTERS)


def province_times(conn: Connection, province: str, start: datetime, end: datetime
                   ) -> pl.DataFrame | None:
    """Per kind ("response_days", "close_days": ioc.kpis.feedback_scorecard.TIME_COLUMNS)
    the number of the province's reports responded / closed in [start, end), the sum and the
    exact nearest-rank p90 of their office microseconds; no row for a kind without reports.
    None when the histogram does not apply (no whole local day in the window) or disagrees
    with the reports (a write between the reads): the caller then ranks every report."""
    pieces = spans(start, end, "month")
    if not any(g != "hour" for g, _, _ in pieces):
        return None
    f = s.feedback
    bins: dict[str, dict[int, list[int]]] = {k: {} for k in KINDS}  # bin → [reports, total]
    for grain, a, b in pieces:
        if grain == "hour":  # a partial day at an edge: its reports, binned here
            for kind, (us, at) in KINDS.items():
                for (v,) in conn.execute(select(f.c[us]).where(
                        f.c.province_code == province, f.c[at] >= a, f.c[at] < b,
                        f.c[us].is_not(None))):
                    acc = bins[kind].setdefault(int(v) // BIN, [0, 0])
                    acc[0] += 1
                    acc[1] += int(v)
        else:
            h = s.FEEDBACK_TIME_ROLLUPS[grain]
            for kind, b_, n, total in conn.execute(
                    select(h.c.kind, h.c.bin, func.sum(h.c.reports), func.sum(h.c.total_us))
                    .where(h.c.province_code == province, h.c.hour >= a, h.c.hour < b)
                    .group_by(h.c.kind, h.c.bin)):
                acc = bins[kind].setdefault(int(b_), [0, 0])
                acc[0] += int(n)
                acc[1] += int(total)
    rows = []
    for kind, (us, at) in KINDS.items():
        counts = {b_: v for b_, v in bins[kind].items() if v[0]}
        n = sum(v[0] for v in counts.values())
        if n == 0:
            continue
        k = (9 * n + 9) // 10  # ceil(0.9·n) in integers
        seen, b_ = 0, 0
        for b_ in sorted(counts):
            if seen + counts[b_][0] >= k:
                break
            seen += counts[b_][0]
        # The bin's range on ix_feedback_{response,close}_us, the window checked on its
        # rows; `+time` keeps SQLite off the index of the window's times (every report of
        # a long window).
        t = (literal_column(f"+feedback.{at}", DateTime) if conn.dialect.name == "sqlite"
             else f.c[at])
        q = select(f.c[us]).where(f.c.province_code == province, f.c[us] >= b_ * BIN,
                                  f.c[us] < (b_ + 1) * BIN, t >= start, t < end)
        values = sorted(int(r[0]) for r in conn.execute(q))
        if len(values) != counts[b_][0]:
            return None
        rows.append((KPI_KIND[kind], n, sum(v[1] for v in counts.values()),
                     values[k - seen - 1]))
    return pl.DataFrame(rows, schema={"kind": pl.String, "n": pl.Int64, "total_us": pl.Int64,
                                      "p90_us": pl.Int64}, orient="row")
