"""Dead-letter payloads and decoded frames are redacted with the same masks as `redact_text`."""

from __future__ import annotations

import hashlib
import json

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from ioc.events.redact import (
    MAX_PAYLOAD_BYTES,
    payload_digest,
    redact_frame,
    redact_payload,
    redact_text,
)

PERSONAL = "bà Lê Thị Mai, SĐT 0912 345 678, CCCD 025123456789, mail mai.le@gmail.com"
LEAKS = ("Lê Thị Mai", "0912 345 678", "025123456789", "mai.le@gmail.com")


def test_json_payload_comes_back_as_redacted_json():
    raw = json.dumps({"feedback_id": "F1", "text": PERSONAL, "extra": {"note": PERSONAL},
                      "author_ref": "@maile", "url": "https://x.vn/p?u=maile#c"},
                     ensure_ascii=False).encode()
    out = redact_payload(raw)
    doc = json.loads(out)
    assert doc["feedback_id"] == "F1"
    for leak in (*LEAKS, "maile"):
        assert leak not in out.decode()
    assert doc["url"].startswith("https://x.vn/p?u=")


def test_invalid_utf8_and_non_json_become_redacted_text():
    raw = b"\xff\xfe garbage " + PERSONAL.encode() + b" \xc3"
    out = redact_payload(raw).decode("utf-8")  # valid UTF-8 now
    assert "\ufffd" in out
    assert all(leak not in out for leak in LEAKS)


def test_lone_surrogate_and_deep_nesting_never_raise():
    surrogate = b'{"text": "\\ud800 0912345678"}'
    out = redact_payload(surrogate)
    assert b"0912345678" not in out
    json.loads(out)  # still JSON: the surrogate went back out as its escape
    deep = b"[" * 100_000 + b'"0912345678"' + b"]" * 100_000
    assert b"0912345678" not in redact_payload(deep)


def test_huge_payload_is_cut_and_redacted():
    raw = (PERSONAL + " ").encode() * (2 * MAX_PAYLOAD_BYTES // len(PERSONAL))
    out = redact_payload(raw)
    assert len(out) <= MAX_PAYLOAD_BYTES + 100
    assert b"[cut " in out and b"0912 345 678" not in out


def test_payload_digest_is_sha256_of_the_original():
    raw = PERSONAL.encode()
    assert payload_digest(raw) == hashlib.sha256(raw).hexdigest()
    assert len(payload_digest(b"")) == 64


def test_frame_masks_text_columns_and_pseudonymises_authors():
    df = pl.DataFrame({
        "post_id": ["P1", "P2"],
        "text": [PERSONAL, None],
        "title": ["ông Trần Văn Bình nói", "tin tức"],
        "url": ["https://a.vn/x?id=7&phone=0912345678#top", None],
        "author_ref": ["@binh", None],
        "seq": [1, 2],
    })
    out = redact_frame(df)
    assert out.columns == df.columns and out["post_id"].to_list() == ["P1", "P2"]
    assert out["text"][0] == redact_text(PERSONAL)[0] and out["text"][1] is None
    assert out["title"][0] == "ông [họ tên] nói"
    assert out["url"][0] == "https://a.vn/x?id=[…]&phone=[…]"
    assert out["author_ref"][0].startswith("anon:") and "binh" not in out["author_ref"][0]
    assert redact_frame(out).equals(out)  # idempotent: connector and aggregator both redact


def test_frame_without_text_columns_is_returned_as_is():
    df = pl.DataFrame({"seq": [1], "dossier_id": ["D1"]})
    assert redact_frame(df) is df


def test_frame_normalises_decomposed_text():
    nfd = "ba\u0300 Le\u0302 Thi\u0323 Mai"  # "bà Lê Thị Mai" in NFD
    out = redact_frame(pl.DataFrame({"text": [nfd]}))
    assert out["text"][0] == "bà [họ tên]"


_alphabet = st.sampled_from(list("0123456789 .-+@_aAbĐđôÔ\tx?&=#/ănLêTịMi") + [
    "bà ", "tôi là ", "số ", "ngõ ", "Nguyễn ", "Văn ", "An ", "gmail.com", "+84", "\u00a0",
    "Nguyen ", "Van ", "Thị ", "Hà ", "Lê ", "xã ", "đường ", "TP.", "Hồ Chí Minh", "Lâm ",
    "\ue000", "Mai ", "Anh ", "Ư", "Ở ",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(_alphabet, max_size=40).map("".join))
def test_python_and_polars_engines_agree(text):
    assert redact_frame(pl.DataFrame({"text": [text]}))["text"][0] == redact_text(text)[0]
