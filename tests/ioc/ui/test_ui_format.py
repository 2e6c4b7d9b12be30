"""Unit tests of the UI's pure helpers: Vietnamese number formatting, labels, tile and badge
HTML, map points and view, trend frame, page registry. No Streamlit runtime, no database."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

import polars as pl
import pytest

from ioc import i18n
from ioc.i18n import fmt_age, fmt_duration, fmt_int, fmt_number, fmt_pct, fmt_value
from ioc.kpis.freshness import Freshness, StreamFreshness
from ioc.kpis.values import KpiValue
from ioc.reference.admin_units import communes
from ioc.ui import components as ui
from ioc.ui import nav, theme
from ioc.ui.wall.kiosk import strip_html


@pytest.mark.parametrize(("value", "text"), [
    (0, "0"), (7, "7"), (999, "999"), (1000, "1.000"), (12345, "12.345"),
    (1234567, "1.234.567"), (-12345, "-12.345"), (12.6, "13"), (None, "—"),
    (float("nan"), "—"), (float("inf"), "—"),
])
def test_fmt_int_uses_dot_thousands(value: float | None, text: str) -> None:
    assert fmt_int(value) == text


@pytest.mark.parametrize(("value", "decimals", "text"), [
    (1234.56, 1, "1.234,6"), (0.5, 2, "0,50"), (91.48, 2, "91,48"), (1000000.0, 0, "1.000.000"),
    (None, 1, "—"),
])
def test_fmt_number_uses_comma_decimals(value: float | None, decimals: int, text: str) -> None:
    assert fmt_number(value, decimals) == text


@pytest.mark.parametrize(("ratio", "text"), [
    (0.915, "91,5 %"), (0.9148, "91,5 %"), (0.766, "76,6 %"), (1.0, "100,0 %"), (0.0, "0,0 %"),
    (None, "—"),
])
def test_fmt_pct(ratio: float | None, text: str) -> None:
    assert fmt_pct(ratio) == text


def test_fmt_pct_decimals_and_large_values() -> None:
    assert fmt_pct(0.8, 0) == "80 %"
    assert fmt_pct(12.345, 1) == "1.234,5 %"


def test_fmt_value_by_unit() -> None:
    assert fmt_value(12345, "count") == "12.345"
    assert fmt_value(0.25, "ratio") == "25,0 %"
    assert fmt_value(None, "ratio") == "—"


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 giây"), (45.9, "45 giây"), (60, "1 phút"), (185, "3 phút 5 giây"), (3600, "1 giờ"),
    (7440, "2 giờ 4 phút"), (86400 * 3 + 3600, "3 ngày 1 giờ"), (86400 * 2, "2 ngày"),
    (None, "—"), (-5, "0 giây"),
])
def test_fmt_duration(seconds: float | None, text: str) -> None:
    assert fmt_duration(seconds) == text


def test_fmt_age_keeps_seconds_and_adds_words_when_long() -> None:
    assert fmt_age(12.4) == "12 giây"
    assert fmt_age(119) == "119 giây"
    assert fmt_age(7265) == "7.265 giây (2 giờ 1 phút)"
    assert fmt_age(None) == "—"


def test_labels_are_vietnamese_first() -> None:
    assert i18n.bilingual("Tổng quan", "Overview") == "Tổng quan · Overview"
    assert i18n.bilingual("Tổng quan", "") == "Tổng quan"
    assert i18n.both("overview") == "Tổng quan · Overview"
    assert i18n.vi("live") == "Dữ liệu trực tiếp"
    assert i18n.vi("stale") == "Dữ liệu chậm/không cập nhật"
    assert [i18n.window_label(w) for w in ("24h", "7d", "30d")] == ["24 giờ", "7 ngày",
                                                                    "30 ngày"]
    assert i18n.channel_label("hotline_1022") == "Tổng đài 1022"
    assert i18n.channel_label("carrier_pigeon") == "carrier_pigeon"  # unknown: shown as is


def test_ramp_color_interpolates_and_greys_missing() -> None:
    assert theme.ramp_color(0.0)[:3] == list(theme.RAMP_COUNT[0])
    assert theme.ramp_color(1.0)[:3] == list(theme.RAMP_COUNT[-1])
    assert theme.ramp_color(7.0) == theme.ramp_color(1.0)  # clamped
    assert theme.ramp_color(None) == list(theme.NO_DATA_RGBA)
    mid = theme.ramp_color(0.5, ((0, 0, 0), (200, 100, 50)))
    assert mid == [100, 50, 25, 210]


# --- tiles ---------------------------------------------------------------------------------------

def _kv(kpi: str, value: float | int | None, unit: str = "count", window: str = "24h",
        num: int | None = None, den: int | None = None, **by: str) -> KpiValue:
    return KpiValue(kpi, "province:25", window, value, num, den, f"vi {kpi}", f"en {kpi}",
                    unit, dict(by))


def tile_values(html: str) -> dict[str, str]:
    """kpi code → displayed value of every tile in a board's HTML."""
    out = {}
    for chunk in html.split('<div class="ioc-tile')[1:]:
        m = re.search(r'data-kpi="([^"]+)".*?<div class="val">([^<]*)</div>', chunk)
        if m:
            out[m.group(1)] = m.group(2)
    return out


