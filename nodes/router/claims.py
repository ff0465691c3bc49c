"""Whole-message claims: a short message that is nothing but "bye", "I'm back" or "what can
you do?" means exactly that, whatever the classifier reads into it.

Lanes list such messages per intent (`LaneSpec.claims`). A message matches when, after
dropping greetings, politeness and acknowledgements at either end ("ok bye", "thanks, bye",
"hola, ¿qué puedes hacer?"), what is left is one of the phrases. Anything more ("I need
help with my order") is left to the classifier: a claim never takes a message that says
something else too.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from nodes.registry import LaneRegistry, LaneSpec
from nodes.text import tokens

EDGE_WORDS = frozenset(
    """
    hi hello hey ok okay okey oki so well um hmm please pls plz thanks thx ty
    hola buenas bueno pues porfa gracias vale oye
    oi ola opa ei entao obrigado obrigada valeu
    """.split()  # noqa: SIM905
)
"""Said around a message without changing what it asks ("ok bye", "oi, você é um robô?")."""


def core(text: str) -> str:
    """The message's words without greetings and politeness at either end, space-joined."""
    words = tokens(text)
    while words and words[0] in EDGE_WORDS:
        words = words[1:]
    while words and words[-1] in EDGE_WORDS:
        words = words[:-1]
    return " ".join(words)


def cores(text: str) -> list[str]:
    """Every reading of the message with some of the edge words around it dropped, longest
    first: "ok, buenas noches" -> "ok buenas noches", "buenas noches", "noches" (an edge word
    can also start a phrase: "buenas" greets alone and in "buenas noches")."""
    words = tokens(text)
    starts = [i for i in range(len(words) + 1) if all(w in EDGE_WORDS for w in words[:i])]
    ends = [j for j in range(len(words) + 1) if all(w in EDGE_WORDS for w in words[j:])]
    spans = [(i, j) for i in starts for j in ends if i < j]
    return [" ".join(words[i:j]) for i, j in sorted(spans, key=lambda s: s[0] - s[1])]


def whole_message_is(text: str, phrases: tuple[str, ...]) -> bool:
    """The message is one of `phrases`, politeness and greetings around it aside."""
    normalized = _normalized(phrases)
    return any(words in normalized for words in cores(text))


@lru_cache(maxsize=64)
def _normalized(phrases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(" ".join(tokens(phrase)) for phrase in phrases)


def claimed(text: str, lanes: Iterable[LaneSpec] | LaneRegistry) -> tuple[str, str] | None:
    """(lane, intent) of the first lane claiming the whole of `text`; None when none does."""
    readings = cores(text)
    for spec in lanes:
        for intent, phrases in spec.claims.items():
            normalized = _normalized(phrases)
            if any(words in normalized for words in readings):
                return spec.name, intent
    return None
