"""`ioc sentiment label` and `evaluate` as processes: stdin lines → labels, scores as JSON."""

from __future__ import annotations

import json
import subprocess
import sys

from tests import REPO_ROOT


def _ioc(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ioc.cli.main", "sentiment", *args],
                          input=stdin, cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120)


def test_label_round_trip() -> None:
    lines = ["Hàng xấu, thất vọng quá", "Giao hàng nhanh, rất hài lòng", "",
             "Cho mình hỏi lịch tiếp dân tuần này", "ko dang tien, te vl"]
    out = _ioc("label", stdin="\n".join(lines) + "\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["negative", "positive", "neutral", "neutral",
                                       "negative"]


def test_evaluate_prints_heldout_scores() -> None:
    out = _ioc("evaluate")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["n"] >= 150 and result["data"] == "sentiment_heldout.tsv"
    assert 0 < result["negative_recall"] <= 1 and result["macro_f1"] >= 0.68


def test_rescore_and_train_with_corrections(engine, db_url: str, tmp_path) -> None:
    """`ioc sentiment rescore --since` on a real database (SQLite and PostgreSQL), and
    `train --with-corrections` stamping the corrections into the model's version."""
    import os
    from datetime import UTC, datetime, timedelta

    from ioc.social.corrections import relabel
    from ioc.social.sentiment import MODEL_VERSION, load_model
    from streams.chaos.workload import social_event
    from tests.helpers import apply_events

    now = datetime.now(UTC)
    apply_events(engine, [social_event(f"P{i}", now - timedelta(days=i),
                                       text="Đường xã Lâm Thao ngập, dân bức xúc quá")
                          for i in range(4)])
    relabel(engine, "P0", "positive", "op")
    env = {**os.environ, "IOC_DATABASE_URL": db_url}
    since = (now - timedelta(days=1, hours=1)).astimezone(UTC).strftime("%Y-%m-%d")
    out = subprocess.run([sys.executable, "-m", "ioc.cli.main", "sentiment", "rescore",
                          "--since", since], env=env, cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    stats = json.loads(out.stdout)
    assert stats["model_version"] == MODEL_VERSION and 1 <= stats["posts"] <= 3
    bad = subprocess.run([sys.executable, "-m", "ioc.cli.main", "sentiment", "rescore",
                          "--since", "yesterday"], env=env, cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode != 0 and "not a date" in bad.stderr
    model = tmp_path / "m.json.gz"
    out = subprocess.run([sys.executable, "-m", "ioc.cli.main", "sentiment", "train",
                          "--with-corrections", "--out", str(model)], env=env, cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["corrections"] == 1
    assert load_model(model.read_bytes()).version.startswith(f"{MODEL_VERSION}+c1.")
