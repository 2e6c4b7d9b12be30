"""The Social page's figures from hourly social buckets (pure Polars, no Streamlit or SQL):
the filters, volume and sentiment over time, topics, places and platforms (the tiles are the
catalogue's KPIs, ioc.kpis.social_values). Every figure is a sum of additive counters, so a
filter by platform, topic or commune is a filter on rows before the sums (each post lands in
exactly one bucket)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from ioc.kpis.windows import Period
from ioc.reference.calendar import TZ
from ioc.ui.social.labels import PLATFORM_LABELS

COUNTERS = ("posts", "negative", "positive", "neutral", "engagement")
# Up to two days the trends are hourly; longer windows are drawn by local day (and their
# buckets read as one row per whole local day: ioc.kpis.social_values.page_buckets, whose
# HOURLY_UP_TO is this one).
HOURLY_UP_TO = timedelta(days=2)


@dataclass(frozen=True)
class Filters:
    """What the page shows: window, and optionally one platform, topic and commune."""

    window: str = "24h"
    platform: str = ""
    topic: str = ""
    ward: str = ""

    def scope(self, province: str) -> str:
        """The KPI scope of the filters: 'province:25,platform:news,topic:y tế,commune:…'."""
        parts = [f"province:{province}"]
        parts += [f"{kind}:{code}" for kind, code in (("platform", self.platform),
                                                      ("topic", self.topic),
                                                      ("commune", self.ward)) if code]
        return ",".join(parts)

    def tag(self) -> str:
        """File-name part of the exports: 'tiktok_giao-thong_08494_7d'."""
        parts = [self.platform, self.topic.replace(" ", "-"), self.ward, self.window]
        return "_".join(p for p in parts if p)


# URL parameters of the filters (?window=7d&platform=facebook&topic=y tế&commune=04792), so a
# view can be bookmarked or put on a wall screen's playlist.
PARAMS = (("window", "window"), ("platform", "platform"), ("topic", "topic"),
          ("ward", "commune"))


def params_of(f: Filters, default_window: str = "24h") -> dict[str, str]:
    """The non-default filters as URL parameters."""
    values = {"window": "" if f.window == default_window else f.window,
              "platform": f.platform, "topic": f.topic, "ward": f.ward}
    return {param: values[field] for field, param in PARAMS if values[field]}


def filters_from_params(params: Mapping[str, str], allowed: Mapping[str, Collection[str]],
                        default_window: str = "24h") -> Filters:
    """Filters from URL parameters; a value not in `allowed[field]` (a typo, a commune of
    another province) is ignored rather than shown as an empty page."""
    values = {field: params.get(param, "") for field, param in PARAMS}
    ok = {field: v if v in allowed[field] else "" for field, v in values.items()}
    return Filters(ok["window"] or default_window, ok["platform"], ok["topic"], ok["ward"])


def filtered(buckets: pl.DataFrame, f: Filters) -> pl.DataFrame:
    out = buckets
    for col, value in (("platform", f.platform), ("topic", f.topic), ("ward_code", f.ward)):
        if value:
            out = out.filter(pl.col(col) == value)
    return out


def step_of(period: Period) -> str:
    return "1h" if period.length <= HOURLY_UP_TO else "1d"


def _local(col: str = "hour") -> pl.Expr:
    # Buckets are naive UTC hours; the charts read Vietnam wall-clock time.
    return (pl.col(col).dt.replace_time_zone("UTC").dt.convert_time_zone(TZ.key)
            .dt.replace_time_zone(None))


def _grid(period: Period, step: str) -> pl.DataFrame:
    start = period.start.replace(tzinfo=None)
    times = pl.datetime_range(start, period.end - timedelta(hours=1), "1h", eager=True)
    frame = pl.DataFrame({"hour": times}).with_columns(_local().dt.truncate(step).alias("t"))
    return frame.select("t").unique().sort("t")


def over_time(buckets: pl.DataFrame, period: Period, by: str | None = None) -> pl.DataFrame:
    """Sums per local hour (windows up to two days) or local day, with every step of the
    window present (zero where nothing was posted, so lines do not bridge gaps)."""
    step = step_of(period)
    keys = ["t", by] if by else ["t"]
    summed = (buckets.with_columns(_local().dt.truncate(step).alias("t"))
              .group_by(keys).agg(pl.col(c).sum() for c in COUNTERS))
    grid = _grid(period, step)
    if by:
        values = summed[by].unique().sort() if summed.height else pl.Series(by, [], pl.String)
        grid = grid.join(pl.DataFrame({by: values}), how="cross")
    out = grid.join(summed, on=keys, how="left").with_columns(
        pl.col(c).fill_null(0).cast(pl.Int64) for c in COUNTERS)
    return out.sort([by, "t"] if by else "t").rename({"t": "period_start"})


def volume_frame(buckets: pl.DataFrame, period: Period) -> pl.DataFrame:
    """period_start, platform, platform_label, posts: the volume chart by platform."""
    frame = over_time(buckets, period, "platform")
    return frame.select("period_start", "platform", platform_label_expr(), "posts")


def sentiment_frame(buckets: pl.DataFrame, period: Period) -> pl.DataFrame:
    """period_start, posts, negative, positive, sentiment_index (null without posts),
    negative_share_pct."""
    frame = over_time(buckets, period)
    posts = pl.col("posts")
    return frame.select(
        "period_start", "posts", "negative", "positive",
        pl.when(posts > 0).then((pl.col("positive") - pl.col("negative")) / posts)
        .alias("sentiment_index"),
        pl.when(posts > 0).then(100 * pl.col("negative") / posts).alias("negative_share_pct"))


def platform_label_expr() -> pl.Expr:
    return (pl.col("platform").replace_strict(PLATFORM_LABELS, default=pl.col("platform"))
            .alias("platform_label"))


def _breakdown(buckets: pl.DataFrame, by: str) -> pl.DataFrame:
    posts = pl.col("posts")
    return (buckets.group_by(by).agg(pl.col(c).sum() for c in COUNTERS)
            .filter(posts > 0)
            .with_columns(
                (100 * pl.col("negative") / posts).alias("negative_share_pct"),
                ((pl.col("positive") - pl.col("negative")) / posts).alias("sentiment_index"))
            .sort([posts, by], descending=[True, False]))


def topic_frame(buckets: pl.DataFrame) -> pl.DataFrame:
    """topic, posts, negative, positive, neutral, engagement, negative_share_pct,
    sentiment_index; busiest first."""
    return _breakdown(buckets, "topic")


def platform_frame(buckets: pl.DataFrame) -> pl.DataFrame:
    return _breakdown(buckets, "platform").with_columns(platform_label_expr())


def place_frame(buckets: pl.DataFrame, names: Mapping[str, str]) -> pl.DataFrame:
    """ward_code, ward_name and the sums per commune the posts are about (posts without a
    commune are left out: they cannot go on the map)."""
    frame = _breakdown(buckets.filter(pl.col("ward_code") != ""), "ward_code")
    return frame.with_columns(
        pl.col("ward_code").replace_strict(dict(names), default=pl.col("ward_code"))
        .alias("ward_name")).select("ward_code", "ward_name", *frame.columns[1:])
