"""What the router knows about a message besides the classifier's view of it."""

from __future__ import annotations

from dataclasses import dataclass

from graph.session.contract import Language
from graph.understanding import Entities
from nodes.registry import LaneSpec
from nodes.router.intents import faq_intent, product_intent, refine, vocabulary_intent
from nodes.tenants import TenantProfile


@dataclass(frozen=True)
class Reading:
    text: str
    language: Language
    entities: Entities
    profile: TenantProfile | None = None
    """The tenant's profile (its FAQ keywords name FAQ intents); None outside a conversation."""
    sticky_lane: str | None = None
    """The lane holding the conversation, when its stickiness is still active."""


def specific_intent(reading: Reading, spec: LaneSpec, llm_intent: str | None) -> str | None:
    """An intent of `spec` the message names outright (LLM, vocabulary or FAQ), else None.

    Used for the lane stickiness kept: the message stays there only when it says something
    that lane answers; otherwise its intent is the other lane's, and the lane hands it on.
    """
    intent = (
        (llm_intent if llm_intent in spec.intents else None)
        or vocabulary_intent(reading.text, spec, social=False)
        or product_intent(spec, reading.entities)
        or faq_intent(reading.text, spec, reading.profile)
        or vocabulary_intent(reading.text, spec, social=True)
    )
    return refine(intent, spec, reading.entities) if intent else None
