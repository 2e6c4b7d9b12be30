"""RSS 2.0 / Atom / JSON Feed connector: newspapers' and portals' feeds → `ioc.social.v1`.

One source polls every feed of a `FeedsConfig` (each at its own interval) and hands the
runtime one batch per fetched feed that changed something; the runtime validates, redacts
(title, text, url query values, author_ref → pseudonym), produces and saves the cursor after
the broker acknowledged the batch.

Per feed, the cursor holds the ETag and Last-Modified of the last 200 answer (sent back as
If-None-Match / If-Modified-Since: a 304 costs no parse and produces nothing), the dedupe keys
(digests) of the entries of the last document followed by the ``remember`` most recent keys of
entries that left it, and the newest publication time seen. Why that neither repeats nor skips:

- the cursor advances only with the batch that holds the document's new entries, so a crash
  before the acknowledgement re-fetches and re-sends (same post_id and event_id: the
  aggregator keeps one); after it, the entries are in ``seen``;
- every entry of the current document is always in ``seen``, whatever its size, so an entry
  still listed is never repeated; an entry that left the document and the remembered tail
  (``remember`` newer keys later) and then comes back unchanged would be new again — unless it
  is older than the feed's newest time by more than ``max_age_days``, in which case it is
  skipped and counted as ``too_old`` (the one deliberate skip: a feed re-listing month-old
  items is re-listing, not publishing).

Entry → event: the dedupe key is the guid/id, else the canonical link (utm_*, fbclid …
and the fragment removed); ``post_id`` = platform + digest of (feed name, key), stable across
polls and restarts. ``published_at`` in UTC from the entry's published date, else its updated
date, else the time the connector first saw it; ``published_at_source`` (an extra field,
optional) says which: published | updated | first_seen. HTML is stripped to text, entities
unescaped. ``ward_code`` is the commune the item names when it names exactly one, else null
with a reason (`connectors.listening.mentions`). Items not about the province are counted
(``not_about``) and skipped, not dead-lettered.

Dead letters (once each, their keys are remembered too): an entry without guid/id and link,
a JSON Feed item without id, an event the contract refuses; a document that cannot be read at
all (fatal bozo, not a feed) as one record with its bytes. A malformed XML document from which
feedparser's lenient parser still recovered entries: the entries flow and one dead letter
records the document's problem (once per distinct body).
Fetch failures (after the retries of `connectors.http.fetch`) and refusals (4xx) are logged and
counted per feed; the other feeds go on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.request import Request
from zoneinfo import ZoneInfo

from connectors.base import SourceBatch, SourceRecord, record_from_event, to_bytes
from connectors.feeds.config import FeedsConfig, FeedSpec
from connectors.feeds.parse import ParsedFeed, RawEntry, parse_document
from connectors.http.fetch import (
    FetchFailedError,
    FetchRefusedError,
    Response,
    RetryPolicy,
    fetch_with_retries,
)
from connectors.listening.mentions import MentionFilter
from connectors.listening.text import canonical_link, html_to_text, parse_feed_date
from ioc.events.contracts import MAX_TEXT, SOCIAL_CONTRACT

log = logging.getLogger(__name__)

SOURCE = "feeds"
USER_AGENT = "ioc-feeds/1 (+https://github.com/; provincial IOC social listening)"
STAT_KEYS = ("fetched", "not_modified", "failed", "entries", "new", "duplicates",
             "not_about", "too_old", "broken", "bad_documents")


def digest(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(to_bytes(p) + b"\0")
    return h.hexdigest()[:20]


class FeedSource:
    def __init__(self, config: FeedsConfig, clock: Callable[[], datetime] | None = None,
                 sleep: Callable[[float], Any] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.contract = SOCIAL_CONTRACT
        self.connector_id = f"feeds:{config.name}"
        self.interval_s = min([config.interval_of(f) for f in config.feeds])
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sleep = sleep
        self._monotonic = monotonic
        self._zone = ZoneInfo(config.timezone)
        self._policy = RetryPolicy(config.timeout_s, config.max_retries, config.backoff_s,
                                   config.backoff_max_s)
        self._filters = {f.name: MentionFilter(config.province_code,
                                               [*config.keywords, *f.keywords])
                         for f in config.feeds}
        self._due: dict[str, float] = {}
        self._next = 0  # round-robin start, so a busy feed cannot starve the others
        self.stats: dict[str, int] = dict.fromkeys(STAT_KEYS, 0)

    # ------------------------------------------------------------------ polling

    def poll(self, cursor: str | None) -> SourceBatch | None:
        """The next fetched feed that changed anything (records or its cursor), or None when
        no feed is due or none changed."""
        state = json.loads(cursor) if cursor else {}
        feeds_state: dict[str, Any] = {k: v for k, v in (state.get("feeds") or {}).items()
                                       if any(f.name == k for f in self.config.feeds)}
        n = len(self.config.feeds)
        for step in range(n):
            i = (self._next + step) % n
            feed = self.config.feeds[i]
            now = self._monotonic()
            if now < self._due.get(feed.name, 0.0):
                continue
            self._due[feed.name] = now + self.config.interval_of(feed)
            old = feeds_state.get(feed.name) or {}
            records, new = self.poll_feed(feed, old)
            if records or new != old:
                self._next = (i + 1) % n
                feeds_state[feed.name] = new
                return SourceBatch(records=records, cursor=json.dumps(
                    {"feeds": feeds_state}, ensure_ascii=False, sort_keys=True))
        return None

    def poll_feed(self, feed: FeedSpec,
                  state: dict[str, Any]) -> tuple[list[SourceRecord], dict[str, Any]]:
        """(records, the feed's new cursor state) of one conditional GET."""
        try:
            resp = self.fetch(feed, state)
        except (FetchRefusedError, FetchFailedError) as exc:
            self.stats["failed"] += 1
            log.warning("feed %s: %s", feed.name, exc)
            return [], state
        if resp.status == 304:
            self.stats["not_modified"] += 1
            return [], state
        self.stats["fetched"] += 1
        new = dict(state)
        for key, header in (("etag", "ETag"), ("modified", "Last-Modified")):
            value = resp.headers.get(header)
            if value:
                new[key] = value
            else:
                new.pop(key, None)
        parsed = parse_document(resp.body, resp.headers.get("Content-Type") or "")
        for note in parsed.notes:
            log.info("feed %s: %s", feed.name, note)
        records: list[SourceRecord] = []
        if parsed.problem:
            body_key = digest("document", resp.body.decode("latin-1"))
            if new.get("bad") != body_key:
                new["bad"] = body_key
                self.stats["bad_documents"] += 1
                records.append(SourceRecord(raw=resp.body, error=parsed.problem,
                                            headers=self._headers(feed, "document")))
        else:
            new.pop("bad", None)
        if parsed.fatal:
            return records, new
        records += self._entries(feed, parsed, new)
        return records, new

    def fetch(self, feed: FeedSpec, state: dict[str, Any]) -> Response:
        def request() -> Request:
            headers = {"User-Agent": USER_AGENT,
                       "Accept": "application/rss+xml, application/atom+xml, "
                                 "application/feed+json, application/xml;q=0.9, */*;q=0.8"}
            if state.get("etag"):
                headers["If-None-Match"] = state["etag"]
            if state.get("modified"):
                headers["If-Modified-Since"] = state["modified"]
            return Request(feed.url, headers=headers)

        return fetch_with_retries(request, feed.url, self._policy, self._sleep, accept=(304,))

    # ------------------------------------------------------------------ entries

    def _entries(self, feed: FeedSpec, parsed: ParsedFeed,
                 new: dict[str, Any]) -> list[SourceRecord]:
        seen_before: list[str] = list(new.get("seen") or [])
        seen = set(seen_before)
        newest = datetime.fromisoformat(new["newest"]) if new.get("newest") else None
        now = self._clock().astimezone(UTC)
        doc_keys: list[str] = []
        out: list[SourceRecord] = []
        dated: list[datetime] = []
        for entry in parsed.entries:
            self.stats["entries"] += 1
            ident = entry.guid or canonical_link(entry.link)
            problem = entry.problem or (None if ident else "entry has neither guid/id nor link")
            key = digest(feed.name, ident) if ident and not entry.problem else digest(
                feed.name, "broken", json.dumps(entry.raw, sort_keys=True, default=str))
            if key not in doc_keys:
                doc_keys.append(key)
            if key in seen:
                self.stats["duplicates"] += 1
                continue
            seen.add(key)
            if problem:
                self.stats["broken"] += 1
                out.append(SourceRecord(raw=self._raw(entry), error=problem,
                                        headers=self._headers(feed, str(entry.index))))
                continue
            published, how = self._published(entry, now)
            if how != "first_seen":
                dated.append(published)
            if newest is not None and published < newest - timedelta(
                    days=self.config.max_age_days):
                self.stats["too_old"] += 1
                continue
            title = html_to_text(entry.title)
            text = html_to_text(entry.body)
            mention = self._filters[feed.name].check(title, text)
            if feed.require_mention and not mention.about:
                self.stats["not_about"] += 1
                continue
            self.stats["new"] += 1
            post_id = f"{feed.platform}-{key[:16]}"
            event = {
                "schema": SOCIAL_CONTRACT.schema,
                "event_id": f"{SOURCE}:{post_id}:1",
                "type": "published",
                "occurred_at": published.isoformat(),
                "source": SOURCE,
                "seq": 1,
                "province_code": self.config.province_code,
                "ward_code": mention.ward_code,
                "ward_code_reason": mention.ward_reason,
                "post_id": post_id,
                "platform": feed.platform,
                "url": canonical_link(entry.link) if entry.link else None,
                "title": title[:MAX_TEXT] or None,
                "text": text[:MAX_TEXT] or None,
                "published_at": published.isoformat(),
                "published_at_source": how,
                "engagement": None,
                "author_ref": entry.author,
                "feed": feed.name,
            }
            out.append(record_from_event(event, self._headers(feed, ident or "")))
        keep = doc_keys + [k for k in seen_before if k not in set(doc_keys)]
        new["seen"] = keep[:len(doc_keys) + self.config.remember]
        if dated:
            top = max(dated)
            new["newest"] = max(top, newest).isoformat() if newest else top.isoformat()
        return out

    def _published(self, entry: RawEntry, now: datetime) -> tuple[datetime, str]:
        for value, how in ((entry.published, "published"), (entry.updated, "updated")):
            dt = parse_feed_date(value, self._zone)
            if dt is not None:
                return dt, how
        return now, "first_seen"

    def _headers(self, feed: FeedSpec, entry: str) -> dict[str, str]:
        return {"feed": feed.name, "url": feed.url, "entry": entry[:300]}

    @staticmethod
    def _raw(entry: RawEntry) -> bytes:
        return to_bytes(json.dumps(entry.raw, ensure_ascii=False, default=str))


__all__ = ["FeedSource", "SOURCE", "STAT_KEYS", "digest"]
