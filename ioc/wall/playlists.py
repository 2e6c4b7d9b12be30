"""Wall-screen playlists (pure): an ordered list of items (page × scope × window × dwell), the
validation shared by the CLI and the UI, the file format of export/import, and the rotation
arithmetic (which item comes next, and when a firing critical alert takes the turn).

A scope is the KPI scope string of the catalogue ('province:25', 'commune:08494',
'agency:SYT-25', several joined by ','), so scoped accounts can later match it against theirs;
on the page it becomes the drill-down query parameters (?commune=08494&agency=…).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ioc.kpis.catalogue import parse_scope
from ioc.kpis.windows import WINDOW_NAMES

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MIN_DWELL, MAX_DWELL = 5, 3600  # seconds: shorter cannot be read, longer is not a rotation
MAX_ITEMS = 50
ALERTS_PAGE = "alerts"
# Scope kinds the pages take as drill-down query parameters (province is the whole page).
SCOPE_PARAMS = ("commune", "agency", "procedure", "category")


class PlaylistError(ValueError):
    """Every problem of a playlist at once, each naming its field."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class Item:
    page: str  # url_path of a page (ioc.ui.nav): overview, dossiers, feedback, social, alerts
    scope: str = ""  # '' = the province; else KIND:CODE[,KIND:CODE…]
    window: str = ""  # '' = the page's default window
    dwell: int = 30  # seconds on screen

    def to_dict(self) -> dict[str, Any]:
        return {"page": self.page, "scope": self.scope, "window": self.window,
                "dwell": self.dwell}


@dataclass(frozen=True)
class Playlist:
    name: str
    title: str = ""
    items: tuple[Item, ...] = field(default_factory=tuple)
    interrupt_on_critical: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title,
                "interrupt_on_critical": self.interrupt_on_critical,
                "items": [i.to_dict() for i in self.items]}


def _item(raw: Any, n: int, pages: Collection[str], errors: list[str]) -> Item | None:
    where = f"items[{n}]"
    if not isinstance(raw, Mapping):
        errors.append(f"{where}: must be an object with page, scope, window, dwell")
        return None
    unknown = set(raw) - {"page", "scope", "window", "dwell"}
    if unknown:
        errors.append(f"{where}: unknown field(s) {sorted(unknown)}")
    page = str(raw.get("page") or "").strip()
    if page not in pages:
        errors.append(f"{where}.page: {page!r} is not one of {sorted(pages)}")
    scope = str(raw.get("scope") or "").strip().replace(" ", "")
    if scope:
        try:
            parse_scope(scope)
        except ValueError as exc:
            errors.append(f"{where}.scope: {exc}")
    window = str(raw.get("window") or "").strip()
    if window and window not in WINDOW_NAMES:
        errors.append(f"{where}.window: {window!r} is not one of {list(WINDOW_NAMES)}")
    dwell_raw = raw.get("dwell", 30)
    try:
        dwell = int(dwell_raw)
        if isinstance(dwell_raw, bool) or dwell != float(dwell_raw):
            raise ValueError
    except (TypeError, ValueError):
        errors.append(f"{where}.dwell: whole seconds, got {dwell_raw!r}")
        return None
    if not MIN_DWELL <= dwell <= MAX_DWELL:
        errors.append(f"{where}.dwell: {MIN_DWELL}..{MAX_DWELL} seconds, got {dwell}")
    return Item(page, scope, window, dwell)


def parse_playlist(data: Any, pages: Collection[str]) -> Playlist:
    """A Playlist from a mapping (file, form or CLI), or PlaylistError listing every problem.
    `pages` are the url_paths a playlist may show (the UI's registry, sign-in excluded)."""
    if not isinstance(data, Mapping):
        raise PlaylistError(["playlist: must be an object"])
    errors: list[str] = []
    unknown = set(data) - {"name", "title", "items", "interrupt_on_critical"}
    if unknown:
        errors.append(f"playlist: unknown field(s) {sorted(unknown)}")
    name = str(data.get("name") or "").strip()
    if not NAME_RE.match(name):
        errors.append(f"name: 1-64 of a-z 0-9 _ - (starting with a letter or digit), "
                      f"got {name!r}")
    title = str(data.get("title") or "").strip()
    if len(title) > 200:
        errors.append("title: at most 200 characters")
    raw_items = data.get("items")
    if not isinstance(raw_items, list | tuple) or not raw_items:
        errors.append("items: at least one item")
        raw_items = []
    elif len(raw_items) > MAX_ITEMS:
        errors.append(f"items: at most {MAX_ITEMS}")
    items = [_item(r, n, pages, errors) for n, r in enumerate(raw_items)]
    interrupt = data.get("interrupt_on_critical", True)
    if not isinstance(interrupt, bool):
        errors.append(f"interrupt_on_critical: true or false, got {interrupt!r}")
    if errors:
        raise PlaylistError(errors)
    return Playlist(name, title, tuple(i for i in items if i is not None), bool(interrupt))


