"""Social-listening vendor exports → `ioc.social.v1` events: the social half of
`ColumnMapping.map_record` (a mapping with ``contract: ioc.social.v1``; see
`connectors/files/mappings/social_vi.yaml`).

Mappable besides the contract's fields: ``likes``, ``shares``, ``comments``, ``views``
(counts, gathered into ``engagement``) and ``author`` (the handle, stored only as a
pseudonymous ``author_ref``: `ioc.events.redact.pseudonym`, the same digest the runtime gives
an ``author_ref``).

Derived fields:

- ``post_id``: the export's id column prefixed with the platform ("facebook-123_456"), or,
  when the export has no id (many do not), the platform and a digest of the canonical link
  (tracking parameters and fragment removed: `connectors.listening.text.canonical_link`), so the
  same post in two exports is one post. A row with neither is an error.
- ``type`` published, ``seq`` 1, ``event_id`` "{source}:{post_id}:1", ``occurred_at`` =
  ``published_at``: a post is one event; a later export of the same post (grown engagement)
  carries the same ids and the aggregator keeps the first delivery.
- ``ward_code``: the column when mapped and filled; else the commune the title and text name
  when they name exactly one (`connectors.listening.mentions`, the feed connector's rules: a bare
  province name is the province, not the ward of the same name); else null with a reason.
- ``url``: the canonical link (tracking parameters and fragment removed).

Errors name the column, never quote the post's text or its author.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from connectors.files.problems import require_filled
from connectors.listening.mentions import province_filter
from connectors.listening.text import canonical_link
from ioc.events.contracts import INT, STR
from ioc.events.redact import pseudonym
from ioc.reference.calendar import TZ

DEFAULT_SOCIAL_SOURCE = "social-import"
ENGAGEMENT = ("likes", "shares", "comments", "views")
# Mappable fields a social mapping adds to the contract's own.
SOCIAL_EXTRA_FIELDS = {**dict.fromkeys(ENGAGEMENT, INT), "author": STR}


def social_post_id(platform: str, post_id: str | None, url: str | None) -> str | None:
    """The post's id: the export's, else derived from its canonical link; None without both."""
    if post_id:
        return post_id if post_id.startswith(f"{platform}-") else f"{platform}-{post_id}"
    link = canonical_link(url)
    if link is None:
        return None
    return f"{platform}-{hashlib.sha256(link.encode()).hexdigest()[:16]}"


def social_event(vals: dict[str, Any], problems: list[str], where: Callable[[str], str],
                 mapping: Any) -> dict[str, Any]:
    """The event of one row (`mapping` is the calling ColumnMapping); ValueError naming the
    columns, which map_record turns into its MappingError."""
    require_filled(vals, problems, where, ("published_at", "platform", "province_code"))
    for name in ENGAGEMENT:
        if isinstance(vals.get(name), int) and vals[name] < 0:
            problems.append(f"{where(name)}: negative count")
    post_id = social_post_id(str(vals.get("platform") or "other"), vals.get("post_id"),
                             vals.get("url"))
    if post_id is None:
        problems.append(f"{where('post_id')} and {where('url')}: both empty, the post has no "
                        "identity")
    if problems:
        raise ValueError("; ".join(problems))

    engagement = {k: vals.pop(k) for k in ENGAGEMENT if vals.get(k) is not None}
    for k in ENGAGEMENT:
        vals.pop(k, None)
    author = vals.pop("author", None)
    if vals.get("author_ref") is None and author:
        vals["author_ref"] = pseudonym(str(author))
    elif vals.get("author_ref") is not None:
        vals["author_ref"] = pseudonym(str(vals["author_ref"]))
    if vals.get("ward_code") is None:
        mention = province_filter(str(vals["province_code"])).check(vals.get("title"),
                                                                    vals.get("text"))
        vals["ward_code"] = mention.ward_code
        vals["ward_code_reason"] = vals.get("ward_code_reason") or mention.ward_reason
    vals["post_id"] = post_id
    vals["url"] = canonical_link(vals.get("url"))
    vals["engagement"] = engagement or None
    vals.pop("status", None)
    vals.pop("occurred_at", None)
    published: datetime = vals["published_at"]
    source = str(vals.pop("source", None) or mapping.constants.get("source")
                 or DEFAULT_SOCIAL_SOURCE)
    event: dict[str, Any] = {
        "schema": mapping.contract.schema,
        "event_id": f"{source}:{post_id}:1",
        "type": "published",
        "occurred_at": published.astimezone(TZ).isoformat(),
        "source": source,
        "seq": 1,
    }
    for name in mapping.contract.fields:
        if name not in event:
            v = vals.get(name)
            event[name] = v.astimezone(TZ).isoformat() if isinstance(v, datetime) else v
    return event


__all__ = ["DEFAULT_SOCIAL_SOURCE", "ENGAGEMENT", "SOCIAL_EXTRA_FIELDS", "social_event",
           "social_post_id"]
