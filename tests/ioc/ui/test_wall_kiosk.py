"""Kiosk pure parts: which URL parameters are the kiosk's, the strip's states and texts, the
slot URL, and the watchdog's config escaping."""

from __future__ import annotations

import json
import re
from datetime import datetime

from ioc.kpis.freshness import Freshness, StreamFreshness
from ioc.ui.wall.kiosk import WallState, kiosk_params, slot_url, strip_html
from ioc.ui.wall.watchdog import watchdog_html
from ioc.wall.playlists import Item, Playlist, slot

NOW = datetime(2026, 12, 6, 8, 0, 0)  # naive UTC = 15:00 in Hà Nội


def _fr(**kw) -> Freshness:
    base = {"last_commit": NOW, "last_heartbeat": NOW, "lag": 0, "instances": 1,
            "dead_letters": 0, "age_seconds": 3.0, "stale": False}
    return Freshness(**{**base, **kw})


def test_kiosk_params_are_only_ours() -> None:
    assert kiosk_params({"window": "30d", "playlist": "a", "key": "k", "kiosk": "",
                         "step": "2"}) == {"playlist": "a", "key": "k", "step": "2"}


def test_strip_live_stale_and_offline() -> None:
    live = strip_html("Tường", "1/5 · Tổng quan", _fr(), True, now=NOW.replace(tzinfo=None))
    assert 'data-freshness="live"' in live and "Trực tiếp · Live" in live
    silent = strip_html("Tường", "", _fr(stale=True, instances=0, age_seconds=300.0,
                                         last_heartbeat=datetime(2026, 12, 6, 7, 55)), True)
    assert 'data-freshness="stale"' in silent
    assert "Aggregator silent since 14:55:00 06/12" in silent  # Asia/Ho_Chi_Minh
    broker = strip_html("T", "", _fr(stale=True, broker="down", broker_cause="killed",
                                     broker_since=datetime(2026, 12, 6, 7, 0)), True)
    assert "Broker down" in broker and "14:00:00" in broker and "killed" in broker
    offline = strip_html("T", "", None, False)
    assert 'data-freshness="stale"' in offline and "Mất kết nối · reconnecting" in offline
    assert re.search(r'data-ioc-clock="1">\d\d:\d\d:\d\d<', offline)


def test_strip_names_the_stale_stream_vietnamese_first() -> None:
    feedback = StreamFreshness("sim-feedback", "feedback", datetime(2026, 12, 6, 12, 2),
                               "OSError: refused", True)
    quiet = StreamFreshness("sim-social", "social", datetime(2026, 12, 6, 12, 20), None, False)
    fr = _fr(stale=True, streams=(quiet, feedback), aggregator_stale=False)
    strip = strip_html("T", "", fr, True, now=datetime(2026, 12, 6, 12, 21))
    assert 'data-freshness="stale"' in strip and 'data-stale-streams="feedback"' in strip
    assert ("Luồng phản ánh (feedback) mất dữ liệu từ 19:02 · stale since 19:02 — connector "
            "sim-feedback: OSError: refused") in strip
    assert "social" not in strip.split('class="why"')[1]  # the live stream is not named
    assert "Tồn đọng" not in strip and "Aggregator" not in strip  # the aggregator is fine
    # The aggregator silent too: both said, the aggregator first.
    both = strip_html("T", "", _fr(stale=True, instances=0, last_heartbeat=datetime(
        2026, 12, 6, 12, 1), streams=(feedback,), aggregator_stale=True), True,
        now=datetime(2026, 12, 6, 12, 21))
    assert both.index("Aggregator silent since 19:01:00") < both.index("Luồng phản ánh")


def test_slot_url_carries_page_params_and_kiosk_params() -> None:
    p = Playlist("t", "", (Item("dossiers", "commune:08494", "30d", 20), Item("alerts")), True)
    wall = WallState(kiosk=True, playlist=p, key="K&1")
    url = slot_url(wall, slot(p, 0, False, False), 0, False)
    assert url == "/dossiers?window=30d&commune=08494&playlist=t&key=K%261&step=0"
    assert slot_url(wall, slot(p, 1, True, True), 1, True).startswith("/alerts?playlist=t")
    home = Playlist("h", "", (Item("overview"),), True)
    assert slot_url(WallState(True, home, "k"), slot(home, 0, False, False), 0, False) == \
        "/?playlist=h&key=k&step=0"  # the default page is served at "/" only
    assert url.endswith("step=0") and "alert=1" in slot_url(wall, None, 1, True)


def test_watchdog_config_cannot_close_the_script() -> None:
    body = watchdog_html("/x?a=</script><b>", "/y", 20, 7)
    inner = body.split("<script>", 1)[1].rsplit("</script>", 1)[0]
    assert "</script>" not in inner and "<b>" not in inner
    cfg = json.loads(inner.split("var cfg = ", 1)[1].split(";\n", 1)[0])
    assert cfg == {"here": "/x?a=</script><b>", "next": "/y", "dwell": 20, "seq": 7}
