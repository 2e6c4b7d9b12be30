"""`ioc up` stops every child, the embedded broker included, on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil

from tests import REPO_ROOT

ROOT = REPO_ROOT


def test_sigterm_stops_every_child(tmp_path: Path):
    env = {**os.environ, "IOC_VAR_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("IOC_KAFKA_BOOTSTRAP", None)
    env.pop("IOC_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "ioc.cli.main", "up", "--no-ui",
                             "--no-simulators"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        lines: list[str] = []
        while not lines or "running:" not in lines[-1]:  # blocks until each line comes
            lines.append(proc.stdout.readline())
            assert len(lines) < 10 and lines[-1], lines
        # First run: the generated admin password is shown once, before the running line.
        assert "admin account created" in lines[0], lines
        password = lines[1].split("password:")[1].strip()
        logs = " ".join(f.read_text() for f in (tmp_path / "logs").glob("*.log"))
        assert len(password) >= 20 and password not in logs
        assert (tmp_path / "broker.json").exists()
        children = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        assert "tansu" in names and "aggregate" in names
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        gone, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, [c.cmdline() for c in alive]
        assert not (tmp_path / "broker.json").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
