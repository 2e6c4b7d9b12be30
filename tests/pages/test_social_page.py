"""Social page (Lắng nghe mạng xã hội) through Streamlit's AppTest on a real migrated database,
for each role, plus the pure builders behind it (tiles, frames, places, bursts).

The app is run as a user reaches the page: app.py first (navigation set up for the session's
role), then a switch to pages/social.py. Rows are written straight into the tables the
aggregator fills; the figures asserted are worked out by hand in the comments."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
import streamlit as st
from sqlalchemy import Connection, Engine, insert, select
from streamlit.testing.v1 import AppTest

from ioc import auth
from ioc.alerts import rule_store
from ioc.alerts.rules import parse_rule
from ioc.auth import Identity
from ioc.db import schema as s
from ioc.db.columns import SOCIAL_COUNTERS, SOCIAL_DIMS
from ioc.kpis.buckets import bucket_schema, regroup, roll_up
from ioc.kpis.values import KpiValue
from ioc.kpis.windows import resolve
from ioc.ui import nav
from ioc.ui.session import IDENTITY_KEY
from ioc.ui.social import frames
from ioc.ui.social.bursts import bursts_frame
from ioc.ui.social.model_info import model_caption, model_score
from ioc.ui.social.places import place_points
from ioc.ui.social.tiles import board_html, change_text, value_text
from tests import REPO_ROOT
from tests.helpers import markdown_with, open_app_page

APP = str(REPO_ROOT / "app.py")
PAGE = "pages/social.py"
WARD_A, WARD_B = "04792", "04795"  # Phường Tân Hòa, Phường Hòa Bình (Phú Thọ, province 25)
PW = "Correct-Horse-42"
VIEWER, OPERATOR, ADMIN = (Identity("leader", "viewer"), Identity("op1", "operator"),
                           Identity("boss", "admin"))


@pytest.fixture()
def app_db(app_db: Engine) -> Engine:
    """The pages' database (tests/pages/conftest.py) with the accounts of the identities
    below: app.py re-reads each signed-in account, so they must exist."""
    for ident in (VIEWER, OPERATOR, ADMIN):
        auth.create_user(app_db, ident.username, PW, ident.role)
    return app_db


def utc_naive() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _buckets(*rows: dict) -> list[dict]:
    return [{**dict.fromkeys(s.SOCIAL_COUNTERS, 0), "province_code": "25", **r} for r in rows]


def _insert_buckets(conn: Connection, rows: list[dict]) -> None:
    """Hourly rows and their day and month rollups (full and narrow), as the aggregator
    writes them."""
    conn.execute(insert(s.social_buckets), rows)
    frame = pl.DataFrame(rows, schema=bucket_schema(SOCIAL_DIMS, SOCIAL_COUNTERS))
    for grain, table in s.ROLLUPS["social_buckets"].items():
        rolled = roll_up(frame, grain, SOCIAL_DIMS, SOCIAL_COUNTERS)
        conn.execute(insert(table), rolled.to_dicts())
        for narrow in s.NARROW_ROLLUPS["social_buckets"][grain]:
            keys = tuple(c.name for c in narrow.primary_key.columns)
            conn.execute(insert(narrow), regroup(rolled, keys, SOCIAL_COUNTERS).to_dicts())


def seed(engine: Engine) -> None:
    """24 hours: news on traffic in A (6 posts: 3 negative, 1 positive, 2 neutral, 40
    interactions) and Facebook on health in B (4 posts: 1 negative, 2 positive, 10
    interactions) → 10 posts, 40,0 % negative, index (3 − 4) / 10 = −0,10, 50 interactions.
    The previous 24 hours: 5 news posts on traffic in A, 1 negative, 1 positive, 20
    interactions → 20,0 % negative, index 0,00."""
    hour = utc_naive().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    before = hour - timedelta(hours=24)
    with engine.begin() as conn:
        _insert_buckets(conn, _buckets(
            dict(hour=hour, ward_code=WARD_A, platform="news", topic="giao thông", posts=6,
                 negative=3, positive=1, neutral=2, engagement=40),
            dict(hour=hour, ward_code=WARD_B, platform="facebook", topic="y tế", posts=4,
                 negative=1, positive=2, neutral=1, engagement=10),
            dict(hour=before, ward_code=WARD_A, platform="news", topic="giao thông", posts=5,
                 negative=1, positive=1, neutral=3, engagement=20),
        ))


def _posts(hour: datetime, ward: str, platform: str, topic: str,
           labels: list[tuple[str, int]]) -> list[dict]:
    """Post rows behind a bucket: (label, engagement) each, published 10 minutes into `hour`."""
    score = {"negative": -0.8, "neutral": 0.0, "positive": 0.8}
    return [dict(post_id=f"{platform}-{ward}-{i}", published_at=hour + timedelta(minutes=10),
                 province_code="25", ward_code=ward, platform=platform, sentiment=score[lab],
                 title=f"Tin {platform} {i}", text=f"Nội dung {i} về {topic}",
                 url=f"https://example.vn/{platform}/{i}", source="example.vn",
                 author_ref="a1", likes=eng, shares=0, comments=0, engagement=eng, label=lab,
                 model_version="sent-test", corrected_label=None, topic=topic,
                 topics=topic, places=ward)
            for i, (lab, eng) in enumerate(labels)]


def seed_posts(engine: Engine) -> None:
    """The 10 posts of the window's buckets (seed), with their labels and interactions:
    the news post 0 is the most engaged (20) and negative."""
    hour = utc_naive().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    rows = _posts(hour, WARD_A, "news", "giao thông",
                  [("negative", 20), ("negative", 5), ("negative", 5), ("positive", 4),
                   ("neutral", 3), ("neutral", 3)])
    rows += _posts(hour, WARD_B, "facebook", "y tế",
                   [("negative", 1), ("positive", 4), ("positive", 4), ("neutral", 1)])
    with engine.begin() as conn:
        conn.execute(insert(s.social_posts), rows)
        # "ngập" in the four news posts 0-3, in none the day before; "xe" in two only.
        conn.execute(insert(s.social_post_tags),
                     [dict(post_id=f"news-{WARD_A}-{i}", kind="term", value="ngập")
                      for i in range(4)]
                     + [dict(post_id=f"news-{WARD_A}-{i}", kind="term", value="xe")
                        for i in range(2)])


def open_page(identity: Identity | None = None,
              query: dict[str, str] | None = None) -> AppTest:
    return open_app_page(APP, PAGE, identity, query)


def tiles(at: AppTest) -> dict[str, tuple[str, str]]:
    """kpi code → (figure on its tile, its change line), tags stripped."""
    board = markdown_with(at, 'class="ioc-board ioc-dboard ioc-sboard"')
    out = {}
    for chunk in board.split('<div class="ioc-tile ioc-dtile"')[1:]:
        m = re.search(r'data-kpi="([^"]+)".*?<div class="val">(.*?)</div>'
                      r'<div class="chg[^"]*">(.*?)</div>', chunk)
        assert m
        change = re.sub(r"<[^>]+>", "", m.group(3)).replace("\u00a0", " ")
        out[m.group(1)] = (m.group(2), re.sub(r"\s+", " ", change).strip())
    return out


def table_with(at: AppTest, column: str) -> pl.DataFrame:
    for df in at.dataframe:
        value = df.value
        value = getattr(value, "data", value)  # a pandas Styler keeps its frame in .data
        if column in value.columns:
            return pl.from_pandas(value)
    raise AssertionError(f"no table with column {column!r}")


# --- the page, per role -----------------------------------------------------------------------

@pytest.mark.parametrize("identity", [None, VIEWER, OPERATOR, ADMIN],
                         ids=["anonymous-viewer", "viewer", "operator", "admin"])
def test_every_role_sees_the_exact_tiles(app_db: Engine, identity: Identity | None) -> None:
    seed(app_db)
    at = open_page(identity)
    # app.py kept the account (it exists, enabled, same role): the page ran for that role.
    assert at.session_state[IDENTITY_KEY] == identity if identity else \
        IDENTITY_KEY not in at.session_state
    t = tiles(at)
    assert t["social.posts"] == ("10", "▲ 5 · kỳ trước 5")
    assert t["social.negative_share"] == ("40,0 %", "▲ 20,0 điểm % · kỳ trước 20,0 %")
    assert t["social.sentiment_index"] == ("-0,10", "▼ 0,10 · kỳ trước 0,00")
    assert t["social.positive_share"] == ("30,0 %", "▲ 10,0 điểm % · kỳ trước 20,0 %")
    assert t["social.engagement"] == ("50", "▲ 30 · kỳ trước 20")
    board = markdown_with(at, "ioc-sboard")
    score = model_score()
    assert f"mô hình {score.version} · F1 0,73 trên tập kiểm tra" in board
    assert model_caption(score) in markdown_with(at, 'data-model="1"')
    topics = table_with(at, "topic")
    assert topics.select("topic", "posts").rows() == [("giao thông", 6), ("y tế", 4)]
    places = table_with(at, "ward_name")
    assert places.select("ward_name", "posts").rows() == [("Phường Tân Hòa", 6),
                                                          ("Phường Hòa Bình", 4)]
    # The volume table reads Vietnam wall-clock time (UTC + 7), not shifted twice.
    hour = utc_naive().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    volume = table_with(at, "platform_label").sort("platform")
    assert volume.select("period_start", "platform", "posts").rows() == [
        (hour + timedelta(hours=7), "facebook", 4), (hour + timedelta(hours=7), "news", 6)]
    legend = markdown_with(at, "ioc-legend")
    assert 'data-legend="social.negative_share"' in legend and "100 %" in legend
    assert len(at.get("download_button")) >= 2 * 3  # CSV + XLSX under each table


def test_an_operator_relabels_a_post_and_its_audit_row_is_written(app_db: Engine) -> None:
    seed(app_db)
    seed_posts(app_db)
    at = open_page(OPERATOR)
    posts = table_with(at, "sentiment_label")
    assert posts["post_id"].to_list()[:1] == ["news-04792-0"]  # most engaged first
    assert posts["sentiment_label"][0] == "Tiêu cực · Negative"
    at.selectbox(key="social_relabel_post").set_value("news-04792-0")
    at.selectbox(key="social_relabel_label").set_value("positive")
    at.checkbox(key="social_relabel_confirm").check()
    submit = next(b for b in at.button if "Lưu nhãn" in b.label)
    submit.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Đã sửa nhãn" in m.value for m in at.success)
    posts = table_with(at, "sentiment_label")
    assert posts["sentiment_label"][0] == "Tích cực · Positive (đã sửa · corrected)"
    # The post moved from negative to positive: 3 negative and 4 positive of 10 posts.
    t = tiles(at)
    assert t["social.negative_share"][0] == "30,0 %"
    assert t["social.sentiment_index"][0] == "+0,10"
    c = s.social_label_corrections.c
    with app_db.connect() as conn:
        audit = conn.execute(select(c.post_id, c.actor, c.old_label, c.new_label,
                                    c.model_label)).all()
    assert [tuple(r) for r in audit] == [("news-04792-0", "op1", "negative", "positive",
                                          "negative")]


def test_a_relabel_needs_the_confirmation(app_db: Engine) -> None:
    seed(app_db)
    seed_posts(app_db)
    at = open_page(ADMIN)
    next(b for b in at.button if "Lưu nhãn" in b.label).click().run()
    assert any("xác nhận" in w.value for w in at.warning)
    with app_db.connect() as conn:
        assert conn.execute(select(s.social_label_corrections)).first() is None


@pytest.mark.parametrize("identity", [None, VIEWER], ids=["anonymous", "viewer"])
def test_viewers_see_the_posts_but_no_relabel_control(app_db: Engine,
                                                      identity: Identity | None) -> None:
    seed(app_db)
    seed_posts(app_db)
    at = open_page(identity)
    assert table_with(at, "sentiment_label").height == 10
    assert not [b for b in at.button if "Lưu nhãn" in b.label]
    with pytest.raises(KeyError):
        at.selectbox(key="social_relabel_post")


def test_rising_keywords_and_posts_follow_the_filters(app_db: Engine) -> None:
    seed(app_db)
    seed_posts(app_db)
    at = open_page(VIEWER)
    words = table_with(at, "term")
    # "xe" is in 2 posts (under the 3-post floor); "ngập": 4 now, 0 before → log2(5 / 1).
    assert words.select("term", "posts", "previous_posts").rows() == [("ngập", 4, 0)]
    assert round(words["score"][0], 4) == 2.3219
    at.selectbox(key="social_platform").set_value("facebook").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [df for df in at.dataframe if "term" in getattr(df.value, "data", df.value)]
    assert any("Chưa có từ khóa" in c.value for c in at.caption)
    posts = table_with(at, "sentiment_label")
    assert sorted(posts["post_id"]) == [f"facebook-{WARD_B}-{i}" for i in range(4)]


def test_filters_cut_every_figure(app_db: Engine) -> None:
    seed(app_db)
    at = open_page(VIEWER)
    at.selectbox(key="social_platform").set_value("facebook").run()
    assert not at.exception
    t = tiles(at)
    # Facebook only: 4 posts, 1 negative, 2 positive; nothing on Facebook the day before.
    assert t["social.posts"] == ("4", "▲ 4 · kỳ trước 0")
    assert t["social.negative_share"][0] == "25,0 %"
    assert t["social.sentiment_index"] == ("+0,25", "kỳ trước —")
    at.selectbox(key="social_platform").set_value("").run()
    at.selectbox(key="social_ward").set_value(WARD_A).run()
    assert tiles(at)["social.posts"] == ("6", "▲ 1 · kỳ trước 5")
    at.segmented_control(key="social_window").set_value("7d").run()
    assert tiles(at)["social.posts"][0] == "11"  # both days inside 7 days


def test_the_filters_come_from_the_url_and_go_back_to_it(app_db: Engine) -> None:
    seed(app_db)
    at = open_page(VIEWER, {"platform": "news", "commune": WARD_A, "topic": "không có"})
    assert tiles(at)["social.posts"] == ("6", "▲ 1 · kỳ trước 5")  # news in A; topic ignored
    assert at.selectbox(key="social_ward").value == WARD_A
    at.segmented_control(key="social_window").set_value("7d").run()
    assert dict(at.query_params) == {"window": "7d", "platform": "news", "commune": WARD_A}


def test_sign_in_required_sends_an_anonymous_visitor_to_sign_in(
        app_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOC_ANONYMOUS_ROLE", "")
    seed(app_db)
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert at.text_input(key="login_username") is not None
    assert not [m for m in at.markdown if "ioc-sboard" in m.value]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)


def test_empty_database_shows_the_page_without_data(app_db: Engine) -> None:
    at = open_page(VIEWER)
    assert tiles(at)["social.posts"] == ("0", "– 0 · kỳ trước 0")
    assert any("Chưa có tin bài" in i.value for i in at.info)


def test_a_database_without_schema_shows_an_error_not_a_traceback(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IOC_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("IOC_PROVINCE_CODE", "25")
    monkeypatch.delenv("IOC_ANONYMOUS_ROLE", raising=False)
    st.cache_data.clear()
    at = open_page()  # asserts no exception
    assert at.error, "the missing tables are reported on the page"


def test_bursts_now_lists_only_firing_social_alerts(app_db: Engine) -> None:
    seed(app_db)
    rule = parse_rule({"rule_id": "burst-neg", "name": "Tin tiêu cực tăng đột biến",
                       "kind": "burst", "kpi": "social.negative_posts",
                       "scope": "province:25", "window": "1h", "severity": "warning",
                       "params": {"baseline_weeks": 4, "min_count": 3, "factor": 3}})
    rule_store.save_rule(app_db, rule, ADMIN)
    now = utc_naive().replace(microsecond=0)
    common = dict(rule_version=1, window="1h", is_open=True, pending_since=None,
                  acked_at=None, acked_by=None, ack_note=None, resolved_at=None,
                  evaluated_at=now, fired_at=now - timedelta(minutes=5))
    with app_db.begin() as conn:
        conn.execute(insert(s.alerts), [
            dict(alert_id="burst-neg-1", rule_id="burst-neg", kpi="social.negative_posts",
                 scope="province:25", comparator=">", threshold=2, severity="warning",
                 state="firing", value=9, **common),
            dict(alert_id="other-1", rule_id="other", kpi="feedback.open",
                 scope="province:25", comparator=">", threshold=10, severity="critical",
                 state="firing", value=14, **common),
        ])
    at = open_page(VIEWER)
    bursts = table_with(at, "rule_name")
    assert bursts["rule_name"].to_list() == ["Tin tiêu cực tăng đột biến"]
    assert bursts["message"].to_list() == ["Tin tiêu cực (Tỉnh Phú Thọ, 1 giờ): 9 > 2"]


# --- pure builders ----------------------------------------------------------------------------

def test_tiles_and_changes_follow_the_good_direction() -> None:
    def kv(code: str, unit: str, value: float | None, previous: float | None,
           num: int | None = None, den: int | None = None) -> KpiValue:
        return KpiValue(code, "province:25", "24h", value, num, den, unit=unit,
                        previous=previous)

    neg = kv("social.negative_share", "ratio", 0.4, 0.2, 4, 10)
    assert change_text(neg) == ("▲ 20,0 điểm %", "bad")  # more negative is worse
    assert change_text(kv("social.posts", "count", 10, 5)) == ("▲ 5", "none")  # volume
    assert change_text(kv("social.sentiment_index", "index", -0.1, 0.0)) == ("▼ 0,10", "bad")
    assert change_text(kv("social.sentiment_index", "index", 0.1, None)) == ("", "none")
    assert value_text(0.25, "index") == "+0,25" and value_text(None, "ratio") == "—"
    html_ = board_html([neg, kv("social.posts", "count", 7, 7),
                        KpiValue("social.posts", "province:25", "24h", 3, unit="count",
                                 by={"platform": "news"})], "mô hình X")
    # Totals only (not the per-platform row), in TILE_CODES order; the note under the share.
    assert re.findall(r'data-kpi="([^"]+)"', html_) == ["social.posts",
                                                        "social.negative_share"]
    assert "4 / 10" in html_ and html_.index("mô hình X") > html_.index("40,0 %")
    assert "– 0" in html_


def test_url_parameters_round_trip() -> None:
    allowed = {"window": ("24h", "7d"), "platform": ("news",), "topic": ("y tế",),
               "ward": {WARD_A: "Phường Tân Hòa"}}
    f = frames.Filters("7d", "news", "y tế", WARD_A)
    assert frames.params_of(f) == {"window": "7d", "platform": "news", "topic": "y tế",
                                   "commune": WARD_A}
    assert frames.filters_from_params(frames.params_of(f), allowed) == f
    assert frames.params_of(frames.Filters()) == {}
    assert frames.filters_from_params({"window": "99y", "commune": "00001"}, allowed) == \
        frames.Filters()
    assert f.scope("25") == f"province:25,platform:news,topic:y tế,commune:{WARD_A}"


def test_trends_fill_every_step_of_the_window() -> None:
    now = datetime(2026, 12, 6, 8, 20)  # 15:20 in Vietnam
    period = resolve("24h", now)
    b = pl.DataFrame({"hour": [datetime(2026, 12, 6, 3)], "province_code": ["25"],
                      "ward_code": [WARD_A], "platform": ["news"], "topic": ["y tế"],
                      "posts": [2], "negative": [2], "positive": [0], "neutral": [0],
                      "engagement": [1]})
    senti = frames.sentiment_frame(b, period)
    assert senti.height == 24  # hourly over 24 hours, gaps as nulls
    row = senti.filter(pl.col("posts") > 0).row(0, named=True)
    assert row["period_start"] == datetime(2026, 12, 6, 10)  # 03:00 UTC = 10:00 in Vietnam
    assert (row["sentiment_index"], row["negative_share_pct"]) == (-1.0, 100.0)
    assert senti["sentiment_index"].null_count() == 23
    assert frames.volume_frame(b, resolve("7d", now)).height == 8  # local days touched
    assert frames.step_of(resolve("30d", now)) == "1d"


def test_place_points_size_by_posts_and_keep_every_commune() -> None:
    class C:
        def __init__(self, code: str) -> None:
            self.code, self.name, self.lat, self.lon = code, f"Xã {code}", 21.0, 105.0

    places = pl.DataFrame({"ward_code": ["A", "B"], "posts": [100, 1], "negative": [50, 0]})
    points = place_points([C("A"), C("B"), C("Z")], places)
    by = {p["code"]: p for p in points}
    assert by["A"]["radius"] == 6000 and by["B"]["radius"] == 900 and by["Z"]["value"] is None
    assert by["A"]["value_text"] == "100 tin · 50,0 % tiêu cực"
    assert points[-1]["code"] == "A"  # the biggest disc drawn last


def test_bursts_frame_keeps_social_kpis_only() -> None:
    row = dict(rule_id="r", kpi="social.posts", scope="province:25", window="1h",
               comparator=">", threshold=5, severity="info", state="firing", value=8,
               fired_at=datetime(2026, 12, 6, 1, 0))
    other = {**row, "kpi": "dossier.overdue"}
    frame = bursts_frame([row, other], {"r": "Đột biến"}, {"province:25": "Tỉnh Phú Thọ"})
    assert frame.height == 1 and frame["fired_at"].item() == "06/12 08:00"


def test_the_social_page_is_in_every_roles_menu() -> None:
    pages = nav.registry(REPO_ROOT)
    for role in nav.ROLES:
        assert "social" in [p.url_path for p in nav.page_specs_for(role, pages)]
    spec = next(p for p in pages if p.url_path == "social")
    assert spec.icon == "" and spec.title == "Lắng nghe mạng xã hội · Social listening"
