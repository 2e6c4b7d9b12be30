"""redacted_reason: the one way an error becomes a stored reason (heartbeat rows, dead letters)."""

from __future__ import annotations

from ioc.events.redact import redacted_reason


def test_url_query_values_masked_host_kept_personal_data_redacted():
    text = ("OSError('GET https://api.example.vn/v1/x?token=s3cr3t&page=2#frag failed for "
            "ông Trần Văn Bình 0912345678')")
    out = redacted_reason(text, 300)
    for secret in ("s3cr3t", "frag", "Trần Văn Bình", "0912345678"):
        assert secret not in out
    assert out.startswith("OSError('GET https://api.example.vn/v1/x?token=")
    assert "page=" in out  # the parameter names stay: they say what was asked


def test_bounded():
    assert len(redacted_reason("x" * 10_000, 300)) == 300
    assert redacted_reason("ValueError: short", 300) == "ValueError: short"
    # A mask that lengthens the text still leaves at most `limit` characters.
    assert len(redacted_reason("0912345678 " * 50, 100)) == 100
