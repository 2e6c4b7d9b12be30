"""Display frames of the Dossiers page: query results turned into the columns the tables show
and the CSV/XLSX files carry (names, Vietnamese labels, percentages). Pure Polars, so the
figures are testable without Streamlit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import polars as pl

from ioc.dossiers.queries import BREAKDOWN_DIMS
from ioc.kpis.windows import Period
from ioc.reference.calendar import TZ
from ioc.ui.dossiers.labels import (
    CHANNEL_LABELS,
    LEVEL_LABELS,
    RATING_LABELS,
    STATE_LABELS,
    STATUS_LABELS,
    vi,
)

DAILY_COUNTS = ("received", "completed", "completed_on_time", "received_online")


def _label(mapping: Mapping[str, str], col: str, alias: str | None = None) -> pl.Expr:
    return (pl.col(col).fill_null("").replace_strict(mapping, default=pl.col(col),
                                                     return_dtype=pl.String)
            .alias(alias or col))


def _names(col: str, names: Mapping[str, str], alias: str) -> pl.Expr:
    # Unknown codes show the code itself, not an empty cell.
    return (pl.col(col).replace_strict(dict(names), default=pl.col(col), return_dtype=pl.String)
            .alias(alias))


def _pct(col: str) -> pl.Expr:
    return (pl.col(col) * 100).round(1).alias(f"{col}_pct")


def deadline_frame(dl: pl.DataFrame, wards: Mapping[str, str]) -> pl.DataFrame:
    """The overdue and near-due list as shown and exported (times stay naive UTC here)."""
    return dl.select(
        _label(STATE_LABELS, "state"), "dossier_id", "procedure_code", "procedure_name",
        "agency_code", "agency_name", "ward_code", _names("ward_code", wards, "ward_name"),
        "received_at", "due_at", "age_days", "late_days")


def deadline_summary(dl: pl.DataFrame, by: str) -> pl.DataFrame:
    """Overdue and near-due counts per agency (by='agency') or procedure ('procedure'): who
    holds the late dossiers, most overdue first."""
    code, name = f"{by}_code", f"{by}_name"
    schema = {code: pl.String, name: pl.String, "overdue": pl.Int64, "near_due": pl.Int64,
              "total": pl.Int64, "max_late_days": pl.Float64}
    if dl.is_empty():
        return pl.DataFrame(schema=schema)
    return (dl.group_by(code)
            .agg(pl.col(name).drop_nulls().first(),
                 (pl.col("state") == "overdue").sum().alias("overdue"),
                 (pl.col("state") == "near_due").sum().alias("near_due"),
                 pl.len().alias("total"),
                 pl.col("late_days").filter(pl.col("state") == "overdue").max()
                 .alias("max_late_days"))
            .with_columns(pl.col(name).fill_null(pl.col(code)))
            .sort(["overdue", "near_due", code], descending=[True, True, False])
            .cast(schema))  # type: ignore[arg-type]


def movement_text(movement: int | None, previous_rank: int | None) -> str:
    """'▲3' climbed three places, '▼2' fell, '–' unchanged, 'mới' not ranked before."""
    if previous_rank is None or movement is None:
        return vi("new")
    if movement == 0:
        return "–"
    return f"▲{movement}" if movement > 0 else f"▼{-movement}"


def ranking_frame(ranking: pl.DataFrame, dim: str, names: Mapping[str, str]) -> pl.DataFrame:
    """rank, code, name, score, on-time %, counts, previous rank and movement text."""
    name = "ward_name" if dim == "ward_code" else "agency_name"
    if ranking.is_empty():
        return pl.DataFrame(schema={"rank": pl.Int64, dim: pl.String, name: pl.String,
                                    "score_total": pl.Float64, "on_time_rate_pct": pl.Float64,
                                    "received": pl.Int64, "completed": pl.Int64,
                                    "overdue": pl.Int64, "previous_rank": pl.Int64,
                                    "movement": pl.String})
    moves = [movement_text(m, p) for m, p in
             zip(ranking["movement"].to_list(), ranking["previous_rank"].to_list(),
                 strict=True)]
    return ranking.select(
        "rank", dim, _names(dim, names, name), pl.col("score_total").round(2),
        _pct("on_time_rate"), "received", "completed", "overdue", "previous_rank",
        pl.Series("movement", moves, dtype=pl.String))


BREAKDOWN_COLUMNS = ("received", "completed", "on_time_rate_pct", "online_eligible_rate_pct",
                     "overdue", "processing_days_mean", "score_total")


def breakdown_frame(card: pl.DataFrame, dim: str, names: Mapping[str, str]) -> pl.DataFrame:
    """One row per value of the dimension, most received first: the code (kept for the
    files; a sector has none) and a readable `name` (channel and level in Vietnamese,
    communes, agencies and procedures by name)."""
    codes = [] if dim == "sector" else [dim]
    if card.is_empty():
        return pl.DataFrame(schema={**{c: pl.String for c in (*codes, "name")},
                                    **{c: pl.Float64 for c in BREAKDOWN_COLUMNS}})
    unknown = {"": vi("unknown")}
    if dim == "channel":
        name = _label({**CHANNEL_LABELS, **unknown}, dim, "name")
    elif dim == "level":
        name = _label({**LEVEL_LABELS, **unknown}, dim, "name")
    elif dim == "sector":
        name = _label(unknown, dim, "name")
    else:
        name = _names(dim, names, "name")
    return (card.sort(["received", dim], descending=[True, False])
            .select(*codes, name, "received", "completed", _pct("on_time_rate"),
                    _pct("online_eligible_rate"), "overdue",
                    pl.col("processing_days_mean").round(2), pl.col("score_total").round(2)))


def breakdown_headers(dim: str) -> dict[str, str]:
    """File headers of a breakdown: the dimension's name for `name`, 'Mã …' for codes that
    HEADERS does not already name."""
    return {"name": BREAKDOWN_DIMS[dim][0], "channel": "Mã kênh", "level": "Mã cấp"}


def dossier_frame(dl: pl.DataFrame, wards: Mapping[str, str]) -> pl.DataFrame:
    """The drill-down list (codes, procedure, agency, times, status; no personal data)."""
    return dl.select(
        "dossier_id", _label(STATUS_LABELS, "status"), "procedure_code", "procedure_name",
        "sector", "agency_code", "agency_name", "ward_code",
        _names("ward_code", wards, "ward_name"), _label(LEVEL_LABELS, "level"),
        _label(CHANNEL_LABELS, "channel"), "received_at", "due_at", "completed_at",
        "closed_at", "supplement_requested_at", "supplement_received_at",
        _label(RATING_LABELS, "rating"))


def map_values(card: pl.DataFrame) -> pl.DataFrame:
    """ward_code, value (on-time rate) for ui.render_map; communes without a rate left out."""
    if card.is_empty():
        return pl.DataFrame(schema={"ward_code": pl.String, "value": pl.Float64})
    return (card.filter((pl.col("ward_code") != "") & pl.col("on_time_rate").is_not_null())
            .select("ward_code", pl.col("on_time_rate").cast(pl.Float64).alias("value")))


def daily_grid(daily: pl.DataFrame, period: Period, now: datetime | None = None
               ) -> pl.DataFrame:
    """Every local day of the window up to today (missing days are zero, so the lines do not
    bridge gaps), with the on-time share of the day's completions (null without any)."""
    first, last = period.local_dates()
    today = (now or datetime.now(UTC)).astimezone(TZ).date()
    last = max(first, min(last, today))
    days = pl.DataFrame({"day": pl.date_range(first, last, "1d", eager=True)})
    return (days.join(daily.select("day", *DAILY_COUNTS), on="day", how="left")
            .with_columns([pl.col(c).fill_null(0) for c in DAILY_COUNTS])
            .with_columns(pl.when(pl.col("completed") > 0)
                          .then(pl.col("completed_on_time") / pl.col("completed") * 100)
                          .otherwise(None).alias("on_time_share_pct")))
