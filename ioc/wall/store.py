"""Playlists in SQL (tables wall_playlists and playlist_audit) and the kiosk tokens.

Every write and its audit row share one transaction, as in ioc.alerts.rule_store; a save that
changes nothing writes nothing. Writes need the `playlist.edit` permission (operator, admin),
checked here whatever path called (UI form, CLI, import).

A wall screen signs in with its playlist's kiosk token (in the playlist URL): a random secret
shown once when the playlist is created or the token is renewed, stored only as its SHA-256.
It grants the viewer's pages, read-only, for as long as the token is not renewed; it never
idles out, because a wall reloads it from its URL on each page.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, delete, insert, select, update

from ioc.auth import Identity, require
from ioc.db import schema as s
from ioc.wall.playlists import Item, Playlist

T = s.wall_playlists
A = s.playlist_audit


@dataclass(frozen=True)
class StoredPlaylist:
    playlist: Playlist
    version: int
    updated_at: datetime
    updated_by: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(18)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _from_row(row) -> StoredPlaylist:  # noqa: ANN001 - a Row of wall_playlists
    items = tuple(Item(**i) for i in json.loads(row.items))
    return StoredPlaylist(Playlist(row.name, row.title, items, bool(row.interrupt_on_critical)),
                          int(row.version), row.updated_at, row.updated_by)


def _snapshot(p: Playlist, version: int) -> str:
    return json.dumps({**p.to_dict(), "version": version}, ensure_ascii=False)


def _load(conn: Connection, name: str, lock: bool = False) -> StoredPlaylist | None:
    q = select(T).where(T.c.name == name)
    if lock:
        q = q.with_for_update()
    row = conn.execute(q).first()
    return _from_row(row) if row is not None else None


def _audit(conn: Connection, name: str, action: str, actor: str, at: datetime,
           before: str | None, after: str | None) -> None:
    conn.execute(insert(A).values(name=name, action=action, actor=actor, at=at,
                                  before=before, after=after))


def _write(conn: Connection, p: Playlist, actor: str, action: str | None) -> tuple[str, str]:
    """(result, token): result create | update | unchanged; token only on create."""
    at = _now()
    old = _load(conn, p.name, lock=True)
    values = {"title": p.title, "items": json.dumps([i.to_dict() for i in p.items],
                                                    ensure_ascii=False),
              "interrupt_on_critical": p.interrupt_on_critical}
    if old is None:
        token = new_token()
        conn.execute(insert(T).values(name=p.name, **values, token_sha256=token_hash(token),
                                      version=1, updated_at=at, updated_by=actor))
        _audit(conn, p.name, action or "create", actor, at, None, _snapshot(p, 1))
        return "create", token
    if old.playlist == p:
        return "unchanged", ""
    version = old.version + 1
    conn.execute(update(T).where(T.c.name == p.name)
                 .values(**values, version=version, updated_at=at, updated_by=actor))
    _audit(conn, p.name, action or "update", actor, at, _snapshot(old.playlist, old.version),
           _snapshot(p, version))
    return "update", ""


def save(engine: Engine, p: Playlist, who: Identity | None) -> tuple[str, str]:
    """Create or update one (validated) playlist: (create | update | unchanged, token). The
    token is returned only when the playlist is created: show it once, it is not kept."""
    actor = require(who, "playlist.edit").username
    with engine.begin() as conn:
        return _write(conn, p, actor, None)


def import_all(engine: Engine, playlists: Sequence[Playlist], who: Identity | None
               ) -> dict[str, tuple[str, str]]:
    """Create or update several playlists in one transaction (all or none)."""
    actor = require(who, "playlist.edit").username
    with engine.begin() as conn:
        return {p.name: _write(conn, p, actor, "import") for p in playlists}


def renew_token(engine: Engine, name: str, who: Identity | None) -> str:
    """A new kiosk token for the playlist (the old one stops working at the wall's next
    page); KeyError when there is no such playlist."""
    actor = require(who, "playlist.edit").username
    token = new_token()
    with engine.begin() as conn:
        if _load(conn, name, lock=True) is None:
            raise KeyError(name)
        at = _now()
        conn.execute(update(T).where(T.c.name == name)
                     .values(token_sha256=token_hash(token), updated_at=at, updated_by=actor))
        _audit(conn, name, "token", actor, at, None, None)
    return token


def remove(engine: Engine, name: str, who: Identity | None) -> bool:
    actor = require(who, "playlist.edit").username
    with engine.begin() as conn:
        old = _load(conn, name, lock=True)
        if old is None:
            return False
        conn.execute(delete(T).where(T.c.name == name))
        _audit(conn, name, "delete", actor, _now(), _snapshot(old.playlist, old.version), None)
    return True


def list_playlists(engine: Engine) -> list[StoredPlaylist]:
    with engine.connect() as conn:
        return [_from_row(r) for r in conn.execute(select(T).order_by(T.c.name))]


def get(engine: Engine, name: str) -> StoredPlaylist | None:
    with engine.connect() as conn:
        return _load(conn, name)


def check_token(engine: Engine, name: str, token: str) -> Playlist | None:
    """The playlist when `token` is its kiosk token (constant-time compare), else None."""
    if not name or not token:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(T).where(T.c.name == name)).first()
    if row is None or not hmac.compare_digest(row.token_sha256, token_hash(token)):
        return None
    return _from_row(row).playlist


def audit(engine: Engine, name: str | None = None) -> list[dict]:
    q = select(A).order_by(A.c.id.desc())
    if name:
        q = q.where(A.c.name == name)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]
