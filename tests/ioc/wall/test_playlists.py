"""Playlists (pure): validation names each bad field, file round trip, rotation order and the
critical-alert interruption."""

from __future__ import annotations

import pytest

from ioc.wall.playlists import (
    Item,
    Playlist,
    PlaylistError,
    dumps,
    item_params,
    loads,
    parse_item_spec,
    parse_playlist,
    slot,
)

PAGES = ("overview", "dossiers", "feedback", "social", "alerts")


def _pl(**kw) -> Playlist:
    data = {"name": "tuong-1", "title": "Tường chính", "items": [
        {"page": "overview", "dwell": 20},
        {"page": "dossiers", "window": "30d", "scope": "commune:08494", "dwell": 45},
        {"page": "feedback", "scope": "commune:08494,category:giao thông", "dwell": 30}]}
    data.update(kw)
    return parse_playlist(data, PAGES)


def test_valid_playlist_keeps_order_and_fields() -> None:
    p = _pl()
    assert [i.page for i in p.items] == ["overview", "dossiers", "feedback"]
    assert p.items[1] == Item("dossiers", "commune:08494", "30d", 45)
    assert p.interrupt_on_critical is True


def test_every_problem_is_named() -> None:
    with pytest.raises(PlaylistError) as exc:
        parse_playlist({"name": "Bad Name", "items": [
            {"page": "thresholds", "dwell": 2}, {"page": "overview", "window": "9y"},
            {"page": "dossiers", "scope": "commune"}, {"page": "social", "dwell": "abc"}]},
            PAGES)
    text = str(exc.value)
    for part in ("name:", "items[0].page", "items[0].dwell", "items[1].window",
                 "items[2].scope", "items[3].dwell"):
        assert part in text, part
    with pytest.raises(PlaylistError, match="at least one item"):
        parse_playlist({"name": "x", "items": []}, PAGES)


def test_cli_item_spec() -> None:
    assert parse_item_spec("dossiers:45:30d:commune:08494") == {
        "page": "dossiers", "dwell": "45", "window": "30d", "scope": "commune:08494"}
    assert parse_item_spec("alerts") == {"page": "alerts"}


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_import_round_trip(fmt: str) -> None:
    a, b = _pl(), _pl(name="tuong-2", interrupt_on_critical=False)
    assert loads(dumps([a, b], fmt), PAGES) == [a, b]


def test_import_refuses_duplicates_and_bad_entries() -> None:
    a = _pl()
    with pytest.raises(PlaylistError, match="twice"):
        loads(dumps([a, a]), PAGES)
    with pytest.raises(PlaylistError, match=r"playlists\[0\] tuong-1: items\[0\].page"):
        loads(dumps([a]).replace("page: overview", "page: nowhere"), PAGES)


def test_scope_becomes_drill_down_params() -> None:
    assert item_params(Item("feedback", "province:25,commune:08494,category:giao thông", "7d")
                       ) == {"window": "7d", "commune": "08494", "category": "giao thông"}
    assert item_params(Item("overview")) == {}


def test_rotation_wraps_and_critical_alert_interleaves_alerts() -> None:
    p = _pl()
    steps = [slot(p, i, False, False) for i in range(4)]
    assert [s.page for s in steps] == ["overview", "dossiers", "feedback", "overview"]
    assert [s.next_step for s in steps] == [1, 2, 0, 1]
    assert not any(s.next_interrupt for s in steps)
    s0 = slot(p, 0, False, True)
    assert s0.next_interrupt and s0.next_step == 1
    alerts = slot(p, 1, True, True)
    assert (alerts.page, alerts.next_step, alerts.next_interrupt) == ("alerts", 1, False)
    assert not slot(_pl(interrupt_on_critical=False), 0, False, True).next_interrupt
