"""KPI values from the SQL state: windows are filters over hourly buckets, summed in Polars;
"now" figures come from entity state."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Engine, Table, and_, func, select

from ioc.db import schema as s
from ioc.kpi_catalogue import BY_CODE, WINDOWS, parse_scope


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

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if self.unit != "ratio":
            d.pop("numerator")
            d.pop("denominator")
        if not self.by:
            d.pop("by")
        return d


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)


def _scope_filter(table: Table, scope: str):  # noqa: ANN202
    kind, code = parse_scope(scope)
    col = table.c.province_code if kind == "province" else table.c.ward_code
    return col == code


def bucket_frame(engine: Engine, table: Table, scope: str, start: datetime,
                 end: datetime) -> pl.DataFrame:
    q = select(table).where(_scope_filter(table, scope), table.c.hour >= start,
                            table.c.hour < end)
    with engine.connect() as conn:
        return pl.read_database(q, conn)


def _sum(df: pl.DataFrame, col: str) -> int:
    return int(df[col].sum()) if df.height else 0


def _count(engine: Engine, table: Table, *where) -> int:  # noqa: ANN002
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(and_(*where)))
                   .scalar() or 0)


def _kv(code: str, scope: str, window: str, value, num=None, den=None, by=None) -> KpiValue:  # noqa: ANN001
    k = BY_CODE[code]
    return KpiValue(code, scope, window if k.windowed else "now", value, num, den,
                    k.label_vi, k.label_en, k.unit, by or {})


def _ratio(code: str, scope: str, window: str, num: int, den: int) -> KpiValue:
    return _kv(code, scope, window, (num / den) if den else None, num, den)


def compute_kpis(engine: Engine, scope: str = "province:25", window: str = "24h",
                 now: datetime | None = None) -> list[KpiValue]:
    if window not in WINDOWS:
        raise ValueError(f"window must be one of {sorted(WINDOWS)}, got {window!r}")
    end = _now(now)
    start = end - WINDOWS[window]
    out: list[KpiValue] = []

    d = bucket_frame(engine, s.dossier_buckets, scope, start, end)
    open_d = and_(_scope_filter(s.dossiers, scope), s.dossiers.c.is_open.is_(True))
    n_open = _count(engine, s.dossiers, open_d)
    n_overdue = _count(engine, s.dossiers, open_d, s.dossiers.c.due_at < end)
    received, completed = _sum(d, "received"), _sum(d, "completed")
    on_time = _sum(d, "completed_on_time") + (n_open - n_overdue)
    out += [
        _kv("dossier.received", scope, window, received),
        _kv("dossier.completed", scope, window, completed),
        _ratio("dossier.on_time_rate", scope, window, on_time, completed + n_open),
        _kv("dossier.overdue_open", scope, window, n_overdue),
        _ratio("dossier.online_rate", scope, window, _sum(d, "received_online"), received),
    ]

    f = bucket_frame(engine, s.feedback_buckets, scope, start, end)
    open_f = and_(_scope_filter(s.feedback, scope), s.feedback.c.is_open.is_(True))
    out.append(_kv("feedback.received", scope, window, _sum(f, "received")))
    if f.height:
        per = f.group_by("channel").agg(pl.col("received").sum()).sort("channel")
        out += [_kv("feedback.received", scope, window, int(r["received"]),
                    by={"channel": r["channel"]}) for r in per.iter_rows(named=True)
                if r["received"]]
    out += [
        _kv("feedback.open", scope, window, _count(engine, s.feedback, open_f)),
        _kv("feedback.overdue_open", scope, window,
            _count(engine, s.feedback, open_f, s.feedback.c.due_at < end)),
    ]

    so = bucket_frame(engine, s.social_buckets, scope, start, end)
    posts = _sum(so, "posts")
    out += [
        _kv("social.posts", scope, window, posts),
        _ratio("social.negative_share", scope, window, _sum(so, "negative"), posts),
    ]
    return out


def commune_values(engine: Engine, province_code: str, kpi: str, window: str = "7d",
                   now: datetime | None = None) -> pl.DataFrame:
    """One row per commune (ward_code, value) for the map; communes with no data are absent."""
    end = _now(now)
    start = end - WINDOWS[window]
    scope = f"province:{province_code}"
    if kpi in ("dossier.received", "dossier.online_rate", "dossier.completed"):
        df = bucket_frame(engine, s.dossier_buckets, scope, start, end)
        g = df.group_by("ward_code").agg(pl.col("received").sum(), pl.col("completed").sum(),
                                         pl.col("received_online").sum())
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
    end = _now(now)
    start = end - WINDOWS["24h"] * (hours / 24)
    frames = []
    for name, table, col in (("dossier", s.dossier_buckets, "received"),
                             ("feedback", s.feedback_buckets, "received"),
                             ("social", s.social_buckets, "posts")):
        df = bucket_frame(engine, table, scope, start, end)
        if df.height:
            frames.append(df.group_by("hour").agg(pl.col(col).sum().alias("count"))
                          .with_columns(pl.lit(name).alias("stream")))
    if not frames:
        return pl.DataFrame(schema={"hour": pl.Datetime("us"), "count": pl.Int64,
                                    "stream": pl.String})
    return pl.concat(frames).sort("hour")
