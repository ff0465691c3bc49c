"""A thanks, a goodbye or an acknowledgement stays in the lane holding the conversation, in
EN/ES/PT, through the graph.

The classifier is scripted to read these replies the way the trained model did when they
switched the conversation to info ("oh nice" as thanks, "no, that's all" as a goodbye, "ah que
bom" as small talk, "bye" claimed by info): the lane must not depend on that reading. A
greeting, a "how are you?" and a real change of topic still go to info.
"""

from __future__ import annotations

from typing import Any

import pytest
from desk_support import MemoryDesk
from graph_support import Conversation, Reading, context, scripted_router, texts

from nodes.i18n import TEXTS

LANGS = ["en", "es", "pt"]


def chat(table: dict[str, Reading], **kwargs: Any) -> Conversation:
    return Conversation(context(scripted_router(table), **kwargs))


def said(key: str, lang: str) -> str:
    """The first words of a sentence of `nodes/i18n.py` (before any placeholder)."""
    return TEXTS[key][lang].split("{")[0]  # type: ignore[index]


def lane_and_intent(result: dict[str, Any]) -> tuple[str, str]:
    return result["understanding"].lane, result["understanding"].intent


def cart(result: dict[str, Any]) -> dict[str, int]:
    return {line["sku"]: line["quantity"] for line in result["session"]["commerce"]["cart"]}


PRICE = {"en": "how much is the blue mug?", "es": "¿cuánto cuesta la taza azul?",
         "pt": "quanto custa a caneca azul?"}  # fmt: skip
PROBLEM = {"en": "my order arrived broken", "es": "mi pedido llegó roto",
           "pt": "meu pedido chegou quebrado"}  # fmt: skip
BYE = {"en": "ok bye", "es": "chao", "pt": "tchau"}
THANKS = {"en": "thank you so much", "es": "mil gracias", "pt": "muito obrigada"}


@pytest.mark.parametrize("lang", LANGS)
async def test_a_goodbye_after_shopping_is_said_by_the_shop(lang: str) -> None:
    conversation = chat({PRICE[lang]: ("commerce", 0.95), BYE[lang]: ("info", 0.99, "goodbye")})
    await conversation.send(PRICE[lang])
    result = await conversation.send(BYE[lang])
    assert lane_and_intent(result) == ("commerce", "goodbye")
    assert result["lane"] == "commerce" and result["handoffs"] == []
    assert texts(result).startswith(said("goodbye", lang)), texts(result)


@pytest.mark.parametrize("lang", LANGS)
async def test_thanks_after_a_problem_stays_with_support(lang: str) -> None:
    table = {PROBLEM[lang]: ("support", 0.95), THANKS[lang]: ("info", 0.99, "thanks")}
    conversation = chat(table, desk=MemoryDesk())
    await conversation.send(PROBLEM[lang])
    result = await conversation.send(THANKS[lang])
    assert lane_and_intent(result) == ("support", "thanks")
    assert texts(result) == TEXTS["thanks"][lang]


NICE = {"en": "oh nice", "es": "ah buenísimo", "pt": "ah que bom"}


@pytest.mark.parametrize("lang", LANGS)
async def test_an_acknowledgement_read_as_small_talk_stays_in_the_lane(lang: str) -> None:
    table: dict[str, Reading] = {
        PROBLEM[lang]: ("support", 0.95),
        NICE[lang]: ("info", 0.99, "small_talk"),
    }
    conversation = chat(table, desk=MemoryDesk())
    opened = await conversation.send(PROBLEM[lang])
    result = await conversation.send(NICE[lang])
    assert lane_and_intent(result) == ("support", "thanks")
    assert (
        result["session"]["support"]["open_tickets"] == opened["session"]["support"]["open_tickets"]
    )


HMM = {"en": "hmm", "es": "jaja", "pt": "kkkk"}


