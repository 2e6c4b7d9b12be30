"""KPI targets: catalogue defaults, overrides stored in the database, refused bad input, and
the override reaching the KPI values."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from ioc.kpis.targets import load_targets, set_target
from ioc.kpis.values import compute_kpis


def test_defaults_come_from_the_seeds(engine: Engine) -> None:
    t = load_targets(engine)
    assert t["dossier.online_eligible_rate"] == 0.80
    assert t["dossier.digitization_rate"] == 1.0
    assert t["dossier.satisfaction_rate"] == 0.80


def test_override_clear_and_refusals(engine: Engine) -> None:
    set_target(engine, "dossier.satisfaction_rate", 0.9, by="test")
    set_target(engine, "dossier.digitization_rate", None, by="test")
    t = load_targets(engine)
    assert (t["dossier.satisfaction_rate"], t["dossier.digitization_rate"]) == (0.9, None)
    kpis = {k.kpi: k for k in compute_kpis(engine, "province:25", "7d") if not k.by}
    assert kpis["dossier.satisfaction_rate"].target == 0.9
    with pytest.raises(ValueError, match="between 0 and 1"):
        set_target(engine, "dossier.online_rate", 80, by="test")
    with pytest.raises(ValueError, match="unknown KPI"):
        set_target(engine, "dossier.nope", 1, by="test")
    with pytest.raises(ValueError, match="between 0 and 20"):
        set_target(engine, "dossier.score_progress", 25, by="test")
