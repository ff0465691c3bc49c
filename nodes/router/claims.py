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


@lru_cache(maxsize=64)
def _normalized(phrases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(" ".join(tokens(phrase)) for phrase in phrases)


def claimed(text: str, lanes: Iterable[LaneSpec] | LaneRegistry) -> tuple[str, str] | None:
    """(lane, intent) of the first lane claiming the whole of `text`; None when none does."""
    words = core(text)
    if not words:
        return None
    for spec in lanes:
        for intent, phrases in spec.claims.items():
            if words in _normalized(phrases):
                return spec.name, intent
    return None
