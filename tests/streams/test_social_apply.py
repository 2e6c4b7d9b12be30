"""The social write path stores what the Social page and rescore need, once per post_id, and
its tags (terms, topics, places) — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from ioc.db import schema as s
from ioc.social.sentiment import MODEL_VERSION, label, score
from streams.chaos.workload import social_event
from tests.helpers import apply_events

T0 = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
TEXT = "Đường ở phường Việt Trì ngập sâu sau mưa lớn, xe máy chết máy, dân bức xúc quá"


def test_post_stored_enriched_with_tags(engine: Engine) -> None:
    ev = social_event("P1", T0, text=TEXT, ward=None, platform="facebook",
                      engagement={"likes": 10, "shares": 3, "comments": 4})
    apply_events(engine, [ev])
    with engine.connect() as conn:
        row = conn.execute(select(s.social_posts)).mappings().one()
        tags = conn.execute(select(s.social_post_tags.c.kind, s.social_post_tags.c.value)
                            ).all()
        buckets = conn.execute(select(s.social_buckets)).mappings().all()
    assert row["text"] == TEXT and row["title"] == "Tin địa phương"
    assert row["url"] == "https://example.vn/P1"
    assert row["author_ref"].startswith("anon:")  # pseudonymised by the redaction
    assert (row["likes"], row["shares"], row["comments"], row["engagement"]) == (10, 3, 4, 17)
    assert row["label"] == label(score(f"Tin địa phương {TEXT}"))
    assert row["model_version"] == MODEL_VERSION and row["corrected_label"] is None
    assert row["topic"] == "thiên tai - thời tiết"
    assert row["topics"].split("|")[0] == row["topic"] and "giao thông" in row["topics"]
    # No commune on the event: the commune the text names.
    assert row["places"] == "07900" and row["ward_code"] == "07900"
    kinds = {k for k, _ in tags}
    assert kinds == {"term", "topic", "place"}
    assert ("place", "07900") in tags and ("term", "xe máy") in tags
    assert len(buckets) == 1
    b = buckets[0]
    assert (b["ward_code"], b["topic"], b["platform"]) == ("07900", row["topic"], "facebook")
    assert b["posts"] == 1 and b["engagement"] == 17
    assert b[row["label"]] == 1


def test_redelivered_and_edited_posts_count_once(engine: Engine) -> None:
    first = social_event("P2", T0, text=TEXT)
    edited = social_event("P2", T0, text="Đã sửa: người dân rất hài lòng", seq=2)
    apply_events(engine, [first])
    apply_events(engine, [first, edited])
    with engine.connect() as conn:
        posts = conn.execute(select(func.sum(s.social_buckets.c.posts))).scalar()
        text = conn.execute(select(s.social_posts.c.text)).scalar()
        n_tags = conn.execute(select(func.count()).select_from(s.social_post_tags)).scalar()
    assert posts == 1
    assert text == TEXT  # the first delivery wins (documented in ioc.db.schema)
    assert n_tags and n_tags > 0


def test_event_ward_wins_over_places_named(engine: Engine) -> None:
    apply_events(engine, [social_event("P3", T0, text=TEXT, ward="08494")])
    with engine.connect() as conn:
        ward, places = conn.execute(select(s.social_posts.c.ward_code,
                                           s.social_posts.c.places)).one()
    assert ward == "08494" and places == "07900"


def test_post_without_engagement_or_text(engine: Engine) -> None:
    ev = social_event("P4", T0, text=None, title=None)
    del ev["engagement"]
    apply_events(engine, [ev])
    with engine.connect() as conn:
        row = conn.execute(select(s.social_posts)).mappings().one()
    assert row["engagement"] == 0 and row["label"] == "neutral" and row["topic"] == "khác"


def _engagement(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        post = conn.execute(select(func.sum(s.social_posts.c.engagement))).scalar()
        buckets = conn.execute(select(func.sum(s.social_buckets.c.engagement))).scalar()
    return int(post or 0), int(buckets or 0)


def test_engagement_is_the_largest_any_delivery_carried(engine: Engine) -> None:
    first = social_event("P5", T0, text=TEXT, engagement={"likes": 10, "shares": 1})
    later = social_event("P5", T0, text=TEXT, engagement={"likes": 30, "comments": 5})
    older = social_event("P5", T0, text=TEXT, engagement={"likes": 20, "shares": 0})
    apply_events(engine, [first])
    assert _engagement(engine) == (11, 11)
    apply_events(engine, [later, older])  # out of order in one batch
    assert _engagement(engine) == (36, 36)  # likes 30, shares 1, comments 5
    apply_events(engine, [first, older, later])  # replays change nothing
    assert _engagement(engine) == (36, 36)
    with engine.connect() as conn:
        posts = conn.execute(select(func.sum(s.social_buckets.c.posts))).scalar()
    assert posts == 1
    # One batch with all three gives the same as three batches.
    apply_events(engine, [first, later, older])
    assert _engagement(engine) == (36, 36)


def test_rows_stored_before_0009_do_not_grow(engine: Engine) -> None:
    from sqlalchemy import update

    apply_events(engine, [social_event("P6", T0, text=TEXT, engagement={"likes": 4})])
    with engine.begin() as conn:  # as migration 0009 left an older row: no counts, no model
        conn.execute(update(s.social_posts).values(likes=0, shares=0, comments=0, engagement=0,
                                                   model_version=None))
    apply_events(engine, [social_event("P6", T0, text=TEXT, engagement={"likes": 9})])
    assert _engagement(engine) == (0, 4)
