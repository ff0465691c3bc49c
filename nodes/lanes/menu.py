"""The menu and the clarifying question, built from the registry.

Both offer every registered lane: as reply buttons while there are at most three lanes
(WhatsApp's limit), as an interactive list beyond that. A tapped option has the id
`lane:<name>` and routes straight to that lane. A lane added to the registry shows up in
both with no edit here.
"""

from __future__ import annotations

from collections.abc import Iterable

from graph.messages import Button, ButtonsMessage, ListMessage, ListRow, ListSection
from graph.session.contract import Language
from nodes.i18n import say
from nodes.registry import LaneRegistry, LaneSpec

MAX_BUTTONS = 3
MAX_BUTTON_TITLE, MAX_ROW_TITLE, MAX_ROW_DESCRIPTION = 20, 24, 72
Offer = ButtonsMessage | ListMessage


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def lane_choice_id(lane: str) -> str:
    return f"lane:{lane}"


def joined(items: list[str], language: Language) -> str:
    """ "a, b or c" in the customer's language."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {say('word.or', language)} {items[-1]}"


def lane_options(specs: Iterable[LaneSpec], language: Language, body: str) -> Offer:
    """The lanes as reply buttons (up to three) or list rows (more), ids `lane:<name>`."""
    specs = list(specs)
    if len(specs) <= MAX_BUTTONS:
        buttons = tuple(
            Button(id=lane_choice_id(s.name), title=_clip(s.label(language), MAX_BUTTON_TITLE))
            for s in specs
        )
        return ButtonsMessage(body=body, buttons=buttons)
    rows = tuple(
        ListRow(
            id=lane_choice_id(s.name),
            title=_clip(s.label(language), MAX_ROW_TITLE),
            description=_clip(s.offer_text(language), MAX_ROW_DESCRIPTION),
        )
        for s in specs[:10]
    )
    section = ListSection(title=_clip(say("menu.section", language), MAX_ROW_TITLE), rows=rows)
    button = _clip(say("menu.button", language), MAX_BUTTON_TITLE)
    return ListMessage(body=body, button=button, sections=(section,))


def offers(registry: LaneRegistry, language: Language, exclude: Iterable[str] = ()) -> str:
    """What the lanes can do, as one phrase: "information (...), shopping or a problem"."""
    skipped = set(exclude)
    return joined([s.offer_text(language) for s in registry if s.name not in skipped], language)


def menu(registry: LaneRegistry, language: Language) -> Offer:
    """The "what can I do for you" message, used when nothing else fits."""
    body = say("menu", language, offers=offers(registry, language))
    return lane_options(registry, language, body)


def clarifying_question(registry: LaneRegistry, language: Language) -> Offer:
    """One short question with every lane as an option, when the router is not sure."""
    body = say("clarify", language, offers=offers(registry, language))
    return lane_options(registry, language, body)


def other_lanes(registry: LaneRegistry, language: Language, body: str, current: str) -> Offer:
    """`body` with the other lanes as options ("I can't answer that; I can help with ...")."""
    return lane_options((s for s in registry if s.name != current), language, body)
