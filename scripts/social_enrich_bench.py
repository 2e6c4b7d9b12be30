"""Throughput of the social enrichment on this machine: word segmentation (underthesea) in
tokens/s and texts/s, in one process and in two, and texts/s of each enrichment step (terms,
topics, places, sentiment), over three days of the social simulator's posts (Phú Thọ).

    .venv/bin/python scripts/social_enrich_bench.py [--days 3]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timedelta
from multiprocessing import Pool

from underthesea.pipeline.word_tokenize.regex_tokenize import tokenize

from connectors.simulators.social import SocialSimulator
from ioc.reference.calendar import TZ


def _segment(texts: list[str]) -> float:
    from ioc.social.words import words

    words("khởi động")  # the CRF model loads once per process, not timed
    t = time.perf_counter()
    for x in texts:
        words(x)
    return time.perf_counter() - t


def _rate(n: int, f) -> float:  # noqa: ANN001
    t = time.perf_counter()
    f()
    return n / (time.perf_counter() - t)


def main() -> None:
    from ioc.social.places import places
    from ioc.social.sentiment import score_many
    from ioc.social.topics import topics
    from ioc.social.words import terms

    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=3)
    args = ap.parse_args()
    start = datetime(2025, 11, 3, tzinfo=TZ)
    events = SocialSimulator().events_between(start, start + timedelta(days=args.days))
    texts = list({e["post_id"]: f"{e['title'] or ''} {e['text']}" for e in events}.values())
    tokens = sum(len(tokenize(t)) for t in texts)
    one = _segment(texts)
    with Pool(2) as pool:
        pool.map(_segment, [["x"], ["x"]])
        t = time.perf_counter()
        pool.map(_segment, [texts[::2], texts[1::2]])
        two = time.perf_counter() - t
    places(texts[0], "25")  # the place tables are built once per process, not timed
    print(json.dumps({
        "texts": len(texts), "tokens": tokens,
        "segment_tokens_per_s_1proc": round(tokens / one),
        "segment_texts_per_s_1proc": round(len(texts) / one),
        "segment_tokens_per_s_2proc": round(tokens / two),
        "terms_texts_per_s": round(_rate(len(texts), lambda: [terms(x) for x in texts])),
        "topics_texts_per_s": round(_rate(len(texts), lambda: [topics(x) for x in texts])),
        "places_texts_per_s": round(_rate(len(texts), lambda: [places(x, "25")
                                                               for x in texts])),
        "sentiment_texts_per_s": round(_rate(len(texts), lambda: score_many(texts))),
    }))


if __name__ == "__main__":
    main()
