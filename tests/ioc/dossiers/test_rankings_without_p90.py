"""Rankings and breakdowns leave out the p90 processing time (not ranked, not shown; per group
it would read every completion of the window): everything else equals the full scorecard's
ranking and breakdown, for random lifecycles, windows and dimensions. Runs on SQLite, and on
PostgreSQL when IOC_TEST_DATABASE_URL is set."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine

from ioc.dossiers.queries import BREAKDOWN_DIMS, NO_P90, breakdown, rankings
from ioc.kpis.scorecard import rank
from ioc.kpis.values import dossier_scorecard, utc_naive
from ioc.kpis.windows import WINDOW_NAMES, resolve
from tests.ioc.dossiers.test_dossier_windows_property import NOW, apply_shuffled_lifecycles

SCOPE = "province:25"


def test_rankings_and_breakdowns_equal_the_full_scorecard_without_p90(engine: Engine) -> None:
    apply_shuffled_lifecycles(engine, 250, seed=8, batch=200)
    now = utc_naive(NOW)
    with_p90 = ranked = 0
    for window in (w for w in WINDOW_NAMES if w != "custom"):
        period = resolve(window, now)
        for dim in ("ward_code", "agency_code"):
            full = [dossier_scorecard(engine, SCOPE, p, now, by=[dim])
                    for p in (period, period.previous())]
            with_p90 += sum(f[NO_P90].is_not_null().sum() for f in full)
            want = rank(*[f.filter(pl.col(dim) != "") for f in full], dim).drop(NO_P90)
            got = rankings(engine, SCOPE, period, dim, now)
            assert got.equals(want), (window, dim)
            ranked += got.height
        for dim in BREAKDOWN_DIMS:
            want = dossier_scorecard(engine, SCOPE, period, now, by=[dim]).drop(NO_P90)
            assert breakdown(engine, SCOPE, period, dim, now).equals(want), (window, dim)
    assert with_p90 > 0 and ranked > 0  # the left-out column had values
