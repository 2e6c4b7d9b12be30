"""A fetched feed document → its entries, whatever the format: RSS 2.0 and Atom through
feedparser, JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1, which feedparser does not
read) with `json`.

Encoding: a document that declares a single-byte encoding (ISO-8859-1, windows-1252,
US-ASCII) but whose bytes are valid UTF-8 with non-ASCII characters is read as UTF-8 — a
common fault of Vietnamese CMSs, and Latin-1 text that is not ASCII is practically never valid
UTF-8 by accident. The fix is reported in `ParsedFeed.notes`.

Malformed XML (feedparser's ``bozo`` with a parse error): when the lenient parser still found
entries, they are kept (each must still map and validate) and the document's problem is
reported in `ParsedFeed.problem`; when it found none, the document is `fatal`. Encoding
notices (CharacterEncodingOverride, NonXMLContentType) are not problems.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import feedparser

_DECL = re.compile(rb"^(\s*<\?xml[^>]*?encoding=[\"'])([A-Za-z0-9._-]+)([\"'])")
_SINGLE_BYTE = frozenset({"iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252",
                          "us-ascii", "ascii", "iso8859-1"})
_NOTICES = ("CharacterEncodingOverride", "NonXMLContentType", "CharacterEncodingUnknown")


@dataclass
class RawEntry:
    """One entry as the document gives it (text fields may hold HTML)."""

    index: int  # position in the document (for dead-letter headers)
    raw: dict[str, Any]  # the entry as JSON-able data (the dead-letter copy)
    guid: str | None = None
    link: str | None = None
    title: str = ""
    body: str = ""  # content, else summary (HTML or text)
    published: str | None = None
    updated: str | None = None
    author: str | None = None
    problem: str | None = None  # why the entry cannot become an event


@dataclass
class ParsedFeed:
    kind: str  # "rss" | "atom" | "jsonfeed" | "unknown"
    entries: list[RawEntry] = field(default_factory=list)
    problem: str | None = None  # malformed document (entries may still have been recovered)
    fatal: bool = False  # nothing usable: the whole document goes to the dead-letter topic
    notes: list[str] = field(default_factory=list)


def fix_declared_encoding(data: bytes) -> tuple[bytes, str | None]:
    """(bytes, note): the XML declaration rewritten to UTF-8 when it lies (module docstring)."""
    m = _DECL.match(data)
    if not m or m.group(2).decode().lower() not in _SINGLE_BYTE or data.isascii():
        return data, None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data, None  # really a single-byte document
    declared = m.group(2).decode()
    return (m.group(1) + b"UTF-8" + m.group(3) + data[m.end():],
            f"declared {declared} but the bytes are UTF-8: read as UTF-8")


def is_json(data: bytes, content_type: str) -> bool:
    return "json" in content_type.lower() or data.lstrip()[:1] == b"{"


def parse_document(data: bytes, content_type: str = "") -> ParsedFeed:
    if is_json(data, content_type):
        return parse_json_feed(data)
    return parse_xml_feed(data)


def parse_xml_feed(data: bytes) -> ParsedFeed:
    data, note = fix_declared_encoding(data)
    d = feedparser.parse(data)
    version = str(d.get("version") or "")
    kind = "atom" if version.startswith("atom") else "rss" if version.startswith("rss") else (
        "unknown")
    out = ParsedFeed(kind=kind, notes=[note] if note else [])
    exc = d.get("bozo_exception") if d.get("bozo") else None
    if exc is not None and type(exc).__name__ not in _NOTICES:
        out.problem = f"malformed feed ({type(exc).__name__}: {str(exc)[:200]})"
    elif exc is not None:
        out.notes.append(type(exc).__name__)
    for i, e in enumerate(d.get("entries") or []):
        content = e.get("content") or []
        body = content[0].get("value", "") if content else e.get("summary", "")
        entry = RawEntry(index=i, raw=_plain(e), guid=_str(e.get("id")), link=_str(e.get("link")),
                         title=str(e.get("title") or ""), body=str(body or ""),
                         published=_str(e.get("published")),
                         # dict.get: feedparser's own get maps a missing `updated` to
                         # `published` (with a deprecation warning); we want the real one.
                         updated=_str(dict.get(e, "updated")),
                         author=_str(e.get("author")))
        out.entries.append(entry)
    if not out.entries and (out.problem or kind == "unknown"):
        out.fatal = True
        out.problem = out.problem or "not an RSS, Atom or JSON feed"
    return out


def parse_json_feed(data: bytes) -> ParsedFeed:
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return ParsedFeed(kind="jsonfeed", fatal=True,
                          problem=f"malformed JSON feed ({type(exc).__name__}: {exc})")
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(
            "https://jsonfeed.org/version/"):
        return ParsedFeed(kind="jsonfeed", fatal=True,
                          problem="not a JSON Feed (no https://jsonfeed.org/version/ version)")
    items = doc.get("items")
    if not isinstance(items, list):
        return ParsedFeed(kind="jsonfeed", fatal=True, problem="JSON Feed without an items list")
    out = ParsedFeed(kind="jsonfeed")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            out.entries.append(RawEntry(index=i, raw={"item": item},
                                        problem="JSON Feed item is not an object"))
            continue
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        author = next((a.get("name") for a in authors if isinstance(a, dict) and a.get("name")),
                      None)
        entry = RawEntry(index=i, raw=item, guid=_str(item.get("id")),
                         link=_str(item.get("url") or item.get("external_url")),
                         title=str(item.get("title") or ""),
                         body=str(item.get("content_html") or item.get("content_text")
                                  or item.get("summary") or ""),
                         published=_str(item.get("date_published")),
                         updated=_str(item.get("date_modified")), author=_str(author))
        if entry.guid is None:
            entry.problem = "JSON Feed item without id"  # required by the spec
        out.entries.append(entry)
    return out


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _plain(value: Any, depth: int = 0) -> Any:
    """feedparser's dicts and time tuples as JSON-able data (the dead-letter copy)."""
    if depth > 8:
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()
                if not str(k).endswith("_parsed")}
    if isinstance(value, list | tuple):
        return [_plain(v, depth + 1) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


__all__ = ["ParsedFeed", "RawEntry", "fix_declared_encoding", "parse_document",
           "parse_json_feed", "parse_xml_feed"]
