"""The cart through the graph, in English, Spanish and Portuguese: add (with quantities in
digits and words, from text, a list row or a button), remove, change quantity, empty, view
with line totals in the tenant's money format, negation, stock limits, product questions,
references to what was shown, and the cart's lifetime."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from graph_support import Conversation, context, scripted_router, texts

from graph.messages import ButtonsMessage, ListMessage
from nodes.tenants import DEFAULT_TENANTS_DIR

YES = {"en": "yes", "es": "sí", "pt": "sim"}


def shop(*messages: str, lane: str = "commerce", **kwargs: Any) -> Conversation:
    """A conversation whose classifier reads `messages` as `lane` (the intent and entities
    come from the real understanding step: vocabulary, catalog, negation, quantities)."""
    return Conversation(context(scripted_router({m: (lane, 0.95) for m in messages}), **kwargs))


def cart(result: dict[str, Any]) -> dict[str, int]:
    return {line["sku"]: line["quantity"] for line in result["session"]["commerce"]["cart"]}


@pytest.mark.parametrize(
    ("text", "sku", "quantity"),
    [
        ("add 2 french presses to my cart", "FRENCH-PRESS", 2),
        ("add two blue mugs to the cart", "MUG-BLUE", 2),
        ("put a couple of french presses in my basket", "FRENCH-PRESS", 2),
        ("agrega 2 tazas azules al carrito", "MUG-BLUE", 2),
        ("agrega dos prensas francesas al carrito", "FRENCH-PRESS", 2),
        ("adiciona a sacola ao carrinho", "TOTE-BAG", 1),
        ("coloca dois cafés no carrinho", "COFFEE-250", 2),
        ("adiciona duas canecas azuis", "MUG-BLUE", 2),
    ],
)
async def test_an_add_naming_the_cart_adds_instead_of_showing_the_cart(
    text: str, sku: str, quantity: int
) -> None:
    result = await shop(text).send(text)
    assert result["understanding"].intent == "add_to_cart"
    assert cart(result) == {sku: quantity}
    assert f"{quantity} ×" in texts(result)


@pytest.mark.parametrize(
    ("lang", "ask", "added"),
    [
        ("en", "I'd like 3 bags of coffee beans", "Added 3 × House coffee beans 250 g"),
        ("es", "¿tienen 3 bolsas de café?", "Agregué 3 × Café de la casa 250 g"),
        ("pt", "vocês têm 3 pacotes de café?", "Adicionei 3 × Café da casa 250 g"),
    ],
)
async def test_yes_to_the_offer_adds_the_quantity_asked_for(
    lang: str, ask: str, added: str
) -> None:
    chat = shop(ask)
    offer = await chat.send(ask)
    assert offer["understanding"].intent == "product_question"
    assert "3" in texts(offer) and cart(offer) == {}
    result = await chat.send(YES[lang])
    assert added in texts(result)
    assert cart(result) == {"COFFEE-250": 3}


@pytest.mark.parametrize(
    ("lang", "title", "added"),
    [("en", "French press 600 ml", "Added 1 × French press 600 ml"),
     ("es", "Prensa francesa 600 ml", "Agregué 1 × Prensa francesa 600 ml"),
     ("pt", "Prensa francesa 600 ml", "Adicionei 1 × Prensa francesa 600 ml")],
)  # fmt: skip
async def test_a_list_row_then_the_add_button_add_in_the_conversations_language(
    lang: str, title: str, added: str
) -> None:
    opening = {
        "en": "what do you sell?",
        "es": "¿qué productos venden?",
        "pt": "o que vocês vendem?",
    }
    chat = shop(opening[lang])
    await chat.send(opening[lang])
    detail = await chat.send(title, choice_id="commerce:sku:FRENCH-PRESS")
    assert isinstance(detail["outbound"][0], ButtonsMessage)
    result = await chat.send("Add", choice_id="commerce:add:FRENCH-PRESS")
    assert added in texts(result)
    assert cart(result) == {"FRENCH-PRESS": 1}


@pytest.mark.parametrize(
    ("add", "remove", "removed"),
    [
        ("add a blue mug and 2 coffees", "remove the mug from my cart",
         "Removed Blue ceramic mug from your cart."),
        ("agrega una taza azul y 2 cafés", "quita la taza del carrito",
         "Quité Taza azul de cerámica de tu carrito."),
        ("adiciona uma caneca azul e 2 cafés", "tira a caneca do carrinho",
         "Tirei Caneca azul de cerâmica do seu carrinho."),
    ],
)  # fmt: skip
async def test_remove_takes_the_named_line_out(add: str, remove: str, removed: str) -> None:
    chat = shop(add, remove)
    assert cart(await chat.send(add)) == {"MUG-BLUE": 1, "COFFEE-250": 2}
    result = await chat.send(remove)
    assert result["understanding"].intent == "remove_from_cart"
    assert removed in texts(result)
    assert cart(result) == {"COFFEE-250": 2}


@pytest.mark.parametrize(
    ("add", "change", "done"),
    [
        ("add 2 coffees", "make it 4", "Done: 4 × House coffee beans 250 g in your cart."),
        ("agrega 2 cafés", "cambia la cantidad a 4",
         "Listo: 4 × Café de la casa 250 g en tu carrito."),
        ("adiciona 2 cafés", "muda para 4", "Pronto: 4 × Café da casa 250 g no seu carrinho."),
    ],
)  # fmt: skip
async def test_change_quantity_sets_the_line(add: str, change: str, done: str) -> None:
    chat = shop(add, change)
    await chat.send(add)
    result = await chat.send(change)
    assert result["understanding"].intent == "change_quantity"
    assert done in texts(result)
    assert cart(result) == {"COFFEE-250": 4}


async def test_change_quantity_of_a_named_line_and_how_many_when_no_number() -> None:
    chat = shop("add a blue mug and 2 coffees", "change the mugs to 3", "change the coffee")
    await chat.send("add a blue mug and 2 coffees")
    assert cart(await chat.send("change the mugs to 3")) == {"MUG-BLUE": 3, "COFFEE-250": 2}
    asked = await chat.send("change the coffee")
    assert "How many House coffee beans 250 g" in texts(asked)
    result = await chat.send("5")
    assert cart(result) == {"MUG-BLUE": 3, "COFFEE-250": 5}


@pytest.mark.parametrize(
    ("add", "empty", "emptied"),
    [("add 2 coffees", "empty my cart", "Done, I emptied your cart."),
     ("agrega 2 cafés", "vacía el carrito", "Listo, vacié tu carrito."),
     ("adiciona 2 cafés", "esvazia o carrinho", "Pronto, esvaziei seu carrinho.")],
)  # fmt: skip
async def test_empty_the_cart(add: str, empty: str, emptied: str) -> None:
    chat = shop(add, empty)
    await chat.send(add)
    result = await chat.send(empty)
    assert result["understanding"].intent == "empty_cart"
    assert texts(result) == emptied and cart(result) == {}


def tenant(tmp_path: Path, currency: str, locale: str) -> str:
    """The demo shop selling in `currency`, writing money the `locale` way."""
    profile = yaml.safe_load((DEFAULT_TENANTS_DIR / "demo.yaml").read_text())
    profile["commerce"] |= {"currency": currency, "locale": locale}
    catalog = yaml.safe_load((DEFAULT_TENANTS_DIR / profile["catalog"]).read_text())
    catalog["currency"] = currency
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump(profile))
    (tmp_path / profile["catalog"]).write_text(yaml.safe_dump(catalog))
    return str(tmp_path)


@pytest.mark.parametrize(
    ("currency", "locale", "add", "view", "expected"),
    [
        ("USD", "en-US", "add 2 blue mugs and a french press", "show my cart",
         ["• 2 × Blue ceramic mug (USD 12.00 each): USD 24.00",
          "• 1 × French press 600 ml (USD 29.00 each): USD 29.00", "Total: USD 53.00"]),
        ("EUR", "es-ES", "agrega 2 tazas azules y una prensa francesa", "ver mi carrito",
         ["• 2 × Taza azul de cerámica (12,00 € c/u): 24,00 €",
          "• 1 × Prensa francesa 600 ml (29,00 € c/u): 29,00 €", "Total: 53,00 €"]),
        ("BRL", "pt-BR", "adiciona 2 canecas azuis e uma prensa francesa", "meu carrinho",
         ["• 2 × Caneca azul de cerâmica (R$ 12,00 cada): R$ 24,00",
          "• 1 × Prensa francesa 600 ml (R$ 29,00 cada): R$ 29,00", "Total: R$ 53,00"]),
    ],
)  # fmt: skip
async def test_the_cart_shows_line_totals_and_the_total_in_the_tenants_money(
    tmp_path: Path, currency: str, locale: str, add: str, view: str, expected: list[str]
) -> None:
    chat = shop(add, view, tenants_dir=tenant(tmp_path, currency, locale))
    await chat.send(add)
    result = await chat.send(view)
    assert result["understanding"].intent == "view_cart"
    assert result["outbound"][0].body.splitlines()[1:] == expected


@pytest.mark.parametrize(
    ("lang", "text", "said"),
    [("en", "I don't want the blue mug", "Okay, I won't add Blue ceramic mug."),
     ("es", "no quiero la taza azul", "De acuerdo, no agrego Taza azul de cerámica."),
     ("pt", "não quero a caneca azul", "Tudo bem, não vou adicionar Caneca azul de cerâmica.")],
)  # fmt: skip
async def test_a_negated_request_adds_nothing(lang: str, text: str, said: str) -> None:
    result = await shop(text).send(text)
    assert result["understanding"].entities.negated
    assert texts(result) == said and cart(result) == {}


@pytest.mark.parametrize(
    ("lang", "add", "negated", "remove"),
    [("en", "add a blue mug", "I don't want the blue mug", "Remove it"),
     ("es", "agrega una taza azul", "no quiero la taza azul", "Quitarlo"),
     ("pt", "adiciona uma caneca azul", "não quero a caneca azul", "Tirar")],
)  # fmt: skip
async def test_a_negated_request_for_a_product_in_the_cart_offers_to_take_it_out(
    lang: str, add: str, negated: str, remove: str
) -> None:
    chat = shop(add, negated)
    await chat.send(add)
    result = await chat.send(negated)
    assert cart(result) == {"MUG-BLUE": 1}
    [message] = result["outbound"]
    assert isinstance(message, ButtonsMessage) and message.buttons[0].title == remove
    removed = await chat.send(remove, choice_id=message.buttons[0].id)
    assert cart(removed) == {}


@pytest.mark.parametrize(
    ("lang", "ask", "not_that"),
    [("en", "how much is the french press?", "not that one"),
     ("es", "¿cuánto cuesta la prensa francesa?", "esa no"),
     ("pt", "quanto custa a prensa francesa?", "essa não")],
)  # fmt: skip
async def test_not_that_one_withdraws_the_offer(lang: str, ask: str, not_that: str) -> None:
    chat = shop(ask)
    await chat.send(ask)
    declined = await chat.send(not_that)
    assert declined["understanding"].intent == "deny"
    later = await chat.send(YES[lang])
    assert cart(later) == {}


@pytest.mark.parametrize(
    ("text", "said", "full"),
    [("add 9 french presses", "Only 5 of French press 600 ml left, so I added 5.",
      "You already have all 5 French press 600 ml we have in your cart; I couldn't add more."),
     ("agrega 9 prensas francesas", "Solo quedan 5 de Prensa francesa 600 ml, así que agregué 5.",
      "Ya tienes en tu carrito las 5 unidades de Prensa francesa 600 ml que nos quedan"),
     ("adiciona 9 prensas francesas", "Só restam 5 de Prensa francesa 600 ml, então adicionei 5.",
      "Você já tem no carrinho as 5 unidades de Prensa francesa 600 ml que temos")],
)  # fmt: skip
async def test_stock_limits_are_explained(text: str, said: str, full: str) -> None:
    chat = shop(text)
    result = await chat.send(text)
    assert said in texts(result) and cart(result) == {"FRENCH-PRESS": 5}
    again = await chat.send(text)
    assert full in texts(again) and cart(again) == {"FRENCH-PRESS": 5}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Do you have coffee?",
      "House coffee beans 250 g: USD 9.50. Medium roast from Minas Gerais. 40 in stock."),
     ("¿tienen café?",
      "Café de la casa 250 g: USD 9.50. Tostado medio de Minas Gerais. Quedan 40."),
     ("vocês têm café?",
      "Café da casa 250 g: USD 9.50. Torra média de Minas Gerais. 40 em estoque."),
     ("good evening! do you have coffee?",
      "House coffee beans 250 g: USD 9.50. Medium roast from Minas Gerais. 40 in stock."),
     ("buenas noches, ¿tienen café?",
      "Café de la casa 250 g: USD 9.50. Tostado medio de Minas Gerais. Quedan 40."),
     ("bom dia, vocês têm café?",
      "Café da casa 250 g: USD 9.50. Torra média de Minas Gerais. 40 em estoque.")],
)  # fmt: skip
async def test_a_product_question_read_as_an_info_question_is_answered_about_the_product(
    text: str, expected: str
) -> None:
    result = await shop(text, lane="info").send(text)
    assert (result["understanding"].lane, result["understanding"].intent) == (
        "commerce", "product_question",
    )  # fmt: skip
    assert texts(result).startswith(expected)


@pytest.mark.parametrize(
    ("lang", "browse", "pick", "name"),
    [("en", "what do you sell?", "the blue one", "Blue ceramic mug"),
     ("es", "¿qué productos venden?", "la azul", "Taza azul de cerámica"),
     ("pt", "o que vocês vendem?", "a primeira", "Caneca azul de cerâmica")],
)  # fmt: skip
async def test_a_reference_to_the_list_then_yes_adds_that_product(
    lang: str, browse: str, pick: str, name: str
) -> None:
    chat = shop(browse)
    listed = await chat.send(browse)
    assert isinstance(listed["outbound"][0], ListMessage)
    detail = await chat.send(pick)
    assert texts(detail).startswith(f"{name}: USD 12.00.")
    assert cart(await chat.send(YES[lang])) == {"MUG-BLUE": 1}


async def test_a_segunda_is_the_second_product_shown() -> None:
    chat = shop("quero uma caneca")
    await chat.send("quero uma caneca")
    result = await chat.send("a segunda")
    assert texts(result).startswith("Caneca vermelha de cerâmica: USD 12.00, mas")


@pytest.mark.parametrize(
    ("add", "hello", "note"),
    [("add 2 coffees", "hi", "Your earlier cart expired (carts are kept for 72 hours)"),
     ("agrega 2 cafés", "hola", "Tu carrito anterior venció (los carritos se guardan 72 horas)"),
     ("adiciona 2 cafés", "olá, tudo bem?",
      "Seu carrinho anterior expirou (os carrinhos ficam guardados por 72 horas)")],
)  # fmt: skip
async def test_a_cart_older_than_its_lifetime_is_dropped_with_a_note(
    add: str, hello: str, note: str
) -> None:
    chat = shop(add)
    await chat.send(add)
    chat.advance(hours=71)
    kept = await chat.send(hello)
    assert cart(kept) == {"COFFEE-250": 2} and note not in texts(kept)
    chat.advance(hours=73)
    dropped = await chat.send(hello)
    assert dropped["outbound"][0].body.startswith(note)
    assert len(dropped["outbound"]) > 1  # the turn is still answered
    assert cart(dropped) == {}


@pytest.mark.parametrize(
    ("pay", "saved"),
    [("I want to pay", "saved"), ("quiero pagar", "guardado"), ("quero pagar", "guardado")],
)
async def test_an_empty_cart_is_not_said_to_be_saved(pay: str, saved: str) -> None:
    result = await shop(pay).send(pay)
    assert saved not in texts(result)


@pytest.mark.parametrize(
    ("add", "cancel"),
    [("add a blue mug and a coffee", "cancel the blue mug"),
     ("agrega una taza azul y un café", "cancela la taza azul"),
     ("adiciona uma caneca azul e um café", "cancela a caneca azul")],
)  # fmt: skip
async def test_cancelling_a_product_takes_it_out_of_the_cart(add: str, cancel: str) -> None:
    chat = shop(add, cancel)
    await chat.send(add)
    result = await chat.send(cancel)
    assert cart(result) == {"COFFEE-250": 1}


@pytest.mark.parametrize(
    ("ask", "no", "yes", "expected"),
    [("how much is the french press?", "not that one", "yes", "Sure! What would you like?"),
     ("¿cuánto cuesta la prensa francesa?", "esa no", "sí", "¡Claro! ¿Qué te gustaría?"),
     ("quanto custa a prensa francesa?", "essa não", "sim", "Claro! O que você gostaria?")],
)  # fmt: skip
async def test_yes_to_anything_else_offers_the_next_steps_not_thanks(
    ask: str, no: str, yes: str, expected: str
) -> None:
    chat = shop(ask)
    await chat.send(ask)
    await chat.send(no)  # "No problem. Anything else I can do for you?"
    result = await chat.send(yes)
    [message] = result["outbound"]
    assert isinstance(message, ButtonsMessage) and message.body.startswith(expected)
    assert [b.id for b in message.buttons] == ["commerce:catalog", "commerce:cart"]
    assert cart(result) == {}


MIXED_ZERO = {
    "en": ("add a blue mug", "add two coffee bags and 0 mugs"),
    "es": ("agrega una taza azul", "agrega dos bolsas de café y 0 tazas"),
    "pt": ("adiciona uma caneca azul", "adiciona dois pacotes de café e zero canecas"),
}


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_a_product_named_with_zero_is_skipped_and_the_others_added(lang: str) -> None:
    # the blue mug was shown (and added) first: "mugs" must not narrow the message to it
    first, mixed = MIXED_ZERO[lang]
    conversation = shop(first, mixed)
    await conversation.send(first)
    result = await conversation.send(mixed)
    assert cart(result) == {"MUG-BLUE": 1, "COFFEE-250": 2}, texts(result)


TOO = {
    "en": ("add a blue mug to my cart", "and the french press too", "and the french press?"),
    "es": ("agrega una taza azul al carrito", "y la prensa francesa también",
           "¿y la prensa francesa?"),
    "pt": ("adiciona uma caneca azul no carrinho", "e a prensa francesa também",
           "e a prensa francesa?"),
}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_and_the_other_product_too_after_an_add_adds_it(lang: str) -> None:
    added, too, asked = TOO[lang]
    conversation = shop(added, too)
    await conversation.send(added)
    result = await conversation.send(too)
    assert result["understanding"].intent == "add_to_cart"
    assert cart(result) == {"MUG-BLUE": 1, "FRENCH-PRESS": 1}, texts(result)
    questioned = shop(added, asked)
    await questioned.send(added)
    question = await questioned.send(asked)  # a question about it is not an add
    assert question["understanding"].intent == "product_question"
    assert cart(question) == {"MUG-BLUE": 1}