@pytest.mark.parametrize(("kv", "status"), [
    (_kv("dossier.on_time_rate", 0.96, "ratio"), "good"),  # target 95 %
    (_kv("dossier.on_time_rate", 0.90, "ratio"), "warn"),
    (_kv("dossier.on_time_rate", 0.70, "ratio"), "bad"),
    (_kv("social.negative_share", 0.20, "ratio"), "good"),  # lower is better, target 25 %
    (_kv("social.negative_share", 0.50, "ratio"), "bad"),
    (_kv("dossier.overdue", 0, window="now"), "good"),
    (_kv("dossier.overdue", 3, window="now"), "bad"),
    (_kv("dossier.received", 120), "neutral"),
    (_kv("dossier.online_rate", None, "ratio"), "neutral"),
])
def test_tile_status(kv: KpiValue, status: str) -> None:
    assert ui.tile_status(kv) == status


def test_board_html_shows_formatted_tiles_and_channels() -> None:
    kpis = [
        _kv("dossier.received", 12345),
        _kv("dossier.completed", 1000),
        _kv("dossier.on_time_rate", 0.915, "ratio", num=915, den=1000),
        _kv("dossier.overdue", 4, window="now"),
        _kv("dossier.online_rate", None, "ratio", num=0, den=0),
        _kv("feedback.received", 30),
        _kv("feedback.received", 20, channel="hotline_1022"),
        _kv("feedback.received", 10, channel="zalo"),
        _kv("feedback.open", 9, window="now"),
        _kv("feedback.overdue_open", 0, window="now"),
        _kv("social.posts", 2000),
        _kv("social.negative_share", 0.125, "ratio", num=250, den=2000),
    ]
    html = ui.board_html(kpis, "7d")
    assert tile_values(html) == {
        "dossier.received": "12.345", "dossier.completed": "1.000",
        "dossier.on_time_rate": "91,5 %", "dossier.overdue": "4",
        "dossier.online_rate": "—", "feedback.received": "30", "feedback.open": "9",
        "feedback.overdue_open": "0", "social.posts": "2.000", "social.negative_share": "12,5 %",
    }
    assert "915 / 1.000 · mục tiêu ≥ 95 %" in html
    assert "7 ngày qua" in html
    channels = re.findall(r'data-channel="([^"]+)">.*?class="n">([^<]+)<', html)
    assert channels == [("hotline_1022", "20"), ("zalo", "10")]  # largest first
    assert "Tổng đài 1022" in html


def test_board_html_escapes_labels() -> None:
    kv = KpiValue("dossier.received", "province:25", "24h", 1, label_vi="<b>x</b>",
                  label_en="y")
    assert "<b>x</b>" not in ui.board_html([kv], "24h")


