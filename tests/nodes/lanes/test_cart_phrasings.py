"""Cart conversations on phrasings the entity dev set showed were misread, in English,
Spanish and Portuguese: a multiplier count ("x2"), "the number 2" after a list, a price in
the question ("under $20") and "not now" to an offer."""

from __future__ import annotations

from typing import Any

import pytest
from graph_support import Conversation, context, scripted_router, texts

from graph.messages import ListMessage

YES = {"en": "yes", "es": "sí", "pt": "sim"}


def shop(*messages: str) -> Conversation:
    """The classifier reads `messages` as commerce; intents and entities come from the real
    understanding step."""
    return Conversation(context(scripted_router({m: ("commerce", 0.95) for m in messages})))


def cart(result: dict[str, Any]) -> dict[str, int]:
    return {line["sku"]: line["quantity"] for line in result["session"]["commerce"]["cart"]}


@pytest.mark.parametrize(
    "text",
    ["add blue mug x2 to my cart", "agrega taza azul x2 al carrito",
     "adiciona caneca azul x2 no carrinho"],
)  # fmt: skip
async def test_a_multiplier_adds_that_many(text: str) -> None:
    result = await shop(text).send(text)
    assert cart(result) == {"MUG-BLUE": 2}
    assert "2 ×" in texts(result)


@pytest.mark.parametrize(
    ("browse", "pick", "name"),
    [("what do you sell?", "the number 2", "Red ceramic mug"),
     ("¿qué productos venden?", "la número 2", "Taza roja de cerámica"),
     ("o que vocês vendem?", "a número 2", "Caneca vermelha de cerâmica")],
)  # fmt: skip
async def test_the_number_n_after_a_list_is_that_product(browse: str, pick: str, name: str) -> None:
    chat = shop(browse)
    listed = await chat.send(browse)
    assert isinstance(listed["outbound"][0], ListMessage)
    detail = await chat.send(pick)
    assert texts(detail).startswith(f"{name}: USD 12.00")


@pytest.mark.parametrize(
    ("lang", "ask", "not_now"),
    [("en", "how much is the french press?", "not now, thanks"),
     ("es", "¿cuánto cuesta la prensa francesa?", "ahora no, gracias"),
     ("pt", "quanto custa a prensa francesa?", "agora não, obrigado")],
)  # fmt: skip
async def test_not_now_declines_the_offer(lang: str, ask: str, not_now: str) -> None:
    chat = shop(ask)
    await chat.send(ask)
    declined = await chat.send(not_now)
    assert declined["understanding"].intent == "deny"
    assert cart(declined) == {}
    later = await chat.send(YES[lang])
    assert cart(later) == {}


@pytest.mark.parametrize(
    "ask",
    ["do you have a french press under $40?", "¿tienen prensa francesa por menos de 40 dólares?",
     "tem prensa francesa por menos de 40 reais?"],
)  # fmt: skip
async def test_a_price_in_the_question_is_not_the_quantity_offered(ask: str) -> None:
    offer = await shop(ask).send(ask)
    assert "40 ×" not in texts(offer)
    assert all(m.quantity is None for m in offer["understanding"].entities.products)
