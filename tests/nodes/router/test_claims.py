"""Whole-message claims and one-emoji replies: only what the whole message says."""

from __future__ import annotations

import pytest

from graph.understanding import Entities
from nodes.registry import default_registry
from nodes.router.acts import dialogue_act
from nodes.router.claims import claimed


@pytest.mark.parametrize(
    ("text", "intent"),
    [("bye", "goodbye"), ("ok bye!", "goodbye"), ("gracias, hasta luego", "goodbye"),
     ("I'm back", "small_talk"), ("voltei", "small_talk"),
     ("hola, ¿qué puedes hacer?", "capabilities"), ("Ajuda", "capabilities")],
)  # fmt: skip
def test_a_message_that_is_only_the_phrase_is_claimed(text: str, intent: str) -> None:
    assert claimed(text, default_registry()) == ("info", intent)


@pytest.mark.parametrize(
    "text",
    ["I need help with my order", "necesito ayuda con mi pedido", "bye, my order is late",
     "hi", "thanks", "preciso de ajuda para trocar o pedido"],
)  # fmt: skip
def test_a_message_that_says_more_is_left_to_the_classifier(text: str) -> None:
    assert claimed(text, default_registry()) is None


@pytest.mark.parametrize(
    ("text", "act"), [("👍", "affirm"), ("👍🏻", "affirm"), ("🙏", "affirm"), ("💩", None),
                      ("😡", None), ("ok, thanks", "thanks"), ("yes, thanks", "affirm")],
)  # fmt: skip
def test_only_a_friendly_emoji_alone_is_a_yes(text: str, act: str | None) -> None:
    assert dialogue_act(text, Entities()) == act
