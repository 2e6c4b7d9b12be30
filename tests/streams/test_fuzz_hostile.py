"""Fuzz: hostile records mixed with good ones, through `ioc ingest`'s path (JSONL source →
connector runtime) and straight onto the topic for the aggregator, on one real broker and
the real database. Nothing crashes; every bad record is in the dead-letter table exactly once
per path; every good record is counted once."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from connectors.files.jsonl import JsonlFileSource
from connectors.runtime import ConnectorRuntime, run_until_idle
from ioc.db.schema import dead_letters, feedback
from ioc.events.contracts import FEEDBACK_CONTRACT
from streams.aggregator import Aggregator
from streams.chaos.workload import feedback_event
from streams.clients import make_producer
from tests.helpers import drain, now_utc

T = now_utc() - timedelta(hours=3)


def _dump(event: dict[str, Any]) -> bytes:
    return json.dumps(event).encode()


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


# Each draw: ("good" | "bad", a function of the entity id giving the line's bytes).
def _mutation(kind: str, arg: Any) -> Any:
    def make(fid: str) -> bytes:
        e = feedback_event(fid, 1, "received", T)
        if kind == "good":
            return _dump(e)
        if kind == "bytes":
            return b"#" + fid.encode() + arg.replace(b"\n", b"").replace(b"\r", b"")
        if kind == "deep":
            return _dump({**e, "extra": _nested(arg)})
        if kind == "surrogate":
            return _dump({**e, "text": f"phản ánh {arg} \ud800"})
        if kind == "huge":
            return _dump({**e, "seq": arg})
        if kind == "nan":
            return _dump({**e, "lat": arg})
        if kind == "naive":
            return _dump({**e, "received_at": arg})
        if kind == "date":
            return _dump({**e, "received_at": arg, "due_at": "2101-06-01T00:00:00+00:00"})
        if kind == "bbox":
            return _dump({**e, "lat": arg})
        raise AssertionError(kind)
    return make


GOOD = st.just(("good", _mutation("good", None)))
BAD = st.one_of(
    st.binary(min_size=1, max_size=300).map(lambda b: ("bad", _mutation("bytes", b))),
    st.integers(21, 3000).map(lambda d: ("bad", _mutation("deep", d))),
    st.text(max_size=30).map(lambda s: ("bad", _mutation("surrogate", s))),
    st.integers(2**63, 10**30).map(lambda n: ("bad", _mutation("huge", n))),
    st.sampled_from([float("nan"), float("inf"), float("-inf")]).map(
        lambda x: ("bad", _mutation("nan", x))),
    st.sampled_from(["2026-01-01T10:00:00", "2026-01-01T10:00:00.5", "2026-01-01"]).map(
        lambda s: ("bad", _mutation("naive", s))),
    st.sampled_from(["1999-12-31T23:59:59+00:00", "2101-01-01T00:00:00+00:00",
                     "0001-01-01T00:00:00+00:00", "9999-12-31T00:00:00+00:00"]).map(
        lambda s: ("bad", _mutation("date", s))),
    st.one_of(st.floats(-90, 5.9), st.floats(23.6, 90)).map(
        lambda x: ("bad", _mutation("bbox", x))),
)


def test_hostile_records_never_crash_bad_once_good_counted(broker, engine, tmp_path):
    producer = make_producer(broker.bootstrap)
    agg = Aggregator(broker.bootstrap, engine, group="g-fuzz")
    serial = itertools.count()

    @settings(max_examples=15, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.lists(st.one_of(GOOD, BAD), min_size=1, max_size=14))
    def prop(draws: list) -> None:
        n = next(serial)
        lines = [make(f"FZ{n}-{i}") for i, (_, make) in enumerate(draws)]
        bad = [line for (kind, _), line in zip(draws, lines, strict=True) if kind == "bad"]
        n_good = len(lines) - len(bad)
        path = tmp_path / f"fuzz-{n}.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")

        # `ioc ingest`'s path: never raises, every line produced or dead-lettered.
        source = JsonlFileSource(path, FEEDBACK_CONTRACT)
        stats = run_until_idle(ConnectorRuntime(source, producer, engine), timeout=60)
        assert (stats.produced, stats.dead, stats.errors) == (n_good, len(bad), 0)

        # The same bytes straight onto the topic: the aggregator judges them itself.
        for line in lines:
            producer.send("ioc.feedback.v1", key=b"k", value=line)
        producer.flush()
        drain(agg)
        drain(agg)  # the dead letters it sent to ioc.dlq are archived

        with engine.connect() as conn:
            counted = conn.execute(select(func.count()).select_from(feedback)
                                   .where(feedback.c.feedback_id.like(f"FZ{n}-%"))).scalar()
            by_connector = conn.execute(select(func.count()).select_from(dead_letters)
                                        .where(dead_letters.c.source == source.connector_id)
                                        ).scalar()
            by_aggregator = Counter(conn.execute(
                select(dead_letters.c.payload_sha256)
                .where(dead_letters.c.stage.in_(["aggregate", "apply"]),
                       dead_letters.c.payload_sha256.in_(
                           [hashlib.sha256(b).hexdigest() for b in bad]))).scalars())
        assert counted == n_good
        assert by_connector == len(bad)
        assert by_aggregator == Counter(hashlib.sha256(b).hexdigest() for b in bad)

    try:
        prop()
    finally:
        agg.close()
        producer.close()