def parse_item_spec(spec: str) -> dict[str, Any]:
    """'PAGE[:DWELL[:WINDOW[:SCOPE]]]' of the CLI (`dossiers:45:30d:commune:08494`) as the
    mapping parse_playlist checks; the scope is last because it contains colons itself."""
    parts = spec.split(":", 3)
    out: dict[str, Any] = {"page": parts[0]}
    if len(parts) > 1 and parts[1]:
        out["dwell"] = parts[1]
    if len(parts) > 2:
        out["window"] = parts[2]
    if len(parts) > 3:
        out["scope"] = parts[3]
    return out


# --- export / import ----------------------------------------------------------------------

def dumps(playlists: Sequence[Playlist], fmt: str = "yaml") -> str:
    """The playlists as a YAML or JSON document {"playlists": [...]} (tokens never leave)."""
    doc = {"playlists": [p.to_dict() for p in playlists]}
    if fmt == "json":
        return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    import yaml

    return str(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


def loads(text: str, pages: Collection[str]) -> list[Playlist]:
    """Playlists of an exported document (YAML or JSON: JSON is YAML). PlaylistError names
    the playlist of each problem; nothing is returned unless every playlist is valid."""
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PlaylistError([f"document: not YAML/JSON ({exc})"]) from None
    raw = doc.get("playlists") if isinstance(doc, Mapping) else None
    if not isinstance(raw, list):
        raise PlaylistError(["document: must be {playlists: [...]}"])
    out: list[Playlist] = []
    errors: list[str] = []
    for n, entry in enumerate(raw):
        try:
            out.append(parse_playlist(entry, pages))
        except PlaylistError as exc:
            label = entry.get("name") if isinstance(entry, Mapping) else None
            errors.extend(f"playlists[{n}] {label or ''}: {e}".replace("  ", " ")
                          for e in exc.errors)
    names = [p.name for p in out]
    errors.extend(f"playlists: {n!r} twice" for n in sorted({n for n in names
                                                             if names.count(n) > 1}))
    if errors:
        raise PlaylistError(errors)
    return out


# --- rotation -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Slot:
    """What a wall screen shows now and where it goes after `dwell` seconds."""

    page: str
    params: dict[str, str]  # the page's own query parameters (window, drill-down)
    dwell: int
    next_step: int  # index of the item after this slot
    next_interrupt: bool  # the slot after this one is the Alerts page


def item_params(item: Item) -> dict[str, str]:
    """The page's query parameters for the item: window and drill-down from the scope."""
    params: dict[str, str] = {}
    if item.window:
        params["window"] = item.window
    for part in filter(None, item.scope.split(",")):
        kind, _, code = part.partition(":")
        if kind in SCOPE_PARAMS:
            params[kind] = code
    return params


def slot(playlist: Playlist, step: int, interrupt: bool, critical_firing: bool) -> Slot:
    """The slot for `step` (wrapped around the playlist). `interrupt` = this turn is the
    Alerts page that a critical alert put before item `step`. While a critical alert fires
    (and the playlist allows it) every item is preceded by the Alerts page: the rotation
    goes on, the alert is on screen every other turn until someone acknowledges it."""
    n = len(playlist.items)
    step = step % n if n else 0
    item = playlist.items[step]
    if interrupt:
        return Slot(ALERTS_PAGE, {}, item.dwell, step, False)
    nxt = (step + 1) % n
    wants_alerts = (critical_firing and playlist.interrupt_on_critical
                    and playlist.items[nxt].page != ALERTS_PAGE and item.page != ALERTS_PAGE)
    return Slot(item.page, item_params(item), item.dwell, nxt, wants_alerts)
