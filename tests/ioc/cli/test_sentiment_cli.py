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
