"""Personal-data redaction (Decree 13/2023/NĐ-CP, Personal Data Protection Law 2025).

Applied by every connector before an event reaches Kafka, and by the logger. Rule-based and
conservative: it prefers masking a harmless number to leaking a phone number.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

# Every uppercase letter Vietnamese uses (a range like À-Ỹ would also take lowercase ones).
_UPPER = "".join(c for c in map(chr, range(0x41, 0x1EF9)) if c.isupper() and c.isalpha())
_LOWER = "".join(c for c in map(chr, range(0x61, 0x1EFA)) if c.islower() and c.isalpha())
_NAME_WORD = f"[{_UPPER}][{_LOWER}]+"

PATTERNS: list[tuple[str, re.Pattern[str], str]] = [
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # 12-digit citizen id (CCCD) and 9-digit old id (CMND), before phone numbers.
    ("citizen_id", re.compile(r"(?<!\d)\d{12}(?!\d)"), "[CCCD]"),
    ("phone", re.compile(r"(?<![\w])(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)"), "[SĐT]"),
    ("citizen_id", re.compile(r"(?<!\d)\d{9}(?!\d)"), "[CMND]"),
    # A private person introducing or being named: "tôi là Nguyễn Văn Hùng", "ông Trần Văn B".
    # \b keeps "ông" inside "Đông" or "Sông" from counting as a title.
    (
        "person",
        re.compile(
            rf"(?i:\b(?:tôi là|tên tôi là|tên là|ông|bà|anh|chị|em)\s)"
            rf"(?P<name>{_NAME_WORD}(?:\s{_NAME_WORD}){{1,3}})"
        ),
        "[họ tên]",
    ),
    # Exact home address: house number (+ lane/alley) before a street name.
    (
        "address",
        re.compile(r"(?i)\b(?:số nhà|nhà số|số)\s*\d+[a-z]?(?:/\d+)*"
                   r"(?:\s*(?:ngõ|ngách|hẻm)\s*\d+)*"),
        "[địa chỉ]",
    ),
]

TEXT_FIELDS = ("text", "title", "address")


def _keep_title(m: re.Match[str], mask: str) -> str:
    return m.group(0)[: m.start("name") - m.start()] + mask


def redact_text(text: str) -> tuple[str, list[str]]:
    """Return the redacted text and the kinds of personal data found."""
    found: list[str] = []
    for kind, pattern, mask in PATTERNS:
        if "name" in pattern.groupindex:  # keep the title word, mask only the name
            text, n = pattern.subn(partial(_keep_title, mask=mask), text)
        else:
            text, n = pattern.subn(mask, text)
        if n:
            found.append(kind)
    return text, found


def redact_event(event: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Redact the free-text fields of a canonical event (a new dict; input untouched)."""
    out = dict(event)
    kinds: list[str] = []
    for name in TEXT_FIELDS:
        value = out.get(name)
        if isinstance(value, str) and value:
            out[name], found = redact_text(value)
            kinds.extend(found)
    return out, sorted(set(kinds))