def _fresh(**kw: object) -> Freshness:
    base: dict[str, object] = dict(last_commit=None, last_heartbeat=None, lag=0, instances=0,
                                   dead_letters=0, age_seconds=None, stale=True)
    base.update(kw)
    return Freshness(**base)  # type: ignore[arg-type]


def test_freshness_badge_live_and_stale() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5)
    live = ui.freshness_html(_fresh(last_heartbeat=now, age_seconds=3, lag=1234, instances=1,
                                    stale=False), now=now)
    assert 'data-freshness="live"' in live and "Dữ liệu trực tiếp" in live
    assert "cập nhật 3 giây trước · độ trễ 1.234 bản ghi" in live
    stale = ui.freshness_html(_fresh(last_heartbeat=now, age_seconds=3700, dead_letters=2),
                              now=now)
    assert 'data-freshness="stale"' in stale and "Dữ liệu chậm/không cập nhật" in stale
    assert "3.700 giây (1 giờ 1 phút)" in stale and "2 bản ghi lỗi" in stale
    assert "độ trễ" not in stale  # no live instance: its lag figure would read as "0"
    never = ui.freshness_html(_fresh(), now=now)
    assert "chưa có bộ tổng hợp nào báo cáo" in never


def test_freshness_badge_names_a_stale_stream_like_the_strip() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5)
    dossier = StreamFreshness("sim-dossier", "dossier", datetime(2026, 1, 1, 23, 0), None, True)
    fr = _fresh(last_heartbeat=now, age_seconds=2, instances=1, stale=True,
                aggregator_stale=False, streams=(dossier,))
    badge = ui.freshness_html(fr, now=now)
    assert 'data-freshness="stale"' in badge and 'data-stale-streams="dossier"' in badge
    assert ("Luồng hồ sơ (dossier) mất dữ liệu từ 06:00 · stale since 06:00 — connector "
            "sim-dossier") in badge  # 23:00 UTC = 06:00 in Hà Nội, the same day as `now`
    assert ui.stale_reasons(fr, now) == [ui.stream_reason(dossier, now)]
    assert ui.stream_reason(dossier, now) in strip_html("T", "", fr, True, now=now)


def test_is_empty() -> None:
    zero = [_kv("dossier.received", 0), _kv("dossier.online_rate", None, "ratio")]
    assert ui.is_empty(zero, _fresh())
    assert not ui.is_empty([_kv("dossier.received", 1)], _fresh())
    assert not ui.is_empty(zero, _fresh(last_heartbeat=datetime(2026, 1, 1), age_seconds=1))


# --- map -----------------------------------------------------------------------------------------

def test_map_points_cover_every_commune_and_colour_by_value() -> None:
    cs = communes("25")
    values = {cs[0].code: 10.0, cs[1].code: 30.0}
    points, legend = ui.map_points(cs, values, "dossier.received")
    assert len(points) == len(cs)
    by_code = {p["code"]: p for p in points}
    assert by_code[cs[0].code]["color"][:3] == list(theme.RAMP_COUNT[0])
    assert by_code[cs[1].code]["color"][:3] == list(theme.RAMP_COUNT[-1])
    assert by_code[cs[2].code]["color"] == list(theme.NO_DATA_RGBA)
    assert by_code[cs[2].code]["value_text"] == "không có dữ liệu"
    assert by_code[cs[1].code]["value_text"] == "30"
    assert points[-1]["value"] is not None  # communes with data drawn on top
    # Radius follows the area: a disc of area A has radius sqrt(A/π).
    c = cs[0]
    assert by_code[c.code]["radius"] == round(math.sqrt(c.area_km2 / math.pi) * 750)
    assert (legend.low, legend.high) == ("10", "30")


