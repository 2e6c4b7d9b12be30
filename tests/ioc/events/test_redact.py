"""Personal data is masked; commune names and ordinary numbers are left alone."""

from __future__ import annotations

import pytest

from ioc.events.redact import redact_event, redact_text


@pytest.mark.parametrize(("raw", "kind", "leak"), [
    ("Gọi tôi qua 0912 345 678 nhé", "phone", "0912 345 678"),
    ("SĐT +84912345678", "phone", "912345678"),
    ("CCCD số 025123456789", "citizen_id", "025123456789"),
    ("email hung.nv@gmail.com", "email", "hung.nv@gmail.com"),
    ("Tôi là Nguyễn Văn Hùng, ở thôn 3", "person", "Nguyễn Văn Hùng"),
    ("bà Lê Thị Mai phản ánh", "person", "Lê Thị Mai"),
    ("nhà tôi ở số nhà 12 ngõ 5 phố Hùng Vương", "address", "12 ngõ 5"),
])
def test_personal_data_is_masked(raw, kind, leak):
    clean, found = redact_text(raw)
    assert kind in found
    assert leak not in clean


@pytest.mark.parametrize("text", [
    "xã Đông Tiên Hưng và phường Thông Tây Hội",
    "Sông Lô, xã Thanh Thủy đi ngang",
    "Năm 2025 tỉnh có 148 xã, phường",
])
def test_places_and_counts_untouched(text):
    assert redact_text(text) == (text, [])


def test_event_fields_redacted_without_mutating_input():
    ev = {"text": "liên hệ 0987654321", "address": "số 5 ngõ 2", "title": None, "seq": 1}
    out, kinds = redact_event(ev)
    assert out["text"] == "liên hệ [SĐT]" and "[địa chỉ]" in out["address"]
    assert kinds == ["address", "phone"]
    assert ev["text"] == "liên hệ 0987654321"
