"""Ingest-time enrichment: every social event a connector produces carries its `enrichment`
(ioc.social.enrichment), so the aggregator's transaction copies it instead of computing it.

One function for the runtime's send path and for anything producing simulator events outside
it (the benchmark). Enrichment is an optimisation, never a reason to lose a post: if it fails,
the event goes without one and the aggregator enriches it (or dead-letters it as poison).
"""

from __future__ import annotations

import logging
from typing import Any

from ioc.events.contracts import SOCIAL, Contract

log = logging.getLogger(__name__)


def with_enrichment(contract: Contract, event: dict[str, Any]) -> dict[str, Any]:
    """The (validated, redacted) event with its enrichment when it is a social post."""
    if contract.stream != SOCIAL:
        return event
    # Imported on the first social post, not with the runtime: the enrichment's imports
    # (underthesea, the admin-unit parser) cost about 2 s, which every connector process that
    # sends no post (dossiers, feedback, an `ioc ingest` of them) would pay for nothing.
    # Python's module cache makes it once per process; the model loads once (lru_cache).
    from ioc.social.enrichment import enrich_event

    try:
        return enrich_event(event)
    except Exception as exc:  # noqa: BLE001 - the aggregator enriches what we could not
        # The type only: a message may quote the post's text.
        log.warning("enrichment of a social post failed (%s); sent without",
                    type(exc).__name__)
        return {k: v for k, v in event.items() if k != "enrichment"}
