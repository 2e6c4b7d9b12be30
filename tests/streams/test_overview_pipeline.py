"""The Overview page renders numbers that came through the whole pipeline: simulators →
connector runtime → real broker → aggregator → database → page (AppTest)."""

from __future__ import annotations

from datetime import UTC, datetime

from streamlit.testing.v1 import AppTest

from connectors.runtime import ConnectorRuntime, run_until_idle
from connectors.simulators import DossierSimulator, FeedbackSimulator, SocialSimulator
from connectors.simulators.source import SimulatorSource
from ioc.events.contracts import CONTRACTS
from ioc.i18n import fmt_int
from ioc.kpis.values import compute_kpis
from streams.aggregator import Aggregator
from streams.clients import make_producer
from tests import REPO_ROOT
from tests.helpers import drain


def test_overview_shows_pipeline_numbers(broker, engine, db_url, monkeypatch):
    producer = make_producer(broker.bootstrap)
    now = datetime.now(UTC)  # a fixed clock, so the backfill ends and the connector goes idle
    for stream, cls in (("dossier", DossierSimulator), ("feedback", FeedbackSimulator),
                        ("social", SocialSimulator)):
        src = SimulatorSource(f"sim-{stream}", CONTRACTS[stream], cls(seed=3), backfill_days=2,
                              clock=lambda: now)
        run_until_idle(ConnectorRuntime(src, producer, engine))
    producer.close()
    agg = Aggregator(broker.bootstrap, engine, group="g-ui")
    try:
        drain(agg)
        agg.poll_once(timeout_ms=100)  # an idle poll writes the heartbeat the badge reads
    finally:
        agg.close()

    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    monkeypatch.setenv("IOC_PROVINCE_CODE", "25")
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    html = "\n".join(m.value for m in at.markdown)
    kpis = {v.kpi: v for v in compute_kpis(engine, "province:25", "24h") if not v.by}
    # "Now" figures do not move with the clock, so they must match exactly.
    assert kpis["feedback.open"].value > 0
    assert fmt_int(kpis["feedback.open"].value) in html
    assert fmt_int(kpis["dossier.overdue"].value) in html
    assert "Phú Thọ" in html
