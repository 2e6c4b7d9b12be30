"""Playlist store on SQLite and PostgreSQL: audit trail per change, permission, tokens."""

from __future__ import annotations

import json

import pytest

from ioc.auth import Identity, PermissionDenied
from ioc.wall import store
from ioc.wall.playlists import Item, Playlist

OP = Identity("vanhanh1", "operator")


def _p(dwell: int = 30) -> Playlist:
    return Playlist("tuong-1", "Tường", (Item("overview", dwell=dwell),
                                         Item("alerts", dwell=20)), True)


def test_save_audits_each_real_change(engine) -> None:
    result, token = store.save(engine, _p(), OP)
    assert result == "create" and len(token) >= 20
    assert store.save(engine, _p(), OP) == ("unchanged", "")
    assert store.save(engine, _p(40), OP)[0] == "update"
    stored = store.get(engine, "tuong-1")
    assert stored is not None and stored.version == 2 and stored.playlist == _p(40)
    trail = store.audit(engine, "tuong-1")
    assert [a["action"] for a in trail] == ["update", "create"]
    assert json.loads(trail[0]["before"])["items"][0]["dwell"] == 30
    assert json.loads(trail[0]["after"])["items"][0]["dwell"] == 40
    assert trail[0]["actor"] == "vanhanh1"


def test_viewer_and_anonymous_cannot_edit(engine) -> None:
    with pytest.raises(PermissionDenied):
        store.save(engine, _p(), Identity("lanhdao", "viewer"))
    with pytest.raises(PermissionDenied):
        store.save(engine, _p(), None)
    assert store.list_playlists(engine) == []


def test_token_checks_and_renewal(engine) -> None:
    _, token = store.save(engine, _p(), OP)
    assert store.check_token(engine, "tuong-1", token) == _p()
    assert store.check_token(engine, "tuong-1", token + "x") is None
    assert store.check_token(engine, "other", token) is None
    new = store.renew_token(engine, "tuong-1", OP)
    assert store.check_token(engine, "tuong-1", token) is None
    assert store.check_token(engine, "tuong-1", new) == _p()
    assert store.remove(engine, "tuong-1", OP)
    assert [a["action"] for a in store.audit(engine)] == ["delete", "token", "create"]
