"""The lane registry: the one list of lanes that the router, the graph and the menus read.

Adding a lane = one module with a handler table (`nodes.lanes.dispatch.Handlers`) and one
`LaneSpec` here (or in a registry you pass to `build_graph(registry=...)`). From the spec
alone the graph adds the lane's node and edges, the understanding step learns its intents,
words and button ids, the LLM prompt lists its description and intents, and the menu and
the clarifying question offer it. Nothing else needs an edit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from graph.session.contract import Language
from nodes.text import has_phrase

if TYPE_CHECKING:
    from nodes.lanes.dispatch import Handlers

Vocabulary = Mapping[str, tuple[str, ...]]
"""Intent -> folded phrases (whole words) that name it; checked in order, first match wins."""

Phrasebook = Vocabulary | Sequence[tuple[str, tuple[str, ...]]]
"""A `Vocabulary`, or (intent, phrases) pairs in the order they are checked, where an intent
may come twice: "see my cart" before the add verbs ("I want to see my cart"), the bare
"cart" after them ("add 2 mugs to my cart")."""


def entries(book: Phrasebook) -> Iterable[tuple[str, tuple[str, ...]]]:
    """A phrasebook's (intent, phrases) pairs, in checking order."""
    return book.items() if isinstance(book, Mapping) else book


@dataclass(frozen=True)
class LaneSpec:
    """One lane: what it answers (intents), how (handlers) and how it is offered to customers."""

    name: str
    handlers: Handlers
    """Intent -> handler; the lane's node dispatches `state.understanding.intent` through it."""
    description: str
    """One or two sentences for the LLM prompt."""
    labels: Mapping[Language, str]
    """Button title per language (clarifying question, menu); at most 20 characters."""
    intents: Mapping[str, str] = field(default_factory=dict)
    """The lane's taxonomy: intent name -> what it means (see `nodes/taxonomy.py`)."""
    default_intent: str | None = None
    """The intent when the lane is chosen but nothing more specific is known."""
    handoffs: Mapping[str, str] = field(default_factory=dict)
    """Intent -> lane that answers it instead, when the conversation's stickiness kept this
    lane for a message about something else ("I want to buy the mug" while in info)."""
    vocabulary: Phrasebook = field(default_factory=dict)
    """The lane's words, in one place: intent -> phrases that name it (checked in order)."""
    choices: Mapping[str, str] = field(default_factory=dict)
    """Button/list ids `<lane>:<action>[:<argument>]`: action -> intent (else `select`)."""
    offer: Mapping[Language, str] = field(default_factory=dict)
    """How the menu describes the lane ("hours, locations and FAQs"), per language."""
    examples: Mapping[Language, tuple[str, ...]] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()
    """Folded phrases that send a message straight here (whole words), e.g. "reservation"."""
    claims: Vocabulary = field(default_factory=dict)
    """Intent -> whole messages that mean it whatever the classifier says ("bye", "I'm back",
    "what can you do?"); greetings and politeness around them are ignored
    (`nodes.router.claims`). For short messages with one clear meaning the model misreads."""

    def label(self, language: Language) -> str:
        return self.labels.get(language) or self.labels.get("en") or self.name

    def offer_text(self, language: Language) -> str:
        return self.offer.get(language) or self.offer.get("en") or self.label(language).lower()

    def matches_keywords(self, text: str) -> bool:
        return bool(self.keywords) and has_phrase(text, self.keywords)

    @property
    def fallback_intent(self) -> str:
        return self.default_intent or next(iter(self.intents), self.name)


def pass_to(lane: str, intents: Iterable[str]) -> Mapping[str, str]:
    """Handoff rules: every intent of `intents` goes to `lane` (`handoffs=pass_to(...)`)."""
    return MappingProxyType(dict.fromkeys(intents, lane))


class LaneRegistry:
    """An ordered, immutable set of lanes; menus offer them in this order."""

    def __init__(self, specs: Iterable[LaneSpec]):
        self._specs = {spec.name: spec for spec in specs}
        if not self._specs:
            raise ValueError("a registry needs at least one lane")

    def __iter__(self) -> Iterator[LaneSpec]:
        return iter(self._specs.values())

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __len__(self) -> int:
        return len(self._specs)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._specs)

    def get(self, name: str) -> LaneSpec:
        return self._specs[name]

    def lane_of_intent(self, intent: str) -> str | None:
        """The lane whose taxonomy lists `intent` (None for a dialogue act or unknown name)."""
        return next((spec.name for spec in self if intent in spec.intents), None)

    def with_lane(self, spec: LaneSpec) -> LaneRegistry:
        """A new registry with `spec` added (or replacing the lane of the same name)."""
        return LaneRegistry([*(s for s in self if s.name != spec.name), spec])


def default_registry() -> LaneRegistry:
    """The shipped lanes: info, commerce, support (imported here to avoid import cycles)."""
    from nodes.lanes import commerce, info, support

    return LaneRegistry([info.SPEC, commerce.SPEC, support.SPEC])
