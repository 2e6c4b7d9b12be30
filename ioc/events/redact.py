"""Personal-data redaction (Decree 13/2023/NĐ-CP, Personal Data Protection Law 2025).

Applied by every connector before an event reaches Kafka, by the aggregator on what it
decodes (`redact_frame`), to dead-letter payloads (`redact_payload`) and by the logger.
Rule-based and conservative: it prefers masking a harmless number to leaking a phone number.

Linear time by construction: every pattern is written in the common subset of Python `re`
and Rust `regex` (Polars) — no look-around, no back-references, bounded repetition — and
each starts with a one-character context group, so a match attempt from inside a run of
letters or digits fails on its first character. The same pattern strings drive
`redact_text` (Python, fast on short strings) and `redact_frame` (Polars, vectorised), and
a test holds the two to identical output.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

# Every uppercase letter Vietnamese uses (a range like À-Ỹ would also take lowercase ones).
_UPPER = "".join(c for c in map(chr, range(0x41, 0x1EF9)) if c.isupper() and c.isalpha())
_LOWER = "".join(c for c in map(chr, range(0x61, 0x1EFA)) if c.islower() and c.isalpha())
# A "word character" spelled out, because `\w` differs between Python and Rust (marks).
_WORD = f"0-9_{_UPPER}{_LOWER}"
_NOT_WORD = f"(^|[^{_WORD}])"
# Vietnamese syllables have at most 7 letters ("nghiêng"): the bound keeps names cheap.
_NAME_WORD = f"[{_UPPER}][{_LOWER}]{{1,7}}"
_SP = "[ \t\u00a0]"


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: str  # engine-neutral: valid and equivalent in Python re and Rust regex
    mask: str  # text put in place of the match, after the context groups in `keep`
    keep: tuple[int, ...] = ()  # groups put back before the mask (the context)
    tail: int | None = None  # a group put back after the mask (one char of right context)
    repeat: int = 0  # passes, when more than the default
    # Python only, a speed-up: a cheap pattern that every match needs (a rule whose gate is
    # not found is skipped). Polars runs every rule; a test holds both to the same output.
    gate: str = ""

    @property
    def python(self) -> re.Pattern[str]:
        return _compiled(self.pattern)

    @property
    def python_gate(self) -> re.Pattern[str] | None:
        return _compiled(self.gate) if self.gate else None

    @property
    def python_repl(self) -> str:
        tail = f"\\g<{self.tail}>" if self.tail else ""
        return "".join(f"\\g<{g}>" for g in self.keep) + self.mask + tail

    @property
    def rust_repl(self) -> str:
        tail = f"${{{self.tail}}}" if self.tail else ""
        return "".join(f"${{{g}}}" for g in self.keep) + self.mask.replace("$", "$$") + tail

    @property
    def passes(self) -> int:
        # A right-context char consumed by one match can be the left context of the next
        # ("111111111111 222222222222"); a second pass takes the ones the first skipped.
        return self.repeat or (2 if self.tail else 1)


_CACHE: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    if pattern not in _CACHE:
        _CACHE[pattern] = re.compile(pattern)
    return _CACHE[pattern]


# --- Full Vietnamese personal names without a title word ---------------------------------
# "Nguyễn Văn An", "Nguyen Van An": a family name from a bundled list followed by two or three
# capitalised syllables (or, for a family name spelled without diacritics, a middle name from
# the list and one or two more syllables). Place names are kept: a place keyword ("xã",
# "đường", "TP.") or a listed place ("Hồ Chí Minh") before the words marks them with a
# private-use sentinel that the name rules refuse as left context; the sentinel is removed last.
_DATA = Path(__file__).with_name("data") / "vn_names.txt"
SENTINEL = "\ue000"
# Two capitalised words in a row: every name rule needs them (the gate of those rules).
CAPS2 = f"[{_UPPER}][{_LOWER}]{{0,7}}[ \t\u00a0]{{1,3}}[{_UPPER}]"


def load_name_lists(path: Path = _DATA) -> dict[str, list[str]]:
    """The sections of the name-list file: family, middle, places."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        else:
            current.append(unicodedata.normalize("NFC", line))
    return sections


def fold(text: str) -> str:
    """Vietnamese without diacritics ("Nguyễn" → "Nguyen")."""
    stripped = "".join(c for c in unicodedata.normalize("NFD", text)
                       if not unicodedata.combining(c))
    return stripped.replace("đ", "d").replace("Đ", "D")


