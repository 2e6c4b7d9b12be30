"""`ioc ingest` never crashes on a record: whatever the bytes, each line is produced or
dead-lettered, the command exits 0 with its JSON summary, and its output never quotes a
record. It exits non-zero only when the broker or database is unreachable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

from streams.chaos.workload import feedback_event
from tests import REPO_ROOT
from tests.helpers import now_utc, read_topic

PHONE = "0987654321"


def _ioc(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ioc.cli.main", *args], env=env,
                          cwd=REPO_ROOT, capture_output=True, timeout=180)


def test_ingest_hostile_lines_exits_zero_with_summary(broker, db_url, tmp_path):
    t = now_utc() - timedelta(hours=1)
    good = [json.dumps(feedback_event(f"F-{i}", 1, "received", t)).encode() for i in range(5)]
    surrogate = json.dumps(feedback_event("F-s", 1, "received", t,
                                          text=f"\ud800 gọi {PHONE}")).encode()
    deep = b'{"feedback_id":"F-d","note":"' + PHONE.encode() + b'","x":' + b"[" * 100_000 \
        + b"]" * 100_000 + b"}"
    huge_int = json.dumps({**feedback_event("F-h", 1, "received", t), "seq": 10**20}).encode()
    nan = json.dumps(feedback_event("F-n", 1, "received", t, lat=float("nan"))).encode()
    naive = json.dumps({**feedback_event("F-t", 1, "received", t),
                        "received_at": "2026-01-01T10:00:00"}).encode()
    garbage = b"\xff\xfe\x00 " + PHONE.encode()
    lines = [good[0], surrogate, good[1], deep, good[2], huge_int, nan, naive, garbage,
             *good[3:]]
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    env = {**os.environ, "IOC_KAFKA_BOOTSTRAP": broker.bootstrap, "IOC_DATABASE_URL": db_url,
           "IOC_VAR_DIR": str(tmp_path)}

    out = _ioc(env, "ingest", "--topic", "ioc.feedback.v1", str(path))
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")[-2000:]
    summary = json.loads(out.stdout)
    assert summary == {"produced": 5, "dead_lettered": 6, "redacted": 0, "errors": 0}
    assert PHONE.encode() not in out.stderr + out.stdout  # nothing of the records in output
    dlq = read_topic(broker.bootstrap, "ioc.dlq", expect=6)
    reasons = sorted(dict(r.headers)["reason"].decode() for r in dlq)
    assert len(reasons) == 6 and all(PHONE not in r for r in reasons)
    assert any("nested deeper" in r for r in reasons)
    assert any(r.startswith("text: not valid UTF-8") for r in reasons)
    assert all(PHONE.encode() not in r.value for r in dlq)

    again = _ioc(env, "ingest", "--topic", "ioc.feedback.v1", str(path))  # resumes: nothing new
    assert again.returncode == 0 and json.loads(again.stdout)["produced"] == 0


def test_ingest_exits_non_zero_only_when_the_broker_is_unreachable(tmp_path):
    # One backend only: the ingest waits out kafka-python's bootstrap timeout (~20-40 s) before
    # it says the broker is unreachable, and the database plays no part in that answer.
    path = tmp_path / "one.jsonl"
    path.write_bytes(b"{}\n")
    env = {**os.environ, "IOC_KAFKA_BOOTSTRAP": "127.0.0.1:1",
           "IOC_DATABASE_URL": f"sqlite:///{tmp_path / 'ioc.db'}", "IOC_VAR_DIR": str(tmp_path)}
    out = _ioc(env, "ingest", "--topic", "ioc.feedback.v1", str(path))
    assert out.returncode == 2
    assert "unreachable" in json.loads(out.stdout)["error"]
