"""Feed connector against a real local HTTP server (ThreadingHTTPServer on 127.0.0.1:0)
serving real-shaped documents from tests/connectors/data/feeds/ — an RSS 2.0 channel of a
provincial newspaper, an Atom feed of the provincial portal, a JSON Feed of a forum, an RSS
document declaring ISO-8859-1 over UTF-8 bytes with an entry lacking a date — through the
real broker and database: conditional GET honoured (the server counts 200s and 304s),
duplicates across polls produced once, broken entries dead-lettered while the rest flow,
a restart (new source and runtime, same database) resumes with no repeat and no gap, and the
mention filter keeps and skips the right items."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from connectors.feeds.config import FeedsConfig
from connectors.feeds.parse import parse_document
from connectors.feeds.source import FeedSource
from connectors.listening.mentions import MentionFilter
from connectors.listening.text import canonical_link, html_to_text, parse_feed_date
from connectors.runtime import ConnectorRuntime, run_until_idle
from ioc.db.schema import dead_letters, social_posts
from ioc.events.contracts import SOCIAL_CONTRACT, validate_event
from ioc.events.redact import pseudonym
from streams.clients import make_producer
from tests import REPO_ROOT
from tests.connectors.local_http import LocalHttpServer
from tests.helpers import aggregate_all, read_topic

DATA = Path(__file__).parent / "data" / "feeds"
NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
TYPES = {".rss": "application/rss+xml; charset=utf-8", ".atom": "application/atom+xml",
         ".json": "application/feed+json"}


class FeedServer:
    """Serves documents by path; ETag and Last-Modified for the paths that have them (the JSON
    Feed has neither, as many small sites); honours If-None-Match / If-Modified-Since with
    304; counts the answers per path."""

    def __init__(self) -> None:
        self.docs: dict[str, tuple[bytes, str, bool]] = {}
        self.answers: Counter[tuple[str, int]] = Counter()
        self.lock = threading.Lock()
        self.http = LocalHttpServer(self.handle)
        self.base = self.http.base

    def put(self, path: str, body: bytes, content_type: str, validators: bool = True) -> None:
        with self.lock:
            self.docs[path] = (body, content_type, validators)

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        with self.lock:
            doc = self.docs.get(h.path)
            if doc is None:
                self.answers[(h.path, 404)] += 1
                h.send_response(404)
                h.end_headers()
                return
            body, ctype, validators = doc
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            modified = "Sun, 06 Dec 2026 02:30:00 GMT"
            fresh = validators and (h.headers.get("If-None-Match") == etag
                                    or h.headers.get("If-Modified-Since") == modified
                                    and h.headers.get("If-None-Match") is None)
            status = 304 if fresh else 200
            self.answers[(h.path, status)] += 1
        h.send_response(status)
        if validators:
            h.send_header("ETag", etag)
            h.send_header("Last-Modified", modified)
        if status == 200:
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if status == 200:
            h.wfile.write(body)

    def count(self, path: str, status: int) -> int:
        with self.lock:
            return self.answers[(path, status)]

    def close(self) -> None:
        self.http.close()


FILES = {"/rss/thoi-su.rss": "baophutho.rss", "/feed.atom": "cong-tinh.atom",
         "/feed.json": "dien-dan.json", "/tin-nhanh.rss": "tin-nhanh-sai-ma.rss"}


@pytest.fixture()
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    for path, name in FILES.items():
        srv.put(path, (DATA / name).read_bytes(), TYPES[Path(name).suffix],
                validators=not name.endswith(".json"))
    yield srv
    srv.close()


def config(server: FeedServer) -> FeedsConfig:
    return FeedsConfig.from_dict({
        "name": "test", "province_code": "25", "interval_s": 0, "keywords": ["Đền Hùng"],
        "timeout_s": 2, "max_retries": 2, "backoff_s": 0.01, "backoff_max_s": 0.02,
        "feeds": [
            {"name": "baophutho", "url": f"{server.base}/rss/thoi-su.rss"},
            {"name": "cong-tinh", "url": f"{server.base}/feed.atom"},
            {"name": "dien-dan", "url": f"{server.base}/feed.json", "platform": "forum"},
            {"name": "tin-nhanh", "url": f"{server.base}/tin-nhanh.rss"},
        ]})


def source(server: FeedServer) -> FeedSource:
    return FeedSource(config(server), clock=lambda: NOW)


def topic(bootstrap: str, name: str, expect: int) -> list[Any]:
    """Exactly what the topic holds: asks for one more than expected (short wait)."""
    return read_topic(bootstrap, name, expect + 1, timeout=4)


# ---------------------------------------------------------------------- pure parts

def test_text_helpers():
    assert html_to_text("<p>a &amp; b</p><p>c&nbsp;d</p><script>x()</script>") == "a & b c\xa0d" \
        or html_to_text("<p>a &amp; b</p><p>c&nbsp;d</p><script>x()</script>") == "a & b c d"
    assert canonical_link("HTTPS://Bao.example/a.htm?utm_source=rss&id=3&fbclid=x#top") == \
        "https://bao.example/a.htm?id=3"
    assert parse_feed_date("Sun, 06 Dec 2026 08:15:00 +0700", UTC) == \
        datetime(2026, 12, 6, 1, 15, tzinfo=UTC)
    assert parse_feed_date("2026-12-04T08:00:00Z", UTC) == datetime(2026, 12, 4, 8, tzinfo=UTC)
    assert parse_feed_date("hôm qua", UTC) is None
    # Without an offset: the configured zone (the province's), not UTC.
    assert parse_feed_date("2026-12-06 08:00", ZoneInfo("Asia/Ho_Chi_Minh")) == \
        datetime(2026, 12, 6, 1, 0, tzinfo=UTC)


def test_local_paper_keeps_every_item(server):
    """require_mention: false (a provincial paper): the gold-price item is kept too."""
    cfg = FeedsConfig.from_dict({"province_code": "25", "feeds": [
        {"name": "baophutho", "url": f"{server.base}/rss/thoi-su.rss",
         "require_mention": False}]})
    src = FeedSource(cfg, clock=lambda: NOW)
    records, state = src.poll_feed(cfg.feeds[0], {})
    titles = {r.event["title"] for r in records if r.event}
    assert "Giá vàng hôm nay tăng nhẹ" in titles and len(titles) == 3
    assert state["etag"] and len(state["seen"]) == 4  # the broken entry's key as well
    again, same = src.poll_feed(cfg.feeds[0], state)
    assert again == [] and same == state and server.count("/rss/thoi-su.rss", 304) == 1
    with pytest.raises(ValueError, match="platform"):
        FeedsConfig.from_dict({"province_code": "25",
                               "feeds": [{"name": "x", "url": "http://x", "platform": "zalo"}]})
    with pytest.raises(ValueError, match="unknown feeds\\[0\\] settings \\['intervall'\\]"):
        FeedsConfig.from_dict({"province_code": "25",
                               "feeds": [{"name": "x", "url": "http://x", "intervall": 5}]})


def test_mention_filter_keeps_and_skips():
    f = MentionFilter("25", ["Đền Hùng"])
    assert f.check("Phú Thọ đẩy mạnh chuyển đổi số").why == "province"
    assert f.check("tin moi tinh phu tho").why == "province"  # typed without diacritics
    assert f.check("Vĩnh Phúc cũ: khai trương chợ mới").why == "province"  # merged in 2025
    assert f.check("Ngập ở huyện Tam Nông cũ").why == "district"
    hit = f.check("Rác tồn đọng ở phường Việt Trì")
    assert (hit.why, hit.ward_code) == ("commune", "07900")
    assert f.check("lễ hội đền hùng đông khách").why == "keyword"
    legacy = f.check("Đường ở xã Tiên Kiên xuống cấp")  # a pre-2025 commune, merged since
    assert (legacy.why, legacy.ward_code) == ("commune", "08500")
    for text in ("cuộc sống hòa bình", "Phú Thọng", "Phu Thọ", "Hà Nội mưa lớn"):
        assert not f.check(text).about, text
    both = f.check("phường Việt Trì và xã Lâm Thao")
    assert both.ward_code is None and both.ward_reason == "bài viết nhắc tới nhiều xã/phường"
    province_only = f.check("Phú Thọ đón khách")  # the province, not phường Phú Thọ
    assert province_only.ward_codes == () and province_only.ward_reason


def test_wrong_encoding_declaration_is_read_as_utf8():
    parsed = parse_document((DATA / "tin-nhanh-sai-ma.rss").read_bytes())
    assert [e.title for e in parsed.entries][0] == "Lâm Thao: nông dân được mùa lúa"
    assert parsed.notes and "ISO-8859-1" in parsed.notes[0] and parsed.problem is None


def test_malformed_documents():
    recovered = parse_document(b"<rss><channel><item><title>Ph\xc3\xba Th\xe1\xbb\x8d</title>"
                               b"<link>http://x/a</link></item><item><title>x</item>"
                               b"</channel>")
    assert recovered.problem and not recovered.fatal and recovered.entries
    garbage = parse_document(b"<html><body>503 Service Unavailable</body>")
    assert garbage.fatal
    assert parse_document(b'{"items": []}').fatal  # JSON but not a JSON Feed


# ---------------------------------------------------------------------- end to end

def test_feeds_end_to_end(broker, engine, server):
    producer = make_producer(broker.bootstrap)
    try:
        stats = run_until_idle(ConnectorRuntime(source(server), producer, engine), timeout=60)
        # baophutho: 2 kept, 1 broken, 1 not about; atom: 2; json: 1 kept, 1 broken,
        # 1 not about; tin-nhanh: 2.
        assert (stats.produced, stats.dead) == (7, 2)
        posts = [json.loads(r.value) for r in topic(broker.bootstrap, "ioc.social.v1", 7)]
        assert len(posts) == 7
        assert all(validate_event(SOCIAL_CONTRACT, p) == [] for p in posts)
        by_title = {p["title"]: p for p in posts}
        assert "Giá vàng hôm nay tăng nhẹ" not in by_title  # not about the province
        assert not any("Hà Nội" in t for t in by_title)

        bridge = by_title["Phú Thọ: Khánh thành cầu mới qua sông Hồng, người dân phấn khởi"]
        assert bridge["published_at"] == "2026-12-06T01:15:00+00:00"  # +07:00 → UTC
        assert bridge["published_at_source"] == "published"
        assert bridge["url"] == \
            "https://baophutho.example/khanh-thanh-cau-moi-226511.htm"  # utm_* gone
        assert "<" not in bridge["text"] and "track()" not in bridge["text"]
        assert "xã Lâm Thao – công trình" in bridge["text"]  # &ndash; unescaped
        assert bridge["ward_code"] == "08494"
        assert bridge["author_ref"] == pseudonym("Thu Hà")  # pseudonymised by the runtime

        rubbish = by_title["Người dân phường Việt Trì phản ánh rác thải tồn đọng & bốc mùi"]
        assert rubbish["url"].endswith("226498.htm") and rubbish["ward_code"] == "07900"
        assert "0987654321" not in rubbish["text"] and "tổ dân phố" in rubbish["text"]

        merged = by_title["Huyện Tam Nông cũ: hoàn thành sáp nhập trụ sở"]
        assert (merged["published_at"], merged["published_at_source"]) == \
            ("2026-12-04T08:00:00+00:00", "updated")  # no <published>: the updated date
        undated = by_title["Tỉnh Phú Thọ: mưa lớn, cảnh báo sạt lở"]  # wrong encoding doc
        assert (undated["published_at"], undated["published_at_source"]) == \
            (NOW.isoformat(), "first_seen")
        assert "Lâm Thao: nông dân được mùa lúa" in by_title
        forum = by_title["Đường vào Đền Hùng ùn tắc kéo dài"]  # kept by the keyword
        assert forum["platform"] == "forum" and forum["url"] == "https://diendan.example/t/88231"

        dead = topic(broker.bootstrap, "ioc.dlq", 2)
        assert len(dead) == 2
        reasons = sorted(dict(d.headers)["reason"].decode() for d in dead)
        assert reasons == ["JSON Feed item without id", "entry has neither guid/id nor link"]
        assert all(dict(d.headers)["stage"] == b"map" for d in dead)
        assert {dict(d.headers)["source"] for d in dead} == {b"feeds:test"}
        assert {dict(d.headers)["feed"] for d in dead} == {b"baophutho", b"dien-dan"}

        # The run ended on a round where nothing changed: the feeds with validators answered
        # 304 to the conditional GET, the JSON Feed (no validators) was read again and every
        # item was a duplicate.
        for path in ("/rss/thoi-su.rss", "/feed.atom", "/tin-nhanh.rss"):
            assert (server.count(path, 200), server.count(path, 304)) == (1, 1), path
        assert (server.count("/feed.json", 200), server.count("/feed.json", 304)) == (2, 0)

        # A restart (new source and runtime, same database): the ETags come from the stored
        # cursor, so again 304s; nothing is produced or dead-lettered again.
        again = run_until_idle(ConnectorRuntime(source(server), producer, engine), timeout=60)
        assert (again.produced, again.dead) == (0, 0)
        for path in ("/rss/thoi-su.rss", "/feed.atom", "/tin-nhanh.rss"):
            assert (server.count(path, 200), server.count(path, 304)) == (1, 2), path
        assert (server.count("/feed.json", 200), server.count("/feed.json", 304)) == (3, 0)

        # The paper publishes one more item (the old ones still listed): exactly it comes.
        rss = (DATA / "baophutho.rss").read_text(encoding="utf-8").replace(
            "    <item>", """    <item>
      <title>Phú Thọ ra mắt tổng đài 1022 mới</title>
      <link>https://baophutho.example/tong-dai-1022-226530.htm</link>
      <guid>bpt-226530</guid>
      <pubDate>Sun, 06 Dec 2026 10:05:00 +0700</pubDate>
    </item>
    <item>""", 1)
        server.put("/rss/thoi-su.rss", rss.encode(), TYPES[".rss"])
        third = run_until_idle(ConnectorRuntime(source(server), producer, engine), timeout=60)
        assert (third.produced, third.dead) == (1, 0)
        posts = [json.loads(r.value) for r in topic(broker.bootstrap, "ioc.social.v1", 8)]
        assert len(posts) == 8 and len({p["post_id"] for p in posts}) == 8
        assert "Phú Thọ ra mắt tổng đài 1022 mới" in {p["title"] for p in posts}
    finally:
        producer.close()

    # The aggregator stores them: 8 posts with their communes, the 2 dead letters archived.
    aggregate_all(broker.bootstrap, engine, "g-feeds")
    with engine.connect() as conn:
        stored = dict(conn.execute(select(social_posts.c.post_id, social_posts.c.ward_code))
                      .all())
        archived = conn.execute(select(func.count()).select_from(dead_letters)).scalar_one()
    assert stored == {p["post_id"]: p["ward_code"] or "" for p in posts}
    # Việt Trì (rubbish), Lâm Thao (bridge, paddy), Tam Nông (the former district's name is
    # a 2025 commune's too: ioc.social.places reads the proper name as that commune).
    assert sorted(w for w in stored.values() if w) == ["07900", "08434", "08494", "08494"]
    assert archived == 2


def test_crash_before_checkpoint_resends_same_ids(broker, engine, server):
    """A batch produced but not checkpointed (crash between) is fetched and sent again with
    the same post_id and event_id, so the aggregator keeps one; nothing is skipped."""
    producer = make_producer(broker.bootstrap)
    try:
        src = source(server)
        batch = src.poll(None)  # the first feed, never checkpointed
        assert batch is not None and batch.records
        first = {r.event["event_id"] for r in batch.records if r.event}
        stats = run_until_idle(ConnectorRuntime(source(server), producer, engine), timeout=60)
        assert stats.produced == 7
        posts = [json.loads(r.value) for r in topic(broker.bootstrap, "ioc.social.v1", 7)]
        assert first <= {p["event_id"] for p in posts}
    finally:
        producer.close()


def test_failing_feed_does_not_stop_the_others(broker, engine, server):
    server.docs.pop("/feed.atom")  # 404: refused, logged, counted
    server.put("/feed.json", b"<html>maintenance</html>", "text/html", validators=False)
    # Malformed XML (an unclosed <b>) from which feedparser still recovers both entries.
    original = (DATA / "tin-nhanh-sai-ma.rss").read_bytes()
    broken = original.replace("ngày đăng trong".encode(), "ngày đăng <b>trong".encode())
    assert broken != original
    server.put("/tin-nhanh.rss", broken, TYPES[".rss"])
    producer = make_producer(broker.bootstrap)
    try:
        src = source(server)
        stats = run_until_idle(ConnectorRuntime(src, producer, engine), timeout=60)
        assert stats.produced == 4  # baophutho 2 + tin-nhanh 2 (recovered)
        # The broken RSS entry, the unreadable JSON Feed document and the malformed (but
        # recovered) RSS document: each once.
        assert stats.dead == 3
        assert src.stats["failed"] >= 1 and src.stats["bad_documents"] == 2  # one per round
        dead = topic(broker.bootstrap, "ioc.dlq", 3)
        assert any(d.value.startswith(b"<html>") for d in dead)  # the document's bytes
        reasons = {dict(d.headers)["reason"].decode() for d in dead}
        assert any(r.startswith("malformed feed (SAXParseException") for r in reasons)
        again = run_until_idle(ConnectorRuntime(source(server), producer, engine), timeout=60)
        assert (again.produced, again.dead) == (0, 0)  # the same bad body is not re-sent
    finally:
        producer.close()


def test_cli_connect_feeds_once(broker, db_url, engine, server, tmp_path):  # engine: fresh
    """`ioc connect feeds --config FILE --once` runs every feed once and prints the counts;
    run again it resumes from the stored cursor (conditional GETs, nothing new)."""
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text(
        "name: cli\nprovince_code: '25'\ninterval_s: 0\nkeywords: [Đền Hùng]\n"
        "max_retries: 0\nfeeds:\n"
        + "".join(f"  - {{name: {n}, url: '{server.base}{p}', platform: {pl}}}\n"
                  for n, p, pl in (("baophutho", "/rss/thoi-su.rss", "news"),
                                   ("dien-dan", "/feed.json", "forum"))),
        encoding="utf-8")
    env = {**os.environ, "IOC_KAFKA_BOOTSTRAP": broker.bootstrap, "IOC_DATABASE_URL": db_url,
           "IOC_VAR_DIR": str(tmp_path)}

    def connect() -> dict[str, Any]:
        out = subprocess.run([sys.executable, "-m", "ioc.cli.main", "connect", "feeds",
                              "--config", str(cfg), "--once"], env=env, cwd=REPO_ROOT,
                             capture_output=True, timeout=180)
        assert out.returncode == 0, out.stderr.decode("utf-8", "replace")[-2000:]
        return json.loads(out.stdout.decode().strip().splitlines()[-1])

    first = connect()
    assert (first["produced"], first["dead_lettered"], first["not_about"]) == (3, 2, 2)
    second = connect()
    assert (second["produced"], second["dead_lettered"], second["not_modified"]) == (0, 0, 1)
    assert second["duplicates"] == 3  # the JSON Feed has no validators: read, all known