def _trie_pattern(words: set[str]) -> str:
    """An alternation factored by common prefixes: cheap to try in Python's backtracking re."""
    trie: dict[str, Any] = {}
    for word in words:
        if not word or not all(c.isalpha() or c == " " for c in word):
            raise ValueError(f"name list entries are letters and spaces only: {word!r}")
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [("[ \t]" if ch == " " else ch) + build(child)
                    for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(trie)


_PLACE_KEYWORDS = (
    "xã", "phường", "thị trấn", "thị xã", "đặc khu", "tỉnh", "thành phố", "tp.", "tp",
    "TP.", "TP", "Tp.", "Tp", "quận", "huyện", "phố", "đường", "ngõ", "ngách", "hẻm", "thôn",
    "xóm", "ấp", "bản", "làng", "tổ dân phố", "khu phố", "khu", "sông", "núi", "hồ", "cầu",
    "chợ", "trường", "bệnh viện", "sân vận động", "công viên", "quảng trường", "đại lộ",
    "quốc lộ", "tỉnh lộ", "bến", "cảng", "ga", "đền", "chùa", "đình", "nhà thờ", "tượng đài",
    "lăng", "di tích", "giải", "mang tên", "UBND", "HĐND", "Sở", "Công ty", "Đại học",
    "THPT", "THCS", "Tiểu học", "Mầm non",
)
# Capitalised at the start of a sentence too, except "Hồ", a common family name (lakes are
# listed under [places]); "Đường" is a family name too, but a rare one.
_CAPITAL_KEYWORDS = tuple(k[0].upper() + k[1:] for k in _PLACE_KEYWORDS
                          if k[0].islower() and k not in ("hồ", "tp.", "tp"))


def _name_rules() -> tuple[list[Rule], list[Rule]]:
    """(rules that protect places, run first; rules that mask names, run last)."""
    lists = load_name_lists()
    family, middle = set(lists["family"]), set(lists["middle"])
    accented = {f for f in family if not f.isascii()}
    plain_family = {fold(f) for f in family}
    any_middle = middle | {fold(m) for m in middle}
    keywords = "|".join(sorted(set(_PLACE_KEYWORDS + _CAPITAL_KEYWORDS), key=len,
                               reverse=True)).replace(".", "\\.").replace(" ", "[ \t]")
    free = f"(^|[^{_WORD}{SENTINEL}])"  # left context: not a word, not a protected place
    caps = CAPS2
    syllable = f"[ \t][{_UPPER}][{_LOWER}]{{0,7}}"
    protect = [
        Rule("", SENTINEL, "", gate=SENTINEL),  # hostile input cannot pre-protect a name
        Rule("", f"{free}({keywords})([ \t]{{0,3}})([{_UPPER}])", SENTINEL,
             keep=(1, 2, 3), tail=4, gate=caps),
        Rule("", f"{free}({_trie_pattern(set(lists.get('places', [])))})", SENTINEL,
             keep=(1,), tail=2, gate=caps),
        # The protection spreads over the next capitalised words ("xã Nam Hà Lâm Hà"), one
        # word per pass: three passes cover a four-word place.
        Rule("", f"({SENTINEL}[{_UPPER}][{_LOWER}]{{0,7}})([ \t]{{1,3}})([{_UPPER}])",
             SENTINEL, keep=(1, 2), tail=3, repeat=3, gate=SENTINEL),
    ]
    names = [
        Rule("person", f"{free}{_trie_pattern(accented)}(?:{syllable}){{2,3}}", "[họ tên]",
             keep=(1,), gate=caps),
        Rule("person", f"{free}{_trie_pattern(plain_family)}[ \t]{_trie_pattern(any_middle)}"
             f"(?:{syllable}){{1,2}}", "[họ tên]", keep=(1,), gate=caps),
        Rule("", SENTINEL, "", gate=SENTINEL),
    ]
    return protect, names


PROTECT_RULES, NAME_RULES = _name_rules()
_FREE = f"(^|[^{_WORD}{SENTINEL}])"

_LOCAL = f"{_WORD}.+%\\-"
_DOMAIN = f"{_WORD}\\-"

RULES: list[Rule] = [
    *PROTECT_RULES,
    Rule("email",
         f"([^{_LOCAL}]|^)[{_LOCAL}]{{1,64}}@[{_DOMAIN}]{{1,63}}(?:\\.[{_DOMAIN}]{{1,63}}){{1,8}}",
         "[email]", keep=(1,), gate="@"),
    # 12-digit citizen id (CCCD) and 9-digit old id (CMND), before phone numbers.
    Rule("citizen_id", r"(^|\D)\d{12}(\D|$)", "[CCCD]", keep=(1,), tail=2, gate=r"\d"),
    Rule("phone", f"{_NOT_WORD}(?:\\+?84|0)(?:[ \t.\\-]?\\d){{8,10}}(\\D|$)", "[SĐT]",
         keep=(1,), tail=2, gate=r"\d"),
    Rule("citizen_id", r"(^|\D)\d{9}(\D|$)", "[CMND]", keep=(1,), tail=2, gate=r"\d"),
    # A private person introducing or being named: "tôi là Nguyễn Văn Hùng", "ông Trần Văn B".
    # The left context keeps "ông" inside "Đông" or "Sông" from counting as a title.
    Rule("person",
         f"(?i:{_FREE}((?:tôi là|tên tôi là|tên là|ông|bà|anh|chị|em){_SP}))"
         f"{_NAME_WORD}(?:{_SP}{_NAME_WORD}){{1,3}}",
         "[họ tên]", keep=(1, 2), gate=CAPS2),
    # Exact home address: house number (+ lane/alley) before a street name.
    Rule("address",
         f"(?i:{_NOT_WORD}(?:số nhà|nhà số|số){_SP}{{0,3}}\\d{{1,10}}[a-z]?(?:/\\d{{1,10}}){{0,4}}"
         f"(?:{_SP}{{0,3}}(?:ngõ|ngách|hẻm){_SP}{{0,3}}\\d{{1,10}}){{0,4}})",
         "[địa chỉ]", keep=(1,), gate=r"\d"),
    # The full-name rules (after the title rule, which keeps the title word) come last.
    *NAME_RULES,
]

# Query-string values of a URL (`?q=...&u=...`) may carry a name, a phone, a token.
URL_QUERY = Rule("url_query", "([?&;][^=&#;?]{0,100}=)[^&#;]+", "[…]", keep=(1,))
URL_FRAGMENT = Rule("url_query", "#.*", "")

# Fields of the v1 contracts that hold identifiers, codes, enums, times or catalogue names —
# never free text a person typed. Every other string field is redacted, extras included.
SAFE_FIELDS = frozenset({
    "schema", "event_id", "type", "occurred_at", "source", "province_code", "ward_code",
    "dossier_id", "procedure_code", "procedure_name", "sector", "agency_code", "agency_name",
    "level", "channel", "online_mode", "received_at", "due_at", "completed_at", "rating",
    "applicant_kind", "supplement_requested_at", "supplement_received_at", "status",
    "closed_at", "feedback_id", "category", "responded_at", "post_id", "platform",
    "published_at",
})
URL_FIELDS = ("url",)
PSEUDONYM_FIELDS = ("author_ref",)
# Columns of a decoded frame that can carry free text (the aggregator's hot path).
FRAME_TEXT_COLUMNS = ("text", "title", "address", "ward_code_reason", "url")
TEXT_FIELDS = ("text", "title", "address")  # kept for callers that list the free-text fields

PSEUDONYM_PREFIX = "anon:"
# Bounded work on hostile input: dead-letter payloads beyond this are cut before redaction.
MAX_PAYLOAD_BYTES = 1 << 20
MAX_DEPTH = 64


def _apply_python(rule: Rule, text: str) -> tuple[str, int]:
    gate = rule.python_gate
    if gate is not None and gate.search(text) is None:
        return text, 0
    total = 0
    for _ in range(rule.passes):
        text, n = rule.python.subn(rule.python_repl, text)
        total += n
    return text, total


def _nfc(text: str) -> str:
    # Decomposed input ("Nguye\u0302\u0303n") would slip past the letter classes.
    return text if text.isascii() else unicodedata.normalize("NFC", text)


# Beyond this many characters Rust's regex (through Polars) is faster than Python's re.
LONG_TEXT = 16_384


def _apply_polars(rule: Rule, text: str) -> tuple[str, int]:
    s = pl.Series([text], dtype=pl.String)
    for _ in range(rule.passes):
        s = s.str.replace_all(rule.pattern, rule.rust_repl)
    out = s[0]
    return out, int(out != text)


def redact_text(text: str) -> tuple[str, list[str]]:
    """Return the redacted text and the kinds of personal data found."""
    found: list[str] = []
    text = _nfc(text)
    apply = _apply_polars if len(text) > LONG_TEXT else _apply_python
    for rule in RULES:
        text, n = apply(rule, text)
        if n and rule.kind and rule.kind not in found:
            found.append(rule.kind)
    return text, found


def redact_url(url: str) -> tuple[str, list[str]]:
    """Keep scheme, host and path; mask query values and drop the fragment; then as text."""
    url, n = _apply_python(URL_QUERY, _nfc(url))
    url, m = _apply_python(URL_FRAGMENT, url)
    url, found = redact_text(url)
    return url, (["url_query"] if n or m else []) + found


_URL = re.compile(r"https?://[^\s'\"<>]+")


def redacted_reason(text: str, limit: int) -> str:
    """An error as a row, header or log may keep it: every URL's query values masked (a token
    or API key may ride in one), personal data redacted (a message may quote a record), at
    most `limit` characters. Input beyond 4 × `limit` is cut first: bounded work."""
    text = _URL.sub(lambda m: redact_url(m.group())[0], text[: limit * 4])
    return redact_text(text)[0][:limit]


def pseudonym(value: str) -> str:
    """A stable pseudonymous reference for an author handle (never the raw handle)."""
    if value.startswith(PSEUDONYM_PREFIX):
        return value  # already pseudonymous: redaction runs at the connector and again later
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return PSEUDONYM_PREFIX + digest[:16]


def _redact_value(value: Any, kinds: set[str], depth: int) -> Any:
    if isinstance(value, str):
        clean, found = redact_text(value)
        kinds.update(found)
        return clean
    if depth >= MAX_DEPTH:
        return value if isinstance(value, int | float | bool) or value is None else "[…]"
    if isinstance(value, dict):
        return {k: _redact_value(v, kinds, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_value(v, kinds, depth + 1) for v in value]
    return value


def redact_event(event: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Redact every field that may hold free text (a new dict; input untouched).

    Identifiers, codes, enums and times (`SAFE_FIELDS`) pass as they are; `url` loses its
    query values, `author_ref` becomes a pseudonym, every other string — extras and nested
    values included — goes through `redact_text`.
    """
    out: dict[str, Any] = {}
    kinds: set[str] = set()
    for name, value in event.items():
        if name in SAFE_FIELDS or value is None:
            out[name] = value
        elif name in URL_FIELDS and isinstance(value, str):
            out[name], found = redact_url(value)
            kinds.update(found)
        elif name in PSEUDONYM_FIELDS and isinstance(value, str):
            out[name] = pseudonym(value)
            if out[name] != value:
                kinds.add("author_ref")
        else:
            out[name] = _redact_value(value, kinds, 1)
    return out, sorted(kinds)


def payload_digest(raw: bytes) -> str:
    """SHA-256 hex of the original bytes, so an operator can match a dead letter to a replay."""
    return hashlib.sha256(raw).hexdigest()


def redact_payload(raw: bytes) -> bytes:
    """A dead-letter payload with personal data masked; never raises.

    JSON comes back as redacted compact JSON; anything else (invalid UTF-8, deep nesting,
    not JSON) as redacted text with invalid bytes replaced. Input beyond
    `MAX_PAYLOAD_BYTES` is cut first (the digest of the original identifies it).
    """
    try:
        cut = len(raw) > MAX_PAYLOAD_BYTES
        head = raw[:MAX_PAYLOAD_BYTES] if cut else raw
        if not cut:
            try:
                doc = json.loads(head.decode("utf-8"))
            except (ValueError, RecursionError):
                pass
            else:
                if isinstance(doc, dict):
                    clean: Any = redact_event(doc)[0]
                else:
                    clean = _redact_value(doc, set(), 0)
                try:
                    out = json.dumps(clean, ensure_ascii=False, separators=(",", ":"))
                except (ValueError, RecursionError):
                    pass
                else:
                    # A lone surrogate from a "\ud800" escape goes back out as that escape.
                    return out.encode("utf-8", "backslashreplace")
        text = redact_text(head.decode("utf-8", "replace"))[0]
        if cut:
            text += f"…[cut {len(raw) - MAX_PAYLOAD_BYTES} bytes]"
        return text.encode("utf-8", "backslashreplace")
    except Exception:  # noqa: BLE001 - a dead letter must be storable whatever it holds
        return b"[payload not redactable]"


def _frame_expr(name: str) -> pl.Expr:
    col = pl.col(name)
    if name in URL_FIELDS:
        for rule in (URL_QUERY, URL_FRAGMENT):
            for _ in range(rule.passes):
                col = col.str.replace_all(rule.pattern, rule.rust_repl)
    for rule in RULES:
        for _ in range(rule.passes):
            col = col.str.replace_all(rule.pattern, rule.rust_repl)
    return col.alias(name)


def _nfc_series(s: pl.Series) -> pl.Series:
    return pl.Series(s.name, [None if v is None else _nfc(v) for v in s.to_list()],
                     dtype=pl.String)


def redact_frame(df: pl.DataFrame) -> pl.DataFrame:
    """Vectorised `redact_event` for the text-bearing String columns of a decoded frame."""
    present = [c for c in (*FRAME_TEXT_COLUMNS, *PSEUDONYM_FIELDS)
               if c in df.columns and df.schema[c] == pl.String]
    if not present:
        return df
    # NFC only where a combining mark shows up: the common case stays in Rust.
    decomposed = [c for c in present
                  if df.get_column(c).str.contains("[\u0300-\u036f]").any()]
    if decomposed:
        df = df.with_columns(_nfc_series(df.get_column(c)) for c in decomposed)
    exprs = [_frame_expr(c) for c in present if c not in PSEUDONYM_FIELDS]
    for c in present:
        if c in PSEUDONYM_FIELDS:
            exprs.append(pl.col(c).map_elements(pseudonym, return_dtype=pl.String))
    return df.with_columns(exprs)
