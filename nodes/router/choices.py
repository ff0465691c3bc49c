"""A tapped reply button or list row: understood from its id alone, never from its title.

Ids are `lane:<name>` (a lane picked from the menu or the clarifying question) or
`<lane>:<action>[:<argument>]`; the lane's `LaneSpec.choices` maps the action to an intent
(anything else is `select`). An argument that is a catalog SKU becomes a product entity.
The reply language is the conversation's: a tapped title ("Caneca azul de cerâmica") says
nothing about the language the customer writes in (the caller detects it from the title
only when the conversation has no language yet).
"""

from __future__ import annotations

from graph.session.contract import Language
from graph.understanding import Entities, ProductMention, Understanding
from nodes.registry import LaneRegistry
from nodes.tenants import Catalog


def choice_understanding(
    choice_id: str | None,
    registry: LaneRegistry,
    *,
    language: Language,
    sticky_seconds: int,
    catalog: Catalog | None = None,
) -> Understanding | None:
    """The understanding of a tapped choice; None for an id no lane of `registry` owns."""
    if not choice_id:
        return None
    prefix, _, rest = choice_id.partition(":")
    lane = rest if prefix == "lane" else prefix
    if lane not in registry:
        return None
    action, _, argument = ("" if prefix == "lane" else rest).partition(":")
    intent = registry.get(lane).choices.get(action, "select")
    entities = Entities()
    if argument and catalog is not None and catalog.get(argument) is not None:
        entities = Entities(products=(ProductMention(sku=argument, text=choice_id),))
    return Understanding(
        lane=lane,
        intent=intent,
        confidence=1.0,
        language=language,
        entities=entities,
        method="choice",
        sticky_seconds=sticky_seconds,
    )
