"""The enrichment of one social post (sentiment, label, model version, topics, places, terms),
computed once at ingest and carried on the event as its optional `enrichment` object.

Pure per-post CPU work that needs no database state, so connectors do it before Kafka (the
runtime calls `enrich_event`) and the aggregator's transaction only copies it. The aggregator
still computes it itself (`compute`, the same function) for events without one, or with one of
another model version, so external producers and old events keep working.

Both sides compute on the redacted text: the runtime redacts before it enriches, and the
aggregator redacts what it decodes, so a post's enrichment does not depend on its path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

from ioc.social.places import places
from ioc.social.sentiment import label, model_version, score_many
from ioc.social.topics import OTHER, topics
from ioc.social.words import terms


class Enrichment(TypedDict):
    sentiment: float
    label: str
    model_version: str
    topic: str  # the primary topic ("khác" when none)
    topics: list[str]  # every matched topic, primary first
    places: list[str]  # 2025 ward codes the text names, in order of first mention
    terms: list[str]  # keyword terms (ioc.social.words.terms)


def body(title: str | None, text: str | None) -> str:
    """Title and text joined, as transitions.body_expr() does column-wise."""
    return f"{title or ''} {text or ''}"


def compute(texts: Sequence[str], provinces: Sequence[str | None]) -> list[Enrichment]:
    """The enrichment of each (body text, province) pair; the classifier scores them in one
    call, the rules and the segmenter run once per text."""
    version = model_version()
    out: list[Enrichment] = []
    for text, province, sentiment in zip(texts, provinces, score_many(texts), strict=True):
        found = topics(text)
        out.append(Enrichment(
            sentiment=sentiment, label=label(sentiment), model_version=version,
            topic=found[0] if found else OTHER, topics=found,
            places=places(text, province) if province else [], terms=terms(text)))
    return out


def enrich_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its `enrichment` object (replacing any the producer sent)."""
    text = body(event.get("title"), event.get("text"))
    (enrichment,) = compute([text], [event.get("province_code")])
    return {**event, "enrichment": dict(enrichment)}
