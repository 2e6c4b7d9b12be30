"""Deterministic simulators of the three IOC streams (see common.py for the method).

Each simulator is `XSimulator(province_code="25", seed=20250701, rate=1.0)` with
`events_between(t0, t1) -> list[dict]`: contract-valid events with t0 <= occurred_at < t1.
"""

from __future__ import annotations

from connectors.simulators.dossier import DossierSimulator
from connectors.simulators.feedback import FeedbackSimulator
from connectors.simulators.social import SocialSimulator

SIMULATORS: dict[str, type[DossierSimulator | FeedbackSimulator | SocialSimulator]] = {
    "dossier": DossierSimulator,
    "feedback": FeedbackSimulator,
    "social": SocialSimulator,
}


def make_simulator(stream: str, province_code: str = "25", seed: int = 20250701,
                   rate: float = 1.0) -> DossierSimulator | FeedbackSimulator | SocialSimulator:
    """The simulator of a stream name ("dossier", "feedback", "social")."""
    try:
        cls = SIMULATORS[stream]
    except KeyError:
        raise ValueError(f"unknown stream {stream!r}; known: {sorted(SIMULATORS)}") from None
    return cls(province_code, seed, rate)


__all__ = ["DossierSimulator", "FeedbackSimulator", "SocialSimulator", "SIMULATORS",
           "make_simulator"]