@pytest.mark.parametrize("lang", LANGS)
async def test_a_reaction_read_as_small_talk_is_no_yes_to_the_offer(lang: str) -> None:
    conversation = chat({PRICE[lang]: ("commerce", 0.95), HMM[lang]: ("info", 0.99, "small_talk")})
    await conversation.send(PRICE[lang])
    result = await conversation.send(HMM[lang])
    assert lane_and_intent(result) == ("commerce", "thanks")
    assert cart(result) == {}  # the offer to add the mug is not taken


ALL_GOOD = {"en": "all good", "es": "todo bien", "pt": "tudo bem"}


@pytest.mark.parametrize("lang", LANGS)
async def test_tudo_bem_mid_conversation_acknowledges_and_asks_after_a_greeting(
    lang: str,
) -> None:
    text = ALL_GOOD[lang]
    conversation = chat({PRICE[lang]: ("commerce", 0.95), text: ("info", 0.99, "small_talk")})
    await conversation.send(PRICE[lang])
    acknowledged = await conversation.send(text)
    assert acknowledged["understanding"].lane == "commerce"
    assert acknowledged["understanding"].intent in {"affirm", "thanks"}
    greeted = chat({"hi": ("info", 0.99, "greeting"), f"{text}?": ("info", 0.99, "small_talk")})
    await greeted.send("hi")
    asked = await greeted.send(f"{text}?")
    assert lane_and_intent(asked) == ("info", "small_talk")


HOW_ARE_YOU = {"en": "how are you?", "es": "¿cómo estás?", "pt": "como vai você?"}
HELLO = {"en": "hello", "es": "holaaa", "pt": "oiee"}
HOURS = {"en": "what time do you close today?", "es": "¿a qué hora cierran hoy?",
         "pt": "que horas vocês fecham hoje?"}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
async def test_a_greeting_a_how_are_you_and_a_new_topic_still_leave_the_lane(lang: str) -> None:
    table: dict[str, Reading] = {
        PRICE[lang]: ("commerce", 0.95),
        HOW_ARE_YOU[lang]: ("info", 0.99, "small_talk"),
        HELLO[lang]: ("info", 0.99, "greeting"),
        HOURS[lang]: ("info", 0.99, "hours"),
    }
    for text, intent in ((HOW_ARE_YOU[lang], "small_talk"), (HELLO[lang], "greeting"),
                         (HOURS[lang], "hours_on_day")):  # fmt: skip
        conversation = chat(table)
        await conversation.send(PRICE[lang])
        result = await conversation.send(text)
        assert lane_and_intent(result) == ("info", intent), text


YES_ORDER = {"en": "yes, for order 1234", "es": "sí, del pedido 1234", "pt": "sim, do pedido 1234"}
YES_PLEASE = {"en": "yes please", "es": "sí por favor", "pt": "sim por favor"}


@pytest.mark.parametrize("lang", LANGS)
async def test_a_yes_with_the_order_number_goes_with_the_problem(lang: str) -> None:
    desk = MemoryDesk()
    # the classifier reads the number as an order-status question, the polite yes as thanks
    table: dict[str, Reading] = {
        PROBLEM[lang]: ("support", 0.95),
        YES_ORDER[lang]: ("commerce", 0.95, "order_status"),
        YES_PLEASE[lang]: ("info", 0.9, "thanks"),
    }
    conversation = chat(table, desk=desk)
    opened = await conversation.send(PROBLEM[lang])
    number = opened["session"]["support"]["open_tickets"][0]["number"]
    given = await conversation.send(YES_ORDER[lang])
    assert lane_and_intent(given) == ("support", "provide_info")
    assert desk.attached[number] == [YES_ORDER[lang]]
    other = chat(table, desk=MemoryDesk())
    await other.send(PROBLEM[lang])
    accepted = await other.send(YES_PLEASE[lang])  # to "Would you like to talk to a person?"
    assert lane_and_intent(accepted) == ("support", "human_request")
