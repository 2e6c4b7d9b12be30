"""KPI values from the SQL state (the I/O half; the arithmetic is in ioc.kpis.scorecard): windows
are filters over hourly buckets summed in Polars; state figures come from entity rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from weakref import WeakKeyDictionary

import polars as pl
from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Select,
    Table,
    and_,
    bindparam,
    case,
    false,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import Compiled

from ioc.db import schema as s
from ioc.db.upsert import SQLITE_DATETIME_READ
from ioc.kpis.buckets import spans
from ioc.kpis.catalogue import DOSSIER_KPIS, WINDOWS, parse_scope
from ioc.kpis.open_bound import LONG_OPEN, bounded_read
from ioc.kpis.p90_store import province_p90
from ioc.kpis.scorecard import (
    ENTITY_COLUMNS,
    P90_COLUMN,
    STATE_COUNTS,
    nearest_rank_p90,
    scorecard,
)
from ioc.kpis.targets import load_targets
from ioc.kpis.windows import Period, resolve
from ioc.reference.calendar import add_working_days


@dataclass
class KpiValue:
    kpi: str
    scope: str
    window: str
    value: float | int | None
    numerator: int | None = None
    denominator: int | None = None
    label_vi: str = ""
    label_en: str = ""
    unit: str = "count"
    by: dict[str, str] = field(default_factory=dict)
    previous: float | int | None = None  # same KPI over the previous equal period
    change: float | int | None = None  # value − previous (ratios: in fraction points)
    target: float | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if self.unit != "ratio":
            d.pop("numerator")
            d.pop("denominator")
        if not self.by:
            d.pop("by")
        return d


def utc_naive(now: datetime | None) -> datetime:
    """`now` (or the current time) as naive UTC, the form every timestamp column stores."""
    return (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)


def scope_filter(table: Table, scope: str) -> ColumnElement[bool] | None:
    """SQL condition of a scope; None when the table cannot be cut that way (e.g. social
    posts have no agency)."""
    filters = parse_scope(scope)
    if any(col not in table.c for col in filters):
        return None
    return and_(*[table.c[col] == code for col, code in filters.items()])


def _or_none(where: ColumnElement[bool] | None) -> ColumnElement[bool]:
    """A scope the table cannot be cut by selects nothing."""
    return where if where is not None else false()


def bucket_parts(table: Table, start: datetime, end: datetime, coarsest: str = "month",
                 need: Iterable[str] | None = None) -> list[tuple[Table, datetime, datetime]]:
    """The tables and [start, end) ranges that cover a window once: the table's day and
    month rollups for whole local days and months (when it has them), its hours elsewhere.
    `need`: the columns the read filters or groups on (besides `hour`); a rollup grain is
    then read from the narrowest of its tables holding them all (s.NARROW_ROLLUPS), else
    from the full one. None: every column (the full rollups)."""
    rollups = s.ROLLUPS.get(table.name, {})
    narrow = s.NARROW_ROLLUPS.get(table.name, {})
    cols = None if need is None else set(need)

    def pick(grain: str) -> Table:
        if grain == "hour":
            return table
        if cols is None:
            return rollups[grain]
        fits = [t for t in narrow.get(grain, ()) if all(c in t.c for c in cols)]
        return min(fits, key=lambda t: len(t.primary_key.columns)) if fits else rollups[grain]

    return [(pick(grain), a, b)
            for grain, a, b in spans(start, end, coarsest if rollups else "hour")] or [
        (table, start, end)]  # an empty window: one part that selects nothing


def bucket_frame(engine: Engine, table: Table, scope: str, start: datetime,
                 end: datetime, coarsest: str = "hour") -> pl.DataFrame:
    """Bucket rows of the window; with `coarsest` "day" or "month" whole local days/months
    come as one row per day/month (its first hour in `hour`) from the rollups."""
    parts = [select(*t.c).where(t.c.hour >= a, t.c.hour < b,
                                _or_none(scope_filter(t, scope)))
             for t, a, b in bucket_parts(table, start, end, coarsest)]
    q = union_all(*parts) if len(parts) > 1 else parts[0]
    # Through the DB-API (_rows_frame), not pl.read_database: that one imports
    # sqlalchemy.orm on its first call (~0.25 s of a fresh process's first page).
    return _rows_frame(engine, q, _bucket_types(table))


def _bucket_types(table: Table) -> dict[str, pl.DataType]:
    return {c.name: (pl.Datetime("us") if c.name == "hour" else
                     pl.String if c.primary_key else pl.Int64) for c in table.columns}


def _count(engine: Engine, table: Table, *where) -> int:  # noqa: ANN002
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(and_(*where)))
                   .scalar() or 0)


# ---------------------------------------------------------------- dossiers

_DOSSIER_DIMS = ("ward_code", "agency_code", "procedure_code", "sector", "channel", "level")


_PY_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def _rows_frame(engine: Engine, q, schema: dict[str, pl.DataType]) -> pl.DataFrame:  # noqa: ANN001
    """Rows of `q` as a frame of `schema`, read through the DB-API cursor: no SQLAlchemy row
    processing, and SQLite's text datetimes parsed column-wise in Polars (per row in Python
    they cost more than the query on a long window)."""
    with engine.connect() as conn:
        return _rows_on(conn, q, schema)


def _rows_on(conn: Connection, q, schema: dict[str, pl.DataType],  # noqa: ANN001
             values: dict[str, Any] | None = None) -> pl.DataFrame:
    """_rows_frame on an open connection (several reads that must agree share one). `q` may
    be compiled already (see _compiled); `values` then gives its named parameters."""
    compiled = q if isinstance(q, Compiled) else q.compile(
        dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params(params=values)
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:  # SQLAlchemy's own text form, so comparisons match what it stored
        # (Python's strftime: "%f" is the 6 digits; Polars' "%6f" is not Python's.)
        fixed = {k: v.strftime(_PY_SQLITE_DATETIME) if isinstance(v, datetime) else v
                 for k, v in params.items()}
        args: Any = [fixed[k] for k in compiled.positiontup or []]
    else:
        args = params
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(str(compiled), args)
        rows = cur.fetchall()
    finally:
        cur.close()
    if not sqlite:
        return pl.DataFrame(rows, schema=schema, orient="row")
    raw = {c: pl.String if isinstance(t, pl.Datetime) else t for c, t in schema.items()}
    df = pl.DataFrame(rows, schema=raw, orient="row")
    return df.with_columns(pl.col(c).str.to_datetime(SQLITE_DATETIME_READ, time_unit="us")
                           for c, t in schema.items() if isinstance(t, pl.Datetime))


def _entity_types(cols: list[str]) -> dict[str, pl.DataType]:
    times = {c.name for c in s.dossiers.columns if isinstance(c.type, DateTime)}
    return {c: (pl.Datetime("us") if c in times else pl.Int64 if c == "proc_minutes"
                else pl.String) for c in cols}


def _open_frame(engine: Engine, scope: str, at: datetime) -> pl.DataFrame:
    """Dossiers of the scope open at instant `at` (received before, not closed before).
    Two index ranges on (province_code, closed_at): those still open, and those closed at or
    after `at`, so an older instant reads its backlog, not the whole history before it."""
    d = s.dossiers
    cols = [*ENTITY_COLUMNS, *_DOSSIER_DIMS]
    where = and_(scope_filter(d, scope), d.c.received_at < at)
    q = union_all(select(*[d.c[c] for c in cols]).where(where, d.c.closed_at.is_(None)),
                  select(*[d.c[c] for c in cols]).where(where, d.c.closed_at >= at))
    return _rows_frame(engine, q, _entity_types(cols))


# The finest grouping a shared state read keeps (columns of ix_dossiers_state_cover): the
# KPIs, both rankings and the sector breakdown of a page draw are sums of it.
STATE_GRAIN = ("ward_code", "agency_code", "sector")
_SHARED_STATES: ContextVar[dict[Any, pl.DataFrame] | None] = ContextVar("shared_states",
                                                                         default=None)


@contextmanager
def shared_states(store: dict[Any, pl.DataFrame] | None = None) -> Iterator[None]:
    """Within the block, state_frame reads the state at an instant once per (engine, scope,
    instant, near-due limit) at STATE_GRAIN into `store` (a fresh one by default) and sums it
    per grouping asked (any subset of STATE_GRAIN; other groupings read as before): one
    Dossiers page draw reads two states (its window's end, the previous period's) instead
    of seven. The caller vouches that the rows do not change meanwhile: one page draw, or a
    store keyed on the committed aggregator batch (ioc.ui.dossiers.loaders)."""
    token = _SHARED_STATES.set({} if store is None else store)
    try:
        yield
    finally:
        _SHARED_STATES.reset(token)


def state_frame(engine: Engine, scope: str, at: datetime, near_limit: datetime,
                by: list[str]) -> pl.DataFrame:
    """The state counts (in progress, paused, overdue, near due) at instant `at` per group of
    `by`, summed by the database over the dossiers open at `at` (the rows of _open_frame,
    state_at's rules as SQL): a few rows leave it instead of the whole backlog. Inside
    `shared_states`, from the shared read at STATE_GRAIN when `by` is part of it."""
    store = _SHARED_STATES.get()
    if store is None or not set(by) <= set(STATE_GRAIN):
        return _state_read(engine, scope, at, near_limit, by)
    key = (engine, scope, at, near_limit)
    fine = store.get(key)
    if fine is None:
        fine = store[key] = _state_read(engine, scope, at, near_limit, list(STATE_GRAIN))
    sums = [pl.col(c).sum() for c in STATE_COUNTS]
    if not by:  # one row, none when nothing is open (as the SQL's HAVING count > 0)
        return fine.select(sums).head(fine.height and 1)
    return fine.group_by(by).agg(sums).cast({c: pl.Int64 for c in STATE_COUNTS})


def _state_read(engine: Engine, scope: str, at: datetime, near_limit: datetime,
                by: list[str]) -> pl.DataFrame:
    """state_frame's read. The closures since `at` are read only up to `at` + the longest
    time any dossier of the scope's province (of any, for a scope without one) stayed open
    (ioc.kpis.open_bound.bounded_read), so an instant months ago reads the closures of that
    span, not every one since."""
    province = parse_scope(scope).get("province_code")
    schema = {**{c: pl.String for c in by}, **{c: pl.Int64 for c in STATE_COUNTS}}
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # For this transaction only: with the default random_page_cost (4, disk seeks)
            # the planner fetched a span's closures from the table through the one-column
            # closed_at index instead of reading ix_dossiers_state_cover alone (year to
            # date's previous instant at ten million events: 98 ms against 26).
            conn.exec_driver_sql("SET LOCAL random_page_cost = 1.1")
        filters = parse_scope(scope)
        values: dict[str, Any] = {f"scope_{i}": code for i, code in enumerate(filters.values())}
        values.update(at=at, near=near_limit)

        def read(until: datetime | None) -> pl.DataFrame:
            # Beyond at + LONG_OPEN only the few dossiers listed in dossier_long_open.
            mode = ("all" if until is None else
                    "bounded" if until <= at + LONG_OPEN else "long")
            shape = ("state", tuple(by), tuple(filters), mode)
            q = _compiled(conn.dialect, shape, lambda: _state_query(filters, by, mode))
            return _rows_on(conn, q, schema, values if until is None else
                            {**values, "until": until, "long_from": at + LONG_OPEN})

        return bounded_read(conn, s.dossier_open_bound, province, at, read)


def _state_query(filters: dict[str, str], by: list[str], mode: str) -> Select:
    """The state counts' query, its instant, near-due limit, scope codes and bound named
    parameters (at, near, scope_i; until and long_from unless `mode` is "all"): compiled
    once per shape. The dossiers counted: open now; closed since `at` — all ("all"), up to
    `until` ("bounded"), or up to `long_from` (= at + LONG_OPEN) and, from there to `until`,
    only those listed in dossier_long_open ("long"). Each union arm works out a dossier's
    pause and deadline once; the outer sums test those (written inline, SQLite evaluated
    each CASE again per use: 40 → 16 ms for 11k open dossiers at ten million events)."""
    d = s.dossiers
    at = bindparam("at", type_=DateTime())
    near = bindparam("near", type_=DateTime())
    where = and_(*[d.c[col] == bindparam(f"scope_{i}", type_=d.c[col].type)
                   for i, col in enumerate(filters)], d.c.received_at < at)
    since = [d.c.closed_at >= at]
    beyond = None
    if mode != "all":
        until = bindparam("until", type_=DateTime())
        long_from = bindparam("long_from", type_=DateTime())
        since.append(d.c.closed_at < (until if mode == "bounded" else long_from))
        if mode == "long":
            lo = s.dossier_long_open
            listed = select(lo.c.dossier_id).where(
                *[lo.c.province_code == bindparam(f"scope_{i}", type_=lo.c.province_code.type)
                  for i, col in enumerate(filters) if col == "province_code"],
                lo.c.closed_at >= long_from, lo.c.closed_at < until, lo.c.received_at < at)
            # The dossier's own times decide (a listed row may be stale, never missing).
            beyond = and_(d.c.closed_at >= long_from, d.c.closed_at < until,
                          d.c.dossier_id.in_(listed))
    req, rec = d.c.supplement_requested_at, d.c.supplement_received_at
    # Never NULL: each nullable time is tested for NULL first (as state_at does).
    paused = case((and_(req.is_not(None), req < at, or_(rec.is_(None), rec >= at)), 1),
                  else_=0)
    # Before the supplement came back, the deadline was still the one without the pause.
    due = case((and_(rec.is_not(None), rec < at), d.c.due_at),
               else_=func.coalesce(d.c.due_at_legal, d.c.due_at))
    sel = [*[d.c[c] for c in by], paused.label("paused"), due.label("due")]
    arms = [select(*sel).where(where, d.c.closed_at.is_(None)),
            select(*sel).where(where, *since)]
    if beyond is not None:
        arms.append(select(*sel).where(where, beyond))
    u = union_all(*arms).subquery()

    def total(cond: ColumnElement[bool], name: str):  # noqa: ANN202
        return func.sum(case((cond, 1), else_=0)).label(name)

    keys = [u.c[c] for c in by]
    running = u.c.paused == 0
    return (select(*keys, func.count().label("in_progress"),
                   func.coalesce(func.sum(u.c.paused), 0).label("paused"),
                   total(and_(running, u.c.due < at), "overdue"),
                   total(and_(running, u.c.due >= at, u.c.due <= near), "near_due"))
            .group_by(*keys).having(func.count() > 0))


def _completion_filter(scope: str, start: datetime, end: datetime) -> ColumnElement[bool]:
    d = s.dossiers
    return and_(scope_filter(d, scope), d.c.status == "completed", d.c.completed_at >= start,
                d.c.completed_at < end)


def _completion_frame(engine: Engine, scope: str, start: datetime, end: datetime,
                      by: list[str]) -> pl.DataFrame:
    """Per-dossier processing minutes of the completions in [start, end) (brute force: every
    completion; the scorecard reads `p90_frame` instead)."""
    d = s.dossiers
    q = select(*[d.c[c] for c in by], d.c.proc_minutes).where(
        _completion_filter(scope, start, end))
    return _rows_frame(engine, q, {**{c: pl.String for c in by}, "proc_minutes": pl.Int64})


def p90_frame(engine: Engine, scope: str, start: datetime, end: datetime,
              by: list[str], in_sql: bool | None = None, histogram: bool = True
              ) -> pl.DataFrame:
    """The exact nearest-rank p90 of processing minutes per group of `by` over the
    completions in [start, end), as `by` + P90_COLUMN. A whole province over a window with
    a whole local day reads the aggregator's histogram and one bin of dossiers
    (ioc.kpis.p90_store; `histogram`=False skips it). Otherwise `in_sql`: window functions
    number each group's times and only the ceil(0.9·n)-th smallest row leaves the
    database; otherwise the times are fetched (one integer column, DB-API) and ranked in
    Polars. Default: SQL on PostgreSQL; on SQLite fetching is faster (its window sort took
    2× longer at 44k rows)."""
    filters = parse_scope(scope)
    if histogram and not by and list(filters) == ["province_code"]:
        with engine.connect() as conn:
            ok, value = province_p90(conn, filters["province_code"], start, end)
        if ok:
            return pl.DataFrame({P90_COLUMN: [] if value is None else [value]},
                                schema={P90_COLUMN: pl.Int64})
    if in_sql is None:
        in_sql = engine.dialect.name != "sqlite"
    if not in_sql:
        return nearest_rank_p90(_completion_frame(engine, scope, start, end, by), by)
    d = s.dossiers
    keys = [d.c[c] for c in by]
    ranked = select(*keys, d.c.proc_minutes,
                    func.row_number().over(partition_by=keys or None,
                                           order_by=d.c.proc_minutes).label("rn"),
                    func.count().over(partition_by=keys or None).label("n")).where(
        _completion_filter(scope, start, end), d.c.proc_minutes.is_not(None)).subquery()
    # ceil(0.9·n) in integers: (9n + 9) div 10 (both databases divide integers exactly).
    q = select(*[ranked.c[c] for c in by], ranked.c.proc_minutes.label(P90_COLUMN)).where(
        ranked.c.rn == (ranked.c.n * 9 + 9) // 10)
    return _rows_frame(engine, q, {**{c: pl.String for c in by}, P90_COLUMN: pl.Int64})


def summed_parts(table: Table, where: Callable[[Table], Any], start: datetime,
                 end: datetime, by: list[str], counters: tuple[str, ...],
                 coarsest: str = "month", need: Iterable[str] | None = None,
                 ranges: list[tuple[Table, Any, Any]] | None = None) -> Select:
    """The query summing `counters` of `table` over [start, end) per group of `by`: one
    grouped sum per part of `bucket_parts` (hours at the edges, whole days and months from
    the rollups), re-summed over their union when there are several. `where(t)` is the
    scope's condition on part table `t`. `ranges`: the parts to sum instead (their bounds
    may be bound parameters, for a statement compiled once: bucket_sums)."""
    parts = [select(*[t.c[c] for c in by], *[func.sum(t.c[c]).label(c) for c in counters])
             .where(where(t), t.c.hour >= a, t.c.hour < b)
             .group_by(*[t.c[c] for c in by]).having(func.count() > 0)
             for t, a, b in (bucket_parts(table, start, end, coarsest, need)
                             if ranges is None else ranges)]
    if len(parts) == 1:
        return parts[0]
    u = union_all(*parts).subquery()
    return (select(*[u.c[c] for c in by], *[func.sum(u.c[c]).label(c) for c in counters])
            .group_by(*[u.c[c] for c in by]).having(func.count() > 0))


def bucket_sums(engine: Engine, scope: str, start: datetime, end: datetime,
                by: list[str], coarsest: str = "month",
                counters: tuple[str, ...] = s.DOSSIER_COUNTERS) -> pl.DataFrame:
    """Dossier counters (all, or those named) summed in SQL per group of `by` (far fewer rows
    than the buckets); whole local months and days of the window come from the rollups. `by`
    may hold "hour" (the first hour of each bucket, day or month read: a daily chart passes
    coarsest="day")."""
    filters = parse_scope(scope)
    need = {*filters, *by} - {"hour"}
    ranges = bucket_parts(s.dossier_buckets, start, end, coarsest, need)
    schema = {**{c: pl.Datetime("us") if c == "hour" else pl.String for c in by},
              **{c: pl.Int64 for c in counters}}
    if any(col not in t.c for t, _, _ in ranges for col in filters):
        q = summed_parts(s.dossier_buckets, lambda t: scope_filter(t, scope), start, end, by,
                         counters, coarsest, need)
        return _rows_frame(engine, q, schema)
    # The statement depends on the window only through its parts' tables: compiled once
    # per shape, bound to this window's bounds and the scope's codes (building and
    # compiling it cost more than the read on a page's seven sums).
    values: dict[str, Any] = {f"scope_{i}": code for i, code in enumerate(filters.values())}
    for i, (_, a, b) in enumerate(ranges):
        values.update({f"from_{i}": a, f"to_{i}": b})

    def build() -> Select:
        def where(t: Table) -> ColumnElement[bool]:
            return and_(*[t.c[col] == bindparam(f"scope_{i}", type_=t.c[col].type)
                          for i, col in enumerate(filters)])

        bound = [(t, bindparam(f"from_{i}", type_=DateTime()),
                  bindparam(f"to_{i}", type_=DateTime())) for i, (t, _, _) in enumerate(ranges)]
        return summed_parts(s.dossier_buckets, where, start, end, by, counters, ranges=bound)

    shape = ("bucket_sums", tuple(t.name for t, _, _ in ranges), tuple(by), counters,
             tuple(filters))
    with engine.connect() as conn:
        return _rows_on(conn, _compiled(conn.dialect, shape, build), schema, values)


_COMPILED: WeakKeyDictionary[Dialect, dict[tuple, Compiled]] = WeakKeyDictionary()
_COMPILED_MAX = 512  # shapes per dialect (a page has a few dozen)


def _compiled(dialect: Dialect, shape: tuple, build: Callable[[], Select]) -> Compiled:
    """The statement of `shape` compiled for `dialect`, built and compiled on first use:
    `shape` must determine the statement but for its named bound parameters."""
    cache = _COMPILED.setdefault(dialect, {})
    got = cache.get(shape)
    if got is None:
        if len(cache) >= _COMPILED_MAX:
            cache.clear()
        got = cache[shape] = build().compile(dialect=dialect,
                                             compile_kwargs={"render_postcompile": True})
    return got


def near_due_limit(at: datetime) -> datetime:
    """One working day after `at` (naive UTC): the near-due horizon."""
    return add_working_days(at.replace(tzinfo=UTC), 1).astimezone(UTC).replace(tzinfo=None)


def dossier_scorecard(engine: Engine, scope: str, period: Period, now: datetime | None = None,
                      by: list[str] | None = None, with_p90: bool = True) -> pl.DataFrame:
    """Every dossier KPI of `scope` over `period`, one row per group of `by`. Without
    `with_p90` the p90 processing time is not computed (its column is null): it reads every
    completion of the window, the costliest part of a long window's scorecard."""
    by = list(by or [])
    at = min(period.end, utc_naive(now))
    near = near_due_limit(at)
    p90 = (p90_frame(engine, scope, period.start, period.end, by) if with_p90 else
           pl.DataFrame(schema={**{c: pl.String for c in by}, P90_COLUMN: pl.Int64}))
    return scorecard(bucket_sums(engine, scope, period.start, period.end, by), None, None, at,
                     near, by, p90=p90, states=state_frame(engine, scope, at, near, by))


