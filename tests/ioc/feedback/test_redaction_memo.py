"""The report list's redaction memo (ioc.feedback.queries.redact_texts: each distinct text
redacted once per process) gives what redact_frame gives, on first sight and from the memo,
with texts holding phone numbers, names, ID numbers and e-mail addresses, repeats and NULLs;
the memo starts afresh past its bound."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from ioc.events.redact import redact_frame
from ioc.feedback import queries as fq

TEXTS = st.one_of(
    st.none(),
    st.sampled_from(["Gọi 0912 345 678 để báo", "Ông Nguyễn Văn An ở xã Hà Lộc phản ánh",
                     "CCCD 001203004567, email an.nguyen@example.vn", "Rác thải chưa thu gom",
                     ""]),
    st.text(alphabet="0123456789 ÀàNguyễnVăAn@.-", max_size=40))


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(TEXTS, max_size=20), memo_max=st.integers(1, 30))
def test_the_redaction_memo_gives_what_redact_frame_gives(texts: list[str | None],
                                                          memo_max: int) -> None:
    frame = pl.DataFrame({"feedback_id": [str(i) for i in range(len(texts))], "text": texts},
                         schema={"feedback_id": pl.String, "text": pl.String})
    want = redact_frame(frame)
    old = fq._REDACTED_MAX
    fq._REDACTED_MAX = memo_max  # small: the memo also starts afresh within the examples
    try:
        first = fq.redact_texts(frame)  # partly from earlier examples' memo
        again = fq.redact_texts(frame)  # every text from the memo now (or afresh)
    finally:
        fq._REDACTED_MAX = old
    assert first.equals(want), texts
    assert again.equals(want), texts
    if any(t and "0912 345 678" in t for t in texts):
        assert "0912 345 678" not in "".join(t or "" for t in again["text"].to_list())


def test_the_redaction_memo_stays_bounded() -> None:
    old = fq._REDACTED_MAX
    fq._REDACTED_MAX = 10
    try:
        for i in range(5):
            frame = pl.DataFrame({"text": [f"Gọi 09{i}{j:02d} 345 678" for j in range(4)]})
            assert fq.redact_texts(frame).equals(redact_frame(frame))
            assert len(fq._REDACTED) <= 10
    finally:
        fq._REDACTED_MAX = old
