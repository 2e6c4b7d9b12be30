"""Settings of the feed connector (`ioc connect feeds --config FILE.yaml`); a sample is
`connectors/feeds/feeds.example.yaml`.

```yaml
name: phu-tho-news          # connector id suffix (one cursor for all feeds below)
province_code: "25"
keywords: [Đền Hùng]         # extra words that make an item "about the province", every feed
interval_s: 300             # default poll interval per feed
feeds:
  - {name: baophutho, url: https://baophutho.vn/rss/thoi-su.rss, platform: news}
  - {name: cong-tinh, url: https://phutho.gov.vn/feed.atom, platform: news,
     interval_s: 900, keywords: [UBND tỉnh]}
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.config_file import check_known, load_settings
from ioc.events.contracts import SOCIAL_CONTRACT
from ioc.reference.admin_units import province

PLATFORMS = tuple(p for p in SOCIAL_CONTRACT.enums["platform"] if p)


@dataclass
class FeedSpec:
    name: str  # stable: part of every post_id of the feed (do not rename a feed in use)
    url: str
    platform: str = "news"
    keywords: list[str] = field(default_factory=list)
    interval_s: float | None = None  # None: the connector's default
    require_mention: bool = True  # False: every item is about the province (a local paper)


@dataclass
class FeedsConfig:
    province_code: str
    feeds: list[FeedSpec]
    name: str = "feeds"
    keywords: list[str] = field(default_factory=list)
    interval_s: float = 300.0
    timeout_s: float = 15.0
    max_retries: int = 3
    backoff_s: float = 0.5
    backoff_max_s: float = 30.0
    remember: int = 500  # dedupe keys kept per feed beyond the current document (cursor)
    max_age_days: float = 30.0  # an unseen item older than the feed's newest by more: skipped
    timezone: str = "Asia/Ho_Chi_Minh"  # zone of a feed date written without an offset

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> FeedsConfig:
        check_known(spec, cls, "feed")
        if not spec.get("province_code"):
            raise ValueError("feeds config needs province_code")
        code = str(spec["province_code"]).zfill(2)
        province(code)  # ValueError naming the 34 codes when unknown
        raw_feeds = spec.get("feeds") or []
        if not isinstance(raw_feeds, list) or not raw_feeds:
            raise ValueError("feeds config needs a non-empty list `feeds`")
        feeds: list[FeedSpec] = []
        for i, item in enumerate(raw_feeds):
            if not isinstance(item, Mapping) or not item.get("url") or not item.get("name"):
                raise ValueError(f"feeds[{i}]: needs a name and a url")
            check_known(item, FeedSpec, f"feeds[{i}]")
            feed = FeedSpec(**{**item, "name": str(item["name"]),
                               "keywords": [str(k) for k in item.get("keywords") or []]})
            if feed.platform not in PLATFORMS:
                raise ValueError(f"feeds[{i}].platform: not one of {list(PLATFORMS)}")
            feeds.append(feed)
        dupes = {f.name for f in feeds if [g.name for g in feeds].count(f.name) > 1}
        if dupes:
            raise ValueError(f"feed names must be unique: {sorted(dupes)}")
        cfg = cls(**{**spec, "province_code": code, "feeds": feeds,
                     "keywords": [str(k) for k in spec.get("keywords") or []]})
        if cfg.remember < 1 or cfg.interval_s < 0 or cfg.max_age_days <= 0:
            raise ValueError("remember and max_age_days must be positive, interval_s >= 0")
        return cfg

    @classmethod
    def load(cls, path: str | Path) -> FeedsConfig:
        return cls.from_dict(load_settings(path))

    def interval_of(self, feed: FeedSpec) -> float:
        return self.interval_s if feed.interval_s is None else float(feed.interval_s)


__all__ = ["FeedSpec", "FeedsConfig", "PLATFORMS"]