def _row(df: pl.DataFrame) -> dict[str, Any]:
    return df.row(0, named=True) if df.height else {}


def _change(value, previous):  # noqa: ANN001, ANN202
    if value is None or previous is None:
        return None
    return value - previous


def dossier_kpis(engine: Engine, scope: str, period: Period, now: datetime | None = None,
                 targets: dict[str, float | None] | None = None,
                 with_previous: bool = True) -> list[KpiValue]:
    cur = _row(dossier_scorecard(engine, scope, period, now))
    # The previous period doubles the cost; screens that do not show the change skip it.
    prev = _row(dossier_scorecard(engine, scope, period.previous(), now)) if with_previous \
        else {}
    out = []
    for k in DOSSIER_KPIS:
        col = k.column
        value = cur.get(col, 0 if k.unit == "count" else None)
        before = prev.get(col, 0 if k.unit == "count" else None) if with_previous else None
        if k.unit == "count":
            value = int(value or 0)
            before = int(before or 0) if with_previous else None
        num = int(cur.get(k.num) or 0) if k.num else None
        den = int(cur.get(k.den) or 0) if k.den else None
        v = KpiValue(k.code, scope, period.window if k.windowed else "now", value, num, den,
                     k.label_vi, k.label_en, k.unit, previous=before,
                     change=_change(value, before),
                     target=(targets or {}).get(k.code, k.target))
        out.append(v)
    return out


