"""Display frames of the Feedback page: query results turned into the columns the tables show
and the CSV/XLSX files carry (names, Vietnamese labels, percentages). Pure Polars."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from ioc.i18n import CHANNEL_LABELS
from ioc.ui.dossiers.tables import movement_text
from ioc.ui.feedback.labels import STATE_LABELS, STATUS_LABELS


def _names(col: str, names: Mapping[str, str], alias: str) -> pl.Expr:
    # Unknown codes show the code itself, not an empty cell.
    return (pl.col(col).fill_null("").replace_strict(dict(names), default=pl.col(col),
                                                     return_dtype=pl.String).alias(alias))


def _pct(col: str) -> pl.Expr:
    return (pl.col(col) * 100).round(1).alias(f"{col}_pct")


def code_names(by: str, names: Mapping[str, Mapping[str, str]]) -> Mapping[str, str]:
    """What a breakdown's codes are called: channels in Vietnamese, communes and agencies by
    name, categories as they are."""
    if by == "channel":
        return CHANNEL_LABELS
    return names.get(by, {})


BREAKDOWN_SHOWN = ("name", "received", "closed", "on_time_rate_pct", "satisfaction_rate_pct",
                   "open", "overdue")


def breakdown_frame(card: pl.DataFrame, by: str, names: Mapping[str, str]) -> pl.DataFrame:
    """One row per value of `by`, most received first: code, name, counts and rates (%)."""
    if card.is_empty():
        return pl.DataFrame(schema={by: pl.String, "name": pl.String, "received": pl.Int64,
                                    "closed": pl.Int64, "closed_on_time": pl.Int64,
                                    "on_time_rate_pct": pl.Float64, "rated": pl.Int64,
                                    "satisfied": pl.Int64, "satisfaction_rate_pct": pl.Float64,
                                    "open": pl.Int64, "overdue": pl.Int64,
                                    "previous_on_time_rate_pct": pl.Float64})
    return (card.sort(["received", by], descending=[True, False])
            .select(by, _names(by, names, "name"), "received", "closed", "closed_on_time",
                    _pct("on_time_rate"), "rated", "satisfied", _pct("satisfaction_rate"),
                    "open", "overdue", _pct("previous_on_time_rate")))


def _ranks(rates: list[float | None], received: list[int], codes: list[str]
           ) -> dict[str, int]:
    # Best rate first; equal rates: more handled first, then the code (stable and fair).
    order = sorted((i for i, r in enumerate(rates) if r is not None),
                   key=lambda i: (-(rates[i] or 0.0), -received[i], codes[i]))
    return {codes[i]: rank for rank, i in enumerate(order, start=1)}


def ranking_frame(card: pl.DataFrame, names: Mapping[str, str]) -> pl.DataFrame:
    """Agencies ranked on the on-time handling rate of the window (agencies without a closed
    report are not ranked), with their rank in the previous period and the movement
    ('▲2', '▼1', '–', 'mới')."""
    schema = {"rank": pl.Int64, "agency_code": pl.String, "name": pl.String,
              "on_time_rate_pct": pl.Float64, "closed": pl.Int64, "overdue": pl.Int64,
              "satisfaction_rate_pct": pl.Float64, "previous_rank": pl.Int64,
              "movement": pl.String}
    ranked = card.filter(pl.col("on_time_rate").is_not_null())
    if ranked.is_empty():
        return pl.DataFrame(schema=schema)
    codes = ranked["agency_code"].to_list()
    now = _ranks(ranked["on_time_rate"].to_list(), ranked["closed"].to_list(), codes)
    before = _ranks(ranked["previous_on_time_rate"].to_list(), [0] * len(codes), codes)
    rows = []
    for r in ranked.iter_rows(named=True):
        code = r["agency_code"]
        prev = before.get(code)
        rank = now[code]
        rows.append({
            "rank": rank, "agency_code": code, "name": names.get(code, code),
            "on_time_rate_pct": round(r["on_time_rate"] * 100, 1), "closed": r["closed"],
            "overdue": r["overdue"],
            "satisfaction_rate_pct": (None if r["satisfaction_rate"] is None
                                      else round(r["satisfaction_rate"] * 100, 1)),
            "previous_rank": prev,
            "movement": movement_text(None if prev is None else prev - rank, prev)})
    return pl.DataFrame(rows, schema=schema).sort("rank")


UNASSIGNED = "Chưa giao xử lý"  # a report just received has no handling agency yet


def report_frame(reports: pl.DataFrame, names: Mapping[str, Mapping[str, str]]
                 ) -> pl.DataFrame:
    """The report list as shown and exported: redacted text, channel, category, commune,
    agency, age (working days), due, state and status; no coordinates, no personal data."""
    return reports.select(
        "feedback_id", pl.col("state").replace_strict(STATE_LABELS, default=pl.col("state")),
        pl.col("status").replace_strict(STATUS_LABELS, default=pl.col("status")),
        "category", _names("channel", CHANNEL_LABELS, "channel_name"),
        _names("ward_code", names.get("ward_code", {}), "ward_name"),
        _names("agency_code", {"": UNASSIGNED, **names.get("agency_code", {})},
               "agency_name"),
        "received_at", "due_at", "age_days", "closed_at", "text")


def trend_frame(trend: pl.DataFrame) -> pl.DataFrame:
    """bucket, channel (Vietnamese), received: what the channel chart draws."""
    return trend.select("bucket", _names("channel", CHANNEL_LABELS, "channel_name"),
                        "received")


def cell_label(row: Mapping[str, object], wards: Mapping[str, str]) -> str:
    """'Phường Tân Hòa · 9 phản ánh · điểm nóng' for the cell picker."""
    ward = str(row.get("ward_code") or "")
    hot = " · điểm nóng" if row.get("is_hotspot") else ""
    return f"{wards.get(ward, ward) or '?'} · {row.get('count')} phản ánh{hot}"


def overdue_by_agency(deadlines: pl.DataFrame, names: Mapping[str, str]) -> pl.DataFrame:
    """Who holds the overdue reports: per agency, overdue and near-due open reports, most
    overdue first (unassigned reports under their own line)."""
    schema = {"agency_code": pl.String, "name": pl.String, "overdue": pl.Int64,
              "near_due": pl.Int64}
    if deadlines.is_empty():
        return pl.DataFrame(schema=schema)
    return (deadlines.group_by("agency_code")
            .agg((pl.col("state") == "overdue").sum().cast(pl.Int64).alias("overdue"),
                 (pl.col("state") == "near_due").sum().cast(pl.Int64).alias("near_due"))
            .with_columns(_names("agency_code", {"": UNASSIGNED, **names}, "name"))
            .sort(["overdue", "near_due", "agency_code"], descending=[True, True, False])
            .select(list(schema)))
