"""Small text jobs of social listening: HTML to plain text, canonical links, feed dates."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Block elements end a line of text: "<p>a</p><p>b</p>" reads "a b", not "ab".
_BLOCK = frozenset({"p", "br", "div", "li", "ul", "ol", "tr", "td", "th", "h1", "h2", "h3",
                    "h4", "h5", "h6", "blockquote", "figure", "figcaption", "section",
                    "article", "header", "footer", "table", "hr", "img"})
_SKIP = frozenset({"script", "style", "noscript", "template"})
# Tracking parameters a link may carry; the same article must give the same key without them.
_TRACKING = re.compile(r"^(utm_[a-z_]*|fbclid|gclid|zarsrc|zarsrc_[a-z]*)$", re.IGNORECASE)


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities unescaped as text is read
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str | None) -> str:
    """Visible text of an HTML fragment (scripts and styles dropped, entities unescaped,
    whitespace folded, NFC)."""
    if not html:
        return ""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    text = " ".join("".join(parser.parts).split())
    return unicodedata.normalize("NFC", text)


def canonical_link(url: str | None) -> str | None:
    """The link without tracking parameters (utm_*, fbclid …) and fragment, scheme and host
    lower-cased: the dedupe key of an entry without a guid."""
    if not url or not url.strip():
        return None
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _TRACKING.match(k)]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/",
                       urlencode(query), ""))


def parse_feed_date(value: str | None, zone: tzinfo) -> datetime | None:
    """An RSS (RFC 822) or Atom/JSON Feed (RFC 3339) date as an aware UTC datetime; a date
    without an offset is read in `zone` (the province's, by default). None when unreadable."""
    if not value or not str(value).strip():
        return None
    text = str(value).strip()
    dt: datetime | None = None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            dt = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=zone)
    return dt.astimezone(UTC)


__all__ = ["canonical_link", "html_to_text", "parse_feed_date"]