def compute_kpis(engine: Engine, scope: str = "province:25", window: str = "24h",
                 now: datetime | None = None, first: date | None = None,
                 last: date | None = None, with_previous: bool = True) -> list[KpiValue]:
    """All KPIs of a scope over a window (see ioc.kpis.windows); dossier KPIs also over the
    previous equal period unless `with_previous` is False."""
    period = resolve(window, utc_naive(now), first, last)
    targets = load_targets(engine)
    # A category scope has no dossiers; a procedure scope has no feedback.
    out = (dossier_kpis(engine, scope, period, now, targets, with_previous)
           if scope_filter(s.dossier_buckets, scope) is not None else [])

    if scope_filter(s.feedback_buckets, scope) is not None:
        from ioc.kpis.feedback_values import feedback_kpis  # imports this module

        out += feedback_kpis(engine, scope, period, now, targets, with_previous)

    if scope_filter(s.social_buckets, scope) is not None:
        from ioc.kpis.social_values import social_kpis  # imports this module

        out += social_kpis(engine, scope, period, now, with_previous)
    return out


def commune_values(engine: Engine, province_code: str, kpi: str, window: str = "7d",
                   now: datetime | None = None) -> pl.DataFrame:
    """One row per commune (ward_code, value) for the map; communes with no data are absent."""
    end = utc_naive(now)
    start = end - WINDOWS[window]
    scope = f"province:{province_code}"
    if kpi in ("dossier.received", "dossier.online_rate", "dossier.completed"):
        # Summed in SQL per commune (whole days and months from the narrow rollups).
        g = bucket_sums(engine, scope, start, end, ["ward_code"],
                        counters=("received", "completed", "received_online"))
        val = {"dossier.received": pl.col("received"),
               "dossier.completed": pl.col("completed"),
               "dossier.online_rate": pl.col("received_online") / pl.col("received")}[kpi]
    elif kpi == "feedback.received":
        df = bucket_frame(engine, s.feedback_buckets, scope, start, end)
        g = df.group_by("ward_code").agg(pl.col("received").sum())
        val = pl.col("received")
    elif kpi in ("social.posts", "social.negative_share"):
        df = bucket_frame(engine, s.social_buckets, scope, start, end)
        g = df.group_by("ward_code").agg(pl.col("posts").sum(), pl.col("negative").sum())
        val = pl.col("posts") if kpi == "social.posts" else pl.col("negative") / pl.col("posts")
    else:
        raise ValueError(f"no commune map for {kpi!r}")
    if g.is_empty():
        return pl.DataFrame(schema={"ward_code": pl.String, "value": pl.Float64})
    return g.filter(pl.col("ward_code") != "").select(
        "ward_code", val.cast(pl.Float64).alias("value"))


def hourly_series(engine: Engine, scope: str, hours: int = 48,
                  now: datetime | None = None) -> pl.DataFrame:
    """Hourly received counts of the three streams (for the Overview trend)."""
    end = utc_naive(now)
    start = end - WINDOWS["24h"] * (hours / 24)
    frames = []
    for name, table, col in (("dossier", s.dossier_buckets, "received"),
                             ("feedback", s.feedback_buckets, "received"),
                             ("social", s.social_buckets, "posts")):
        # Summed per hour in SQL: at ten million events 48 hours are ≈20k bucket rows of
        # every column, whose read and parse cost most of the Overview's trend.
        q = summed_parts(table, lambda t: _or_none(scope_filter(t, scope)), start, end,
                         ["hour"], (col,), coarsest="hour")
        df = _rows_frame(engine, q, {"hour": pl.Datetime("us"), col: pl.Int64})
        if df.height:
            frames.append(df.select("hour", pl.col(col).alias("count"),
                                    pl.lit(name).alias("stream")))
    if not frames:
        return pl.DataFrame(schema={"hour": pl.Datetime("us"), "count": pl.Int64,
                                    "stream": pl.String})
    return pl.concat(frames).sort("hour")
