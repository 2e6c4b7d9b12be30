"""The social enrichment (underthesea, the admin-unit parser, the sentiment model: ~2 s) loads
in a connector process only when a social post reaches it: an `ioc ingest` of dossiers or
feedback starts without it, and a post still leaves enriched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import sys
import connectors.runtime
from connectors.enrich import with_enrichment
from ioc.events.contracts import CONTRACTS, SOCIAL
heavy = ("ioc.social.enrichment", "underthesea")
assert not [m for m in heavy if m in sys.modules], "loaded with the runtime"
dossier = next(c for c in CONTRACTS.values() if c.stream != SOCIAL)
assert with_enrichment(dossier, {"x": 1}) == {"x": 1}
assert not [m for m in heavy if m in sys.modules], "loaded by a non-social event"
social = next(c for c in CONTRACTS.values() if c.stream == SOCIAL)
out = with_enrichment(social, {"title": "Ngập", "text": "Đường ngập sâu", "province_code": "25"})
assert set(out["enrichment"]) >= {"sentiment", "label", "model_version", "topic"}, out
assert "ioc.social.enrichment" in sys.modules
print("ok")
"""


def test_enrichment_loads_on_the_first_social_post_only() -> None:
    # A fresh interpreter: this test process has long imported everything.
    done = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
