"""The operator-facing commands, run as processes: ingest → (aggregate) → kpi and status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

from ioc.kpis.catalogue import DOSSIER_KPIS
from streams.aggregator import Aggregator
from streams.chaos.workload import feedback_event
from tests import REPO_ROOT
from tests.helpers import drain, now_utc

ROOT = REPO_ROOT


def _ioc(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ioc.cli.main", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_ingest_kpi_status(broker, engine, db_url, tmp_path):
    env = {**os.environ, "IOC_KAFKA_BOOTSTRAP": broker.bootstrap, "IOC_DATABASE_URL": db_url,
           "IOC_VAR_DIR": str(tmp_path), "IOC_CONSUMER_GROUP": "g-cli"}
    t = now_utc() - timedelta(hours=3)
    lines = [json.dumps(feedback_event(f"F-{i}", 1, "received", t, channel="zalo",
                                       text="Gọi 0912345678 giúp tôi"))
             for i in range(3)]
    lines.insert(1, '{"feedback_id": "broken"')
    path = tmp_path / "pakn.jsonl"
    path.write_text("\n".join(lines) + "\n")

    out = _ioc(env, "ingest", "--topic", "ioc.feedback.v1", str(path))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"produced": 3, "dead_lettered": 1, "redacted": 3,
                                      "errors": 0}
    assert "0912345678" not in out.stderr  # personal data never reaches the logs

    agg = Aggregator(broker.bootstrap, engine, group="g-cli")
    try:
        drain(agg)
    finally:
        agg.close()

    kpi = _ioc(env, "kpi", "--json", "--scope", "commune:08494", "--window", "24h")
    assert kpi.returncode == 0, kpi.stderr
    rows = json.loads(kpi.stdout)
    assert all({"kpi", "scope", "window", "value"} <= set(r) for r in rows)
    received = [r for r in rows if r["kpi"] == "feedback.received"]
    assert received[0]["value"] == 3 and received[1]["by"] == {"channel": "zalo"}
    ratio = next(r for r in rows if r["kpi"] == "social.negative_share")
    assert {"numerator", "denominator"} <= set(ratio)

    bad = _ioc(env, "kpi", "--json", "--window", "2y")
    assert bad.returncode != 0 and "invalid choice: '2y'" in bad.stderr
    bad = _ioc(env, "kpi", "--json", "--scope", "ward:1")
    assert bad.returncode != 0 and "scope must be KIND:CODE" in bad.stderr

    # Every dossier KPI of the catalogue, for a commune, with its previous period.
    d30 = _ioc(env, "kpi", "--json", "--scope", "commune:08494", "--window", "30d",
               "--stream", "dossier")
    assert d30.returncode == 0, d30.stderr
    rows = json.loads(d30.stdout)
    assert [r["kpi"] for r in rows] == [k.code for k in DOSSIER_KPIS]
    assert all({"value", "previous", "change", "target"} <= set(r) for r in rows)
    custom = _ioc(env, "kpi", "--json", "--from", "01/11/2026", "--to", "30/11/2026",
                  "--stream", "dossier")
    assert custom.returncode == 0, custom.stderr
    assert {r["window"] for r in json.loads(custom.stdout)} == {"custom", "now"}

    st = _ioc(env, "status", "--json")
    assert st.returncode == 0, st.stderr
    status = json.loads(st.stdout)
    assert status["broker"]["reachable"] is True
    assert sum(status["topics"]["ioc.feedback.v1"].values()) == 3
    assert status["topics"]["ioc.dlq"]["0"] == 1
    assert status["consumer_lag"]["total"] == 0
    assert status["dead_letters"]["archived"] == 1
    assert status["last_committed_batch"] is not None


def test_aggregate_refuses_a_misspelt_reminder_target(tmp_path):
    env = {**os.environ, "IOC_VAR_DIR": str(tmp_path), "IOC_REMINDER_TARGETS": "webhok"}
    out = _ioc(env, "aggregate")
    assert out.returncode == 1
    assert "IOC_REMINDER_TARGETS: targets[0]: unknown target 'webhok'" in out.stderr
