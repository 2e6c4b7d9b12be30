"""`ioc playlists add|list|export|import` against a real database: the export of what was
added imports back unchanged into another database; a bad file writes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ioc.db.engine import make_engine
from ioc.db.migrate import upgrade
from ioc.wall import store

ROOT = Path(__file__).resolve().parents[3]


def _ioc(db_url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "IOC_DATABASE_URL": db_url}
    return subprocess.run([sys.executable, "-m", "ioc.cli.main", "playlists", *args], env=env,
                          cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=120)


def test_add_list_export_import_round_trip(tmp_path: Path) -> None:
    a_url, b_url = (f"sqlite:///{tmp_path / n}.db" for n in ("a", "b"))
    for url in (a_url, b_url):
        upgrade(make_engine(url))
    added = _ioc(a_url, "add", "tuong-1", "--title", "Tường chính", "--item", "overview:20",
                 "--item", "dossiers:45:30d:commune:08494", "--item", "alerts:15")
    assert added.returncode == 0, added.stderr
    assert "/wall?playlist=tuong-1&key=" in added.stdout
    bad = _ioc(a_url, "add", "tuong-2", "--item", "nowhere:3")
    assert bad.returncode != 0 and "items[0].page" in bad.stderr
    listed = _ioc(a_url, "list")
    assert "tuong-1" in listed.stdout and "dossiers(45s)" in listed.stdout
    assert "tuong-2" not in listed.stdout
    for fmt in ([], ["--json"]):
        exported = _ioc(a_url, "export", *fmt)
        assert exported.returncode == 0 and "key" not in exported.stdout
        imported = _ioc(b_url, "import", stdin=exported.stdout)
        assert imported.returncode == 0, imported.stderr
    a = store.get(make_engine(a_url), "tuong-1")
    b = store.get(make_engine(b_url), "tuong-1")
    assert a is not None and b is not None and a.playlist == b.playlist
    assert [x["action"] for x in store.audit(make_engine(b_url))] == ["import"]
    refused = _ioc(b_url, "import", stdin="playlists:\n- name: x\n  items: []\n")
    assert refused.returncode != 0 and "nothing written" in refused.stderr
    assert [p.playlist.name for p in store.list_playlists(make_engine(b_url))] == ["tuong-1"]
