"""Generic HTTP JSON polling source (stdlib urllib only): incremental by "updated since".

Each poll asks ``GET url?{since_param}={cursor.updated}`` (first page), keeps the records whose
(updated, id) is above the cursor, and hands over one page of them sorted by (updated, id);
the new cursor is the (updated, id) of the last record handed over. The runtime stores that
cursor only after the broker acknowledged the batch, so a restart neither repeats nor skips a
record. Pages are followed (``page_param``/``page_size_param`` or a ``next_path`` link in the
body) only while they hold nothing new: that happens when more records share the cursor's
timestamp than fit on a page. Always restarting from the first page after ``since`` is keyset
pagination: records updated meanwhile cannot shift between offset pages and get lost.

Server assumptions: records sorted by (updated, id) ascending and ``since`` inclusive (>=);
a server using ">" would lose records sharing the cursor's timestamp across a restart.

Failures (`connectors.http.fetch.fetch_with_retries`, shared with open311 and the feeds):
timeouts, connection errors, 429 and 5xx are retried with exponential backoff
(``backoff_s`` doubling up to ``backoff_max_s``, ``max_retries`` times; a body that is not
JSON too); then `HttpUnavailableError` (an OSError, so a long-running connector backs off and
tries again). 401/403/other 4xx raise `HttpSourceError` at once. The credential comes from the
environment variable named by ``auth_env``; it is sent only to the configured host (never on a
redirect or to a next-page link on another host) and never logged or stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from urllib.request import Request

from connectors.base import SourceBatch, SourceRecord
from connectors.config_file import check_known, load_settings
from connectors.files.mapping import ColumnMapping, MappingError
from connectors.http.fetch import (
    FetchFailedError,
    FetchRefusedError,
    RetryPolicy,
    fetch_with_retries,
)
from ioc.events.contracts import contract_for_topic
from ioc.reference.calendar import TZ

log = logging.getLogger(__name__)


class HttpSourceError(Exception):
    """The server refused the request (status and URL in the message) or answered nonsense."""

    status: int | None = None
    url: str | None = None


class HttpUnavailableError(HttpSourceError, OSError):
    """Still failing after the retries (transient kind): the runtime backs off and retries."""


@dataclass
class HttpPollConfig:
    url: str
    name: str | None = None  # connector id suffix; default host + path of `url`
    topic: str = "ioc.dossier.v1"  # contract of the records when there is no mapping
    since_param: str = "updated_since"
    updated_field: str = "updated_at"
    id_field: str = "id"
    records_path: str | None = None  # dotted path of the record list in the body; None = body
    page_param: str | None = None
    page_size_param: str | None = None
    page_size: int = 100
    first_page: int = 1
    next_path: str | None = None  # dotted path of the next page's URL in the body
    params: dict[str, str] = field(default_factory=dict)  # extra fixed query parameters
    auth_header: str | None = None  # e.g. "Authorization"
    auth_env: str | None = None  # env var holding the header's value, e.g. "Bearer abc"
    timeout_s: float = 10.0
    max_retries: int = 3
    backoff_s: float = 0.5
    backoff_max_s: float = 30.0
    interval_s: float = 60.0  # pause between polls once the server has nothing new
    max_pages: int = 1000  # pages walked in one poll before giving up (runaway pagination)
    mapping: str | dict[str, Any] | None = None  # mapping YAML (relative to the config) or inline

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any], base_dir: Path | None = None) -> HttpPollConfig:
        check_known(spec, cls, "HTTP poll")
        if not spec.get("url"):
            raise ValueError("HTTP poll config needs a url")
        cfg = cls(**spec)
        if isinstance(cfg.mapping, str) and base_dir is not None:
            path = Path(cfg.mapping)
            cfg.mapping = str(path if path.is_absolute() else base_dir / path)
        if (cfg.auth_header is None) != (cfg.auth_env is None):
            raise ValueError("auth_header and auth_env go together")
        if cfg.page_param and cfg.next_path:
            raise ValueError("choose page_param or next_path pagination, not both")
        return cfg

    @classmethod
    def load(cls, path: str | Path) -> HttpPollConfig:
        path = Path(path)
        return cls.from_dict(load_settings(path), base_dir=path.parent)

    def load_mapping(self) -> ColumnMapping | None:
        if self.mapping is None:
            return None
        if isinstance(self.mapping, Mapping):
            return ColumnMapping.from_dict(self.mapping, origin="mapping")
        return ColumnMapping.load(self.mapping)


class HttpJsonSource:
    def __init__(self, config: HttpPollConfig, mapping: ColumnMapping | None = None,
                 sleep: Any = time.sleep) -> None:
        self.config = config
        self.mapping = mapping
        self.contract = mapping.contract if mapping else contract_for_topic(config.topic)
        parts = urlsplit(config.url)
        self._origin = (parts.scheme, parts.netloc)
        self.connector_id = f"http:{config.name or parts.netloc + parts.path}"
        self._sleep = sleep
        if config.auth_env and not os.environ.get(config.auth_env):
            raise HttpSourceError(f"environment variable {config.auth_env} (auth_env) is not "
                                  "set")
        # Records without an (updated, id) key cannot be checkpointed: dead-letter each once
        # per process rather than on every poll.
        self._keyless_seen: set[str] = set()

    # ------------------------------------------------------------------ polling

    def poll(self, cursor: str | None) -> SourceBatch | None:
        cur = json.loads(cursor) if cursor else None
        cur_key = _key(cur["updated"], cur["id"]) if cur else None
        page = self.config.first_page
        url = self._page_url(cur["updated"] if cur else None, page)
        visited: set[str] = set()
        for _ in range(self.config.max_pages):
            visited.add(url)
            body = self._fetch(url)
            items = self._records(body, url)
            fresh: list[tuple[tuple, dict[str, Any]]] = []
            out: list[SourceRecord] = []
            for rec in items:
                key = self._record_key(rec)
                if key is None:
                    digest = hashlib.sha256(json.dumps(rec, sort_keys=True, default=str)
                                            .encode()).hexdigest()
                    if digest not in self._keyless_seen:
                        self._keyless_seen.add(digest)
                        out.append(self._keyless(rec, url))
                elif cur_key is None or key > cur_key:
                    fresh.append((key, rec))
            if fresh or out:
                fresh.sort(key=lambda kr: kr[0])
                out = [self._source_record(rec, url) for _, rec in fresh] + out
                if fresh:
                    last = fresh[-1][1]
                    cursor = json.dumps({"updated": last[self.config.updated_field],
                                         "id": last[self.config.id_field]},
                                        ensure_ascii=False, sort_keys=True)
                return SourceBatch(records=out, cursor=cursor or "")
            next_url = self._next_url(body, url, cur, page, len(items))
            if next_url is None:
                return None  # nothing new on any page
            if next_url in visited:
                raise HttpSourceError(f"pagination of {self.config.url} loops back to "
                                      f"{next_url}")
            url, page = next_url, page + 1
        raise HttpSourceError(f"{self.config.url}: more than {self.config.max_pages} pages "
                              "without a new record (check since_param and the sort order)")

    # ------------------------------------------------------------------ URLs and bodies

    def _page_url(self, since: Any, page: int) -> str:
        cfg = self.config
        parts = urlsplit(cfg.url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        query += [(k, str(v)) for k, v in cfg.params.items()]
        if since is not None:
            query.append((cfg.since_param, str(since)))
        if cfg.page_param:
            query.append((cfg.page_param, str(page)))
            if cfg.page_size_param:
                query.append((cfg.page_size_param, str(cfg.page_size)))
        return urlunsplit(parts._replace(query=urlencode(query)))

    def _next_url(self, body: Any, url: str, cur: dict | None, page: int,
                  count: int) -> str | None:
        cfg = self.config
        if cfg.next_path:
            link = _dig(body, cfg.next_path)
            return urljoin(url, str(link)) if link else None
        if cfg.page_param:
            # A short page is the last one (without a page size: an empty page is).
            full = count >= cfg.page_size if cfg.page_size_param else count > 0
            return self._page_url(cur["updated"] if cur else None, page + 1) if full else None
        return None

    def _records(self, body: Any, url: str) -> list[Any]:
        path = self.config.records_path
        items = _dig(body, path) if path else body
        if not isinstance(items, list):
            where = f"at {path!r}" if path else "as the body"
            raise HttpSourceError(f"{url}: response has no list of records {where}")
        return items

    def _record_key(self, rec: Any) -> tuple | None:
        if not isinstance(rec, Mapping):
            return None
        updated, id_ = rec.get(self.config.updated_field), rec.get(self.config.id_field)
        if updated is None or id_ is None:
            return None
        return _key(updated, id_)

    def _source_record(self, rec: dict[str, Any], url: str) -> SourceRecord:
        raw = json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"url": url, "record_id": str(rec.get(self.config.id_field))}
        if self.mapping is None:
            return SourceRecord(raw=raw, event=dict(rec), headers=headers)
        try:
            return SourceRecord(raw=raw, event=self.mapping.map_record(rec), headers=headers)
        except MappingError as exc:
            return SourceRecord(raw=raw, error=str(exc), headers=headers)

    def _keyless(self, rec: Any, url: str) -> SourceRecord:
        cfg = self.config
        raw = json.dumps(rec, ensure_ascii=False, separators=(",", ":"), default=str).encode()
        rid = rec.get(cfg.id_field) if isinstance(rec, Mapping) else None
        return SourceRecord(raw=raw, headers={"url": url, "record_id": str(rid)},
                            error=f"record has no {cfg.updated_field!r} or {cfg.id_field!r}")

    # ------------------------------------------------------------------ HTTP

    def _fetch(self, url: str) -> Any:
        cfg = self.config
        policy = RetryPolicy(cfg.timeout_s, cfg.max_retries, cfg.backoff_s, cfg.backoff_max_s)
        try:
            return fetch_with_retries(lambda: self._request(url), url, policy, self._sleep,
                                      parse=json.loads).parsed
        except FetchRefusedError as exc:
            err = HttpSourceError(f"{exc}{self._scrubbed(exc.excerpt)}")
            err.status, err.url = exc.status, url
            raise err from None
        except FetchFailedError as exc:
            failed = HttpUnavailableError(str(exc))
            failed.url = url
            raise failed from None

    def _request(self, url: str) -> Request:
        req = Request(url, headers={"Accept": "application/json",
                                    "User-Agent": "ioc-http-poll/1"})
        cfg = self.config
        if cfg.auth_header and cfg.auth_env:
            parts = urlsplit(url)
            if (parts.scheme, parts.netloc) != self._origin:
                raise HttpSourceError(f"refusing to send {cfg.auth_header} to {parts.netloc} "
                                      f"(configured host is {self._origin[1]})")
            # Unredirected: urllib would otherwise forward it to wherever a redirect points.
            req.add_unredirected_header(cfg.auth_header, self._secret())
        return req

    def _secret(self) -> str:
        # Read per request so a rotated token is picked up without a restart.
        value = os.environ.get(self.config.auth_env or "")
        if not value:
            raise HttpSourceError(f"environment variable {self.config.auth_env} (auth_env) "
                                  "is not set")
        return value

    def _scrubbed(self, excerpt: str) -> str:
        """A short excerpt of an error body (servers explain 4xx there), credential scrubbed."""
        text = excerpt
        secret = os.environ.get(self.config.auth_env or "") if self.config.auth_env else None
        if secret:
            text = text.replace(secret, "***")
            for piece in secret.split():
                if len(piece) >= 6:  # the bare token without its "Bearer " prefix
                    text = text.replace(piece, "***")
        return f": {' '.join(text.split())[:200]}" if text else ""


# ---------------------------------------------------------------------- helpers

def _dig(body: Any, path: str) -> Any:
    node = body
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _key(updated: Any, id_: Any) -> tuple:
    """Order of (updated, id): times as instants (naive = local time), ids numerically when
    both are integers. The kind comes first so mixed kinds still compare."""
    if isinstance(updated, int | float) and not isinstance(updated, bool):
        u: tuple = (0, float(updated))
    else:
        try:
            dt = datetime.fromisoformat(str(updated))
            u = (0, (dt if dt.tzinfo else dt.replace(tzinfo=TZ)).timestamp())
        except ValueError:
            u = (1, str(updated))
    if isinstance(id_, int) and not isinstance(id_, bool):
        i: tuple = (0, id_, "")
    elif str(id_).isdigit():
        i = (0, int(str(id_)), "")
    else:
        i = (1, 0, str(id_))
    return (u, i)


__all__ = ["HttpPollConfig", "HttpJsonSource", "HttpSourceError", "HttpUnavailableError"]