def test_map_rates_are_green_when_good() -> None:
    cs = communes("25")
    pts, legend = ui.map_points(cs, {cs[0].code: 0.5, cs[1].code: 0.9}, "dossier.online_rate")
    by_code = {p["code"]: p for p in pts}
    assert by_code[cs[1].code]["color"][:3] == list(theme.RAMP_GOOD_HIGH[-1])  # green
    assert (legend.low, legend.high) == ("50,0 %", "90,0 %")
    pts, _ = ui.map_points(cs, {cs[0].code: 0.1, cs[1].code: 0.4}, "social.negative_share")
    by_code = {p["code"]: p for p in pts}
    assert by_code[cs[1].code]["color"][:3] == list(theme.RAMP_GOOD_HIGH[0])  # red


def test_deck_has_no_basemap_and_a_vietnamese_tooltip() -> None:
    cs = communes("25")
    points, _ = ui.map_points(cs, {c.code: float(i) for i, c in enumerate(cs)},
                              "feedback.received")
    deck = ui.commune_deck(points, "feedback.received")
    spec = deck.to_json()
    # map_provider=None → pydeck's "__MAP_STYLE__" placeholder, which Streamlit reads as
    # "no base map"; no tile server URL may appear.
    assert '"mapStyle": "__MAP_STYLE__"' in spec
    assert "mapProvider" not in spec
    assert "cartocdn" not in spec and "mapbox" not in spec
    assert '"characterSet": "auto"' in spec
    assert "Phản ánh tiếp nhận" in deck._tooltip["html"]
    assert "{value_text}" in deck._tooltip["html"]


def test_view_fits_the_province_and_ignores_far_islands() -> None:
    view = ui.view_for(ui.map_points(communes("25"), {}, "social.posts")[0], height=360)
    assert 20.3 < view.latitude < 21.7 and 104.9 < view.longitude < 106.0
    assert 6.5 < view.zoom < 8.5
    # Khánh Hòa includes the Trường Sa special zone far out at sea: it must not shrink the map.
    kh = ui.view_for(ui.map_points(communes("56"), {}, "social.posts")[0], height=360)
    assert kh.zoom > 6.0 and kh.longitude < 110


def test_spread_labels_skips_crowded_neighbours() -> None:
    pts = [{"lat": 21.0, "lon": 105.0}, {"lat": 21.001, "lon": 105.001},
           {"lat": 22.0, "lon": 106.0}]
    assert ui.spread_labels(pts, 5) == [pts[0], pts[2]]
    assert ui.spread_labels(pts, 1) == [pts[0]]
    assert ui.spread_labels([], 3) == []


# --- trend ---------------------------------------------------------------------------------------

def test_trend_frame_fills_missing_hours_and_shows_vietnam_time() -> None:
    now = datetime(2026, 3, 1, 10, 30)  # naive = UTC
    series = pl.DataFrame({"hour": [datetime(2026, 3, 1, 9), datetime(2026, 3, 1, 10)],
                           "count": [5, 7], "stream": ["dossier", "social"]})
    frame = ui.trend_frame(series, hours=4, now=now)
    assert frame.height == 4 * 3  # every hour × every stream
    dossier = frame.filter(pl.col("stream") == "dossier")
    assert dossier["hour"].to_list() == [datetime(2026, 3, 1, h) + timedelta(hours=7)
                                         for h in (7, 8, 9, 10)]
    assert dossier["count"].to_list() == [0, 0, 5, 0]
    assert set(frame["stream_label"]) == {"Hồ sơ TTHC", "Phản ánh kiến nghị", "Mạng xã hội"}
    ui.trend_chart(frame).to_dict()  # a valid Vega-Lite spec


# --- navigation ----------------------------------------------------------------------------------

def test_every_role_gets_the_overview_first() -> None:
    for role in (*nav.ROLES, None, "intruder"):
        specs = nav.page_specs_for(role)
        assert specs[0].path == "pages/overview.py"
        assert specs[0].title == "Tổng quan · Overview"
        assert sum(p.default for p in specs) == 1


def test_page_icons_are_not_remote() -> None:
    # A ":material/…:" icon becomes the favicon, fetched from fonts.gstatic.com.
    assert all(not p.icon.startswith(":material") for p in nav.PAGES)
