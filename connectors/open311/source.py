"""Open311 GeoReport v2 client as a connector source: service requests → `ioc.feedback.v1`.

Polling (stdlib urllib):

- ``services.json`` once per process: the category list. A ``service_code`` missing from the
  config's ``services`` map gets the category whose name equals its ``service_name``, else
  ``default_category``.
- New requests: ``requests.json?start_date=A&end_date=B`` over windows of requested_datetime
  walked forward from ``start``, at most ``window_days`` wide and ending ``lag_s`` before now.
  Servers cap a response (commonly 1,000 requests or 90 days): a response holding
  ``max_requests`` or more is *full*, so the window is halved and asked again until it is not
  (or is ``min_window_s`` wide: then it is taken as is and a warning says records may be
  missing). Records are kept when A ≤ requested_datetime < B, whatever the server's
  inclusivity, so a record sits in exactly one window. One window is one batch; the cursor
  (the next window's start) is checkpointed by the runtime once the batch is on the broker, so
  a restart resumes without a gap or a repeat.
- Status changes: once the walk has reached now, every poll (at most every ``interval_s``)
  asks for the requests *updated* in [U, now − lag), U being where the previous one ended (the
  first U is the instant of the very first poll: what the walk fetched already carries every
  change before it). A server with an "updated since" extension is asked with
  ``updated_after_param`` / ``updated_before_param`` (split when full like the walk); a plain
  GeoReport v2 server has none, so the requests of the last ``lookback_days`` are re-read and
  those whose updated_datetime falls in [U, now − lag) are kept: a change to an older request
  is then not seen (documented limit). A request created and changed between two polls may
  come through both paths: the same event (same event_id and seq), which downstream ignores.

Mapping (one event per request, state-carrying):

- ``feedback_id`` "o311-{service_request_id}"; ``channel`` open311; ``received_at`` the
  requested_datetime; ``occurred_at`` the updated_datetime (else the requested one).
- ``type``/``status``: closed → closed (``closed_at`` = updated_datetime); open with
  status_notes → responded (the agency answered; ``responded_at`` = updated_datetime); open
  otherwise → received.
- ``seq`` = updated_datetime in epoch seconds × 4 + stage rank, so a newer status wins and,
  at the same second, closed beats responded beats received.
- ``due_at`` = the server's ``expected_datetime`` when given (the agency is held to it), else
  received_at + the SLA rule in force for (category, agency) at the receipt
  (`ioc.feedback.sla.due_at`: working days on the Vietnamese calendar of the dossiers).
- ``agency_code`` from the service's mapped agency (acronym → the province's department),
  else the category's department.
- ``ward_code`` from the coordinates (nearest commune centroid, `ioc.reference.geo`), else the
  address; null with the reason when outside the province or when neither is usable.
  Coordinates outside Vietnam (e.g. 0,0 placeholders) are dropped with a ``geo_reason``.

A record the mapping cannot read (no id, no requested_datetime, an unreadable time) becomes an
error record; the runtime dead-letters it (stage map), as it does events the contract refuses
(stage validate), with the request URL (API key scrubbed) and the request id as headers.

HTTP (`connectors.http.fetch.fetch_with_retries`, shared with the poller and the feeds): timeouts,
connection errors, 429, 5xx and non-JSON bodies are retried with exponential
backoff; then `Open311UnavailableError` (an OSError: a long-running connector backs off and
tries again). Other 4xx raise `Open311Error` at once. The API key comes from the environment
variable ``api_key_env`` (read per request), is sent only to the configured host and never
logged.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit
from urllib.request import Request
from zoneinfo import ZoneInfo

from connectors.base import SourceBatch, SourceRecord
from connectors.files.mapping import norm
from connectors.http.fetch import (
    FetchFailedError,
    FetchRefusedError,
    RetryPolicy,
    fetch_with_retries,
)
from connectors.open311.config import Open311Config
from ioc.events.contracts import FEEDBACK_CONTRACT, LAT_RANGE, LON_RANGE
from ioc.feedback.sla import due_at as sla_due_at
from ioc.reference.calendar import TZ
from ioc.reference.catalogue import (
    FEEDBACK_CATEGORIES,
    agency,
    department_code,
    feedback_category,
)
from ioc.reference.geo import resolve

log = logging.getLogger(__name__)

SOURCE = "open311"
RANK = {"received": 0, "responded": 1, "closed": 2}
REASON_BAD_COORDS = "tọa độ không hợp lệ hoặc ngoài lãnh thổ"
REASON_NO_COORDS = "không có tọa độ"


class Open311Error(Exception):
    """The server refused the request or answered something that is not GeoReport v2."""


class Open311UnavailableError(Open311Error, OSError):
    """Still failing after the retries: the runtime backs off and tries again."""


def _iso(dt: datetime) -> str:
    return dt.astimezone(TZ).isoformat()


class Open311Source:
    def __init__(self, config: Open311Config, clock: Callable[[], datetime] | None = None,
                 sleep: Callable[[float], Any] = time.sleep) -> None:
        self.config = config
        self.contract = FEEDBACK_CONTRACT
        parts = urlsplit(config.base_url.rstrip("/"))
        self._origin = (parts.scheme, parts.netloc)
        self.connector_id = f"open311:{config.name or parts.netloc + parts.path}"
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sleep = sleep
        self._server_tz = ZoneInfo(config.server_tz)
        self._services: dict[str, str] | None = None  # service_code → service_name
        self.stats = {"windows": 0, "splits": 0, "truncated": 0}
        if config.api_key_env and not os.environ.get(config.api_key_env):
            raise Open311Error(f"environment variable {config.api_key_env} (api_key_env) is "
                               "not set")

    # ------------------------------------------------------------------ polling

    def poll(self, cursor: str | None) -> SourceBatch | None:
        cfg = self.config
        now = self._clock() - timedelta(seconds=cfg.lag_s)
        cur = json.loads(cursor) if cursor else {"walk": cfg.start, "updates": _iso(now)}
        self.services()
        walk = datetime.fromisoformat(cur["walk"])
        if walk < now:
            end = min(walk + timedelta(days=cfg.window_days), now)
            records, end = self._window(walk, end)
            return SourceBatch(records=records,
                               cursor=json.dumps({**cur, "walk": _iso(end)}))
        since = datetime.fromisoformat(cur["updates"])
        if (now - since).total_seconds() < cfg.interval_s:
            return None  # caught up: pace the change polls
        records = self._updates(since, now)
        return SourceBatch(records=records, cursor=json.dumps({**cur, "updates": _iso(now)}))

    def services(self) -> dict[str, str]:
        if self._services is None:
            body = self._get("services.json", {})
            if not isinstance(body, list):
                raise Open311Error("services.json: expected a list of services")
            self._services = {str(s.get("service_code")): str(s.get("service_name") or "")
                              for s in body if isinstance(s, dict)}
        return self._services

    def _window(self, start: datetime, end: datetime,
                params: tuple[str, str] = ("start_date", "end_date"),
                field: str = "requested_datetime") -> tuple[list[SourceRecord], datetime]:
        """Records with start ≤ field < end' and end' (≤ end): the window halved while the
        server's answer is full."""
        cfg = self.config
        while True:
            query = {params[0]: _iso(start), params[1]: _iso(end)}
            body = self._get("requests.json", query)
            if not isinstance(body, list):
                raise Open311Error("requests.json: expected a list of service requests")
            width = (end - start).total_seconds()
            if len(body) >= cfg.max_requests:
                if width / 2 >= cfg.min_window_s:
                    self.stats["splits"] += 1
                    end = start + (end - start) / 2
                    continue
                self.stats["truncated"] += 1
                log.warning("%s: %d requests between %s and %s, the server's cap, in a "
                            "window of %.0f s: some may be missing", self.connector_id,
                            len(body), _iso(start), _iso(end), width)
            self.stats["windows"] += 1
            url = self._url("requests.json", query, with_key=False)
            out = []
            for item in body:
                try:
                    when = self._time_of(item, field)
                except ValueError:
                    when = None  # unreadable: handed over, the mapping dead-letters it
                if when is not None and not start <= when < end:
                    continue  # another window's (servers differ on inclusive bounds)
                out.append(self.record(item, url))
            return out, end

    def _updates(self, since: datetime, now: datetime) -> list[SourceRecord]:
        cfg = self.config
        out: list[SourceRecord] = []
        if cfg.updated_after_param and cfg.updated_before_param:
            params = (cfg.updated_after_param, cfg.updated_before_param)
            a = since
            while a < now:
                records, a = self._window(a, now, params, "updated_datetime")
                out += records
            return out
        a = now - timedelta(days=cfg.lookback_days)
        while a < now:
            end = min(a + timedelta(days=cfg.window_days), now)
            records, a = self._window(a, end)
            for rec in records:
                when = _updated(rec)
                if when is None or since <= when < now:
                    out.append(rec)
        return out

    # ------------------------------------------------------------------ mapping

    def record(self, item: Any, url: str) -> SourceRecord:
        raw = json.dumps(item, ensure_ascii=False, separators=(",", ":"), default=str).encode()
        rid = item.get("service_request_id") if isinstance(item, dict) else None
        headers = {"url": url, "record_id": str(rid)}
        try:
            event = self.map_request(item)
        except ValueError as exc:
            return SourceRecord(raw=raw, error=str(exc), headers=headers)
        return SourceRecord(raw=raw, event=event, headers=headers)

    def map_request(self, item: Any) -> dict[str, Any]:
        """One feedback event from one GeoReport v2 service request; ValueError names the
        field (never its value)."""
        if not isinstance(item, dict):
            raise ValueError("service request is not a JSON object")
        rid = item.get("service_request_id")
        if rid is None or str(rid).strip() == "":
            raise ValueError("service_request_id: missing")
        received = self._time_of(item, "requested_datetime")
        if received is None:
            raise ValueError("requested_datetime: missing")
        updated = self._time_of(item, "updated_datetime") or received
        status = str(item.get("status") or "open").strip().lower()
        if status not in ("open", "closed"):
            raise ValueError("status: not open or closed")
        notes = str(item.get("status_notes") or "").strip()
        type_ = "closed" if status == "closed" else "responded" if notes else "received"
        category, agency_code = self._category_agency(item)
        lat, lon, geo_reason = _coordinates(item)
        address = str(item.get("address") or "").strip() or None
        found = resolve(self.config.province_code, lat, lon, address)
        seq = int(updated.timestamp()) * 4 + RANK[type_]
        feedback_id = f"o311-{rid}"
        return {
            "schema": FEEDBACK_CONTRACT.schema,
            "event_id": f"{SOURCE}:{feedback_id}:{seq}",
            "type": type_,
            "occurred_at": _iso(updated),
            "source": SOURCE,
            "seq": seq,
            "province_code": self.config.province_code,
            "ward_code": found.ward_code,
            "ward_code_reason": found.reason,
            "feedback_id": feedback_id,
            "channel": "open311",
            "category": category,
            "text": item.get("description") if isinstance(item.get("description"), str)
            else None,
            "lat": lat,
            "lon": lon,
            "geo_reason": geo_reason,
            "address": address,
            "agency_code": agency_code,
            "received_at": _iso(received),
            # The server's own deadline wins (the agency is held to it); else our SLA rule.
            "due_at": _iso(self._time_of(item, "expected_datetime")
                           or sla_due_at(category, agency_code, received)),
            "responded_at": _iso(updated) if type_ in ("responded", "closed") else None,
            "closed_at": _iso(updated) if type_ == "closed" else None,
            "status": type_,
            "rating": None,
        }

    def _category_agency(self, item: dict[str, Any]) -> tuple[str, str | None]:
        cfg = self.config
        code = str(item.get("service_code") or "")
        mapped = cfg.services.get(code)
        if mapped is not None:
            category, acr = mapped.category, mapped.agency
        else:
            name = norm(item.get("service_name") or self.services().get(code) or "")
            category = next((c.name for c in FEEDBACK_CATEGORIES if norm(c.name) == name),
                            cfg.default_category)
            acr = None
        acr = acr or feedback_category(category).agency
        try:  # a full code ("UBND-08494") or a department acronym ("SXD")
            return category, agency(cfg.province_code, acr).code
        except ValueError:
            return category, agency(cfg.province_code,
                                    department_code(acr, cfg.province_code)).code

    def _time_of(self, item: Any, name: str) -> datetime | None:
        if not isinstance(item, dict) or item.get(name) in (None, ""):
            return None
        try:
            dt = datetime.fromisoformat(str(item[name]).strip())
        except ValueError:
            raise ValueError(f"{name}: not an ISO 8601 time") from None
        return dt if dt.tzinfo else dt.replace(tzinfo=self._server_tz)

    # ------------------------------------------------------------------ HTTP

    def _url(self, path: str, query: dict[str, str], with_key: bool = True) -> str:
        cfg = self.config
        q = dict(query)
        if cfg.jurisdiction_id:
            q["jurisdiction_id"] = cfg.jurisdiction_id
        if with_key and cfg.api_key_env:
            q[cfg.api_key_param] = self._secret()
        return f"{cfg.base_url.rstrip('/')}/{path}" + (f"?{urlencode(q)}" if q else "")

    def _secret(self) -> str:
        value = os.environ.get(self.config.api_key_env or "")
        if not value:
            raise Open311Error(f"environment variable {self.config.api_key_env} "
                               "(api_key_env) is not set")
        return value

    def _get(self, path: str, query: dict[str, str]) -> Any:
        cfg = self.config
        shown = self._url(path, query, with_key=False)  # what logs and errors may show

        def request() -> Request:
            return Request(self._url(path, query), headers={"Accept": "application/json",
                                                            "User-Agent": "ioc-open311/1"})

        policy = RetryPolicy(cfg.timeout_s, cfg.max_retries, cfg.backoff_s, cfg.backoff_max_s)
        try:
            # Not verbose: an exception's text could quote the URL, which holds the key.
            return fetch_with_retries(request, shown, policy, self._sleep, parse=json.loads,
                                      verbose=False).parsed
        except FetchRefusedError as exc:
            raise Open311Error(f"HTTP {exc.status} from {shown}") from None
        except FetchFailedError as exc:
            raise Open311UnavailableError(str(exc)) from None


def _coordinates(item: dict[str, Any]) -> tuple[float | None, float | None, str | None]:
    lat, lon = item.get("lat"), item.get("long", item.get("lon"))
    if lat in (None, "") or lon in (None, ""):
        return None, None, REASON_NO_COORDS
    try:
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError):
        return None, None, REASON_BAD_COORDS
    if not (LAT_RANGE[0] <= la <= LAT_RANGE[1] and LON_RANGE[0] <= lo <= LON_RANGE[1]):
        return None, None, REASON_BAD_COORDS
    return la, lo, None


def _updated(rec: SourceRecord) -> datetime | None:
    if rec.event is None:
        return None
    return datetime.fromisoformat(rec.event["occurred_at"])


__all__ = ["Open311Error", "Open311Source", "Open311UnavailableError", "SOURCE"]
