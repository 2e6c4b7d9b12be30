"""Named connectors: what `ioc connect NAME` runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from connectors.base import Source
from connectors.simulators.source import SimulatorSource
from ioc.events.contracts import CONTRACTS, DOSSIER, FEEDBACK, SOCIAL
from ioc.settings import Settings


def _simulator(stream: str, settings: Settings):  # noqa: ANN202
    from connectors.simulators.dossier import DossierSimulator
    from connectors.simulators.feedback import FeedbackSimulator
    from connectors.simulators.social import SocialSimulator

    cls = {DOSSIER: DossierSimulator, FEEDBACK: FeedbackSimulator, SOCIAL: SocialSimulator}[stream]
    return cls(province_code=settings.province_code, seed=settings.sim_seed,
               rate=settings.sim_rate)


def _sim_source(stream: str) -> Callable[[Settings], Source]:
    def build(settings: Settings) -> Source:
        return SimulatorSource(f"sim-{stream}", CONTRACTS[stream], _simulator(stream, settings),
                               backfill_days=settings.sim_backfill_days)

    return build


CONNECTORS: dict[str, Callable[[Settings], Source]] = {
    "sim-dossier": _sim_source(DOSSIER),
    "sim-feedback": _sim_source(FEEDBACK),
    "sim-social": _sim_source(SOCIAL),
}
SIMULATORS = ("sim-dossier", "sim-feedback", "sim-social")


def _open311(path: Path) -> Source:
    from connectors.open311.config import Open311Config
    from connectors.open311.source import Open311Source

    return Open311Source(Open311Config.load(path))


def _feeds(path: Path) -> Source:
    from connectors.feeds.config import FeedsConfig
    from connectors.feeds.source import FeedSource

    return FeedSource(FeedsConfig.load(path))


# Connectors built from a settings file: `ioc connect NAME --config FILE.yaml`.
CONFIGURED: dict[str, Callable[[Path], Source]] = {"open311": _open311, "feeds": _feeds}
