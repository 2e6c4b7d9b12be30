"""Settings of an Open311 GeoReport v2 connector (`ioc connect open311 --config FILE.yaml`).

```yaml
base_url: https://311.example.gov/open311/v2   # services.json and requests.json below it
jurisdiction_id: example.gov                   # optional
api_key_env: IOC_OPEN311_KEY                   # optional: env var holding the API key
province_code: "25"
start: "2026-01-01T00:00:00+07:00"             # first requested_datetime to fetch
window_days: 90                                # widest start_date/end_date window asked
max_requests: 1000                             # the server's cap: a response this long is full
services:                                      # service_code → our category (and agency)
  "001": {category: giao thông, agency: SXD}   # department acronym or a full agency code
  "002": {category: môi trường}                # agency: the category's department
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors.config_file import check_known, load_settings
from ioc.reference.calendar import TZ
from ioc.reference.catalogue import FEEDBACK_CATEGORIES


@dataclass
class ServiceMap:
    category: str
    agency: str | None = None  # acronym ("SXD") or agency code ("SXD-25", "UBND-08494")


@dataclass
class Open311Config:
    base_url: str
    province_code: str
    start: str  # ISO 8601: where the first window begins
    name: str | None = None  # connector id suffix; default the host + path
    jurisdiction_id: str | None = None
    api_key_env: str | None = None
    api_key_param: str = "api_key"
    window_days: float = 90.0
    min_window_s: float = 60.0  # narrowest window before accepting a full response as is
    max_requests: int = 1000
    lag_s: float = 60.0  # windows end this long before now (servers index late)
    # Status changes: a server supporting an "updated since" extension is asked with these
    # parameters; otherwise the requests of the last `lookback_days` are re-read.
    updated_after_param: str | None = None
    updated_before_param: str | None = None
    lookback_days: float = 30.0
    timeout_s: float = 15.0
    max_retries: int = 3
    backoff_s: float = 0.5
    backoff_max_s: float = 30.0
    interval_s: float = 60.0  # pause between polls once caught up
    default_category: str = "khác"
    server_tz: str = "Asia/Ho_Chi_Minh"  # zone of a time without offset (non-conforming)
    services: dict[str, ServiceMap] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> Open311Config:
        check_known(spec, cls, "Open311")
        for need in ("base_url", "province_code", "start"):
            if not spec.get(need):
                raise ValueError(f"Open311 config needs {need}")
        services: dict[str, ServiceMap] = {}
        known = {c.name for c in FEEDBACK_CATEGORIES}
        for code, m in (spec.get("services") or {}).items():
            m = {"category": m} if isinstance(m, str) else dict(m or {})
            if m.get("category") not in known:
                raise ValueError(f"services.{code}.category: not one of {sorted(known)}")
            services[str(code)] = ServiceMap(str(m["category"]), m.get("agency"))
        cfg = cls(**{**spec, "services": services,
                     "province_code": str(spec["province_code"]).zfill(2),
                     "start": str(spec["start"])})
        if cfg.default_category not in known:
            raise ValueError(f"default_category: not one of {sorted(known)}")
        start = datetime.fromisoformat(cfg.start)
        if start.tzinfo is None:
            cfg.start = start.replace(tzinfo=TZ).isoformat()
        if cfg.window_days <= 0 or cfg.max_requests < 1 or cfg.min_window_s <= 0:
            raise ValueError("window_days, max_requests and min_window_s must be positive")
        if (cfg.updated_after_param is None) != (cfg.updated_before_param is None):
            raise ValueError("updated_after_param and updated_before_param go together")
        return cfg

    @classmethod
    def load(cls, path: str | Path) -> Open311Config:
        return cls.from_dict(load_settings(path))


__all__ = ["Open311Config", "ServiceMap"]
