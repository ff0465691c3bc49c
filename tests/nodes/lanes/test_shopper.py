"""What a demanding shopper asks, through the graph, in EN/ES/PT: "what do you sell?", a
quantity beyond the stock, "I want to see my cart", the cart's Check out button, "change my
address" next to "change the mug to 3", and Change -> Items at the checkout summary.

Several messages are scripted to be misread by the classifier (the catalog question as an
info question): the answer comes from the commerce lane's own words, not from the model.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from graph_support import Conversation, context, scripted_router, texts
from test_checkout import ADDRESS, PAY, Customer, summary_of

from graph.messages import ButtonsMessage, ListMessage
from nodes.commerce.texts import TEXTS as SHOP_TEXTS
from nodes.i18n import TEXTS
from nodes.lanes.catalog_views import cart_with_next_steps
from nodes.tenants import DEFAULT_TENANTS_DIR

LANGS = ["en", "es", "pt"]


def chat(table: dict[str, tuple[str, float]], **kwargs: Any) -> Conversation:
    return Conversation(context(scripted_router(table), **kwargs))


def cart(result: dict[str, Any]) -> dict[str, int]:
    return {line["sku"]: line["quantity"] for line in result["session"]["commerce"]["cart"]}


def button_ids(result: dict[str, Any]) -> list[str]:
    return [b.id for m in result["outbound"] if isinstance(m, ButtonsMessage) for b in m.buttons]


SELL = {
    "en": ["what do you sell?", "hi! what do you guys sell"],
    "es": ["¿qué venden?", "hola, ¿qué productos tienen?"],
    "pt": ["o que vocês vendem?", "oi, o que vcs vendem?"],
}


@pytest.mark.parametrize(
    ("lang", "text"), [(lang, text) for lang, items in SELL.items() for text in items]
)
async def test_what_do_you_sell_shows_the_catalog(lang: str, text: str) -> None:
    result = await chat({text: ("info", 0.9)}).send(text)  # misread as an info question
    assert (result["understanding"].lane, result["understanding"].intent) == (
        "commerce",
        "browse_catalog",
    )
    assert isinstance(result["outbound"][0], ListMessage), texts(result)
    assert result["understanding"].language == lang


TOO_MANY = {
    "en": ("add 500 blue mugs", "Only 8 of Blue ceramic mug left, so I added 8."),
    "es": ("agrega 500 tazas azules", "Solo quedan 8 de Taza azul de cerámica, así que agregué 8."),
    "pt": ("adiciona 500 canecas azuis",
           "Só restam 8 de Caneca azul de cerâmica, então adicionei 8."),
}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
async def test_more_than_the_stock_adds_what_there_is_and_says_so(lang: str) -> None:
    text, said = TOO_MANY[lang]
    result = await chat({text: ("commerce", 0.95)}).send(text)
    assert cart(result) == {"MUG-BLUE": 8}  # all there is, never a silent 1
    assert texts(result).startswith(said), texts(result)


def max_ten_tenant(tmp_path: Path) -> str:
    """The demo shop with at most 10 units of a product per order."""
    profile = yaml.safe_load((DEFAULT_TENANTS_DIR / "demo.yaml").read_text())
    profile["commerce"]["max_quantity"] = 10
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump(profile))
    shutil.copy(DEFAULT_TENANTS_DIR / profile["catalog"], tmp_path / profile["catalog"])
    return str(tmp_path)


PER_ORDER = {
    "en": ("add 25 bags of coffee", "One order can take at most 10 of a product, so I added 10"),
    "es": ("agrega 25 bolsas de café",
           "Un pedido puede llevar como máximo 10 de un producto, así que agregué 10"),
    "pt": ("adiciona 25 pacotes de café",
           "Um pedido pode levar no máximo 10 de um produto, então adicionei 10"),
}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
async def test_more_than_the_per_order_maximum_is_capped_and_said(
    lang: str, tmp_path: Path
) -> None:
    text, said = PER_ORDER[lang]
    conversation = chat({text: ("commerce", 0.95)}, tenants_dir=max_ten_tenant(tmp_path))
    result = await conversation.send(text)
    assert cart(result) == {"COFFEE-250": 10}
    assert texts(result).startswith(said), texts(result)


ADD = {"en": "add 2 blue mugs", "es": "agrega 2 tazas azules", "pt": "adiciona 2 canecas azuis"}
SEE_CART = {
    "en": ["I want to see my cart", "show me my cart please"],
    "es": ["quiero ver mi carrito", "muéstrame el carrito"],
    "pt": ["quero ver meu carrinho", "me mostra o carrinho"],
}
CART_TITLE = {"en": "Your cart:", "es": "Tu carrito:", "pt": "Seu carrinho:"}


@pytest.mark.parametrize(
    ("lang", "text"), [(lang, text) for lang, items in SEE_CART.items() for text in items]
)
async def test_asking_to_see_the_cart_shows_the_cart_not_the_catalog(lang: str, text: str) -> None:
    conversation = chat({ADD[lang]: ("commerce", 0.95), text: ("commerce", 0.95)})
    await conversation.send(ADD[lang])
    result = await conversation.send(text)
    assert result["understanding"].intent == "view_cart"
    assert CART_TITLE[lang] in texts(result)
    assert not any(isinstance(m, ListMessage) for m in result["outbound"])
    assert cart(result) == {"MUG-BLUE": 2}  # nothing added


HOW_TO_GET = {"en": "How would you like to get it?", "es": "¿Cómo quieres recibirlo?",
              "pt": "Como você quer receber?"}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
async def test_the_cart_offers_check_out_and_the_button_starts_it(lang: str) -> None:
    customer = Customer()
    await customer.fill_cart(lang)
    shown = await customer.send(SEE_CART[lang][0])
    assert button_ids(shown) == ["commerce:checkout", "commerce:catalog"]
    titles = [
        b.title for m in shown["outbound"] if isinstance(m, ButtonsMessage) for b in m.buttons
    ]
    assert all(len(title) <= 20 for title in titles)  # WhatsApp's reply-button limit
    started = await customer.tap(shown, "commerce:checkout")
    assert HOW_TO_GET[lang] in texts(started)
    assert started["understanding"].language == lang


def test_a_cart_too_long_for_a_buttons_message_is_text_then_the_buttons() -> None:
    split = cart_with_next_steps("x" * 1500, "en")
    assert [m.kind for m in split] == ["text", "buttons"]
    assert split[1].body == TEXTS["cart.next_step"]["en"]  # type: ignore[union-attr]


CHANGE_ADDRESS = {"en": "change my address", "es": "quiero cambiar mi dirección",
                  "pt": "mudar o endereço"}  # fmt: skip
CHANGE_MUG = {"en": "change the blue mug to 3", "es": "cambia la taza azul a 3",
              "pt": "muda a caneca azul para 3"}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
async def test_change_my_address_is_not_a_quantity_change(lang: str) -> None:
    table = {t[lang]: ("commerce", 0.95) for t in (ADD, CHANGE_ADDRESS, CHANGE_MUG)}
    conversation = chat(table)
    await conversation.send(ADD[lang])
    address = await conversation.send(CHANGE_ADDRESS[lang])
    assert address["understanding"].intent == "change_order"
    assert texts(address).startswith(SHOP_TEXTS["orders.change_cart"][lang])  # type: ignore[index]
    assert button_ids(address) == ["commerce:checkout"]
    assert cart(address) == {"MUG-BLUE": 2}
    mug = await conversation.send(CHANGE_MUG[lang])
    assert mug["understanding"].intent == "change_quantity"
    assert cart(mug) == {"MUG-BLUE": 3}


@pytest.mark.parametrize("lang", LANGS)
async def test_change_my_address_during_checkout_asks_the_address_again(lang: str) -> None:
    customer = Customer()
    summary = await customer.to_summary(lang)
    assert ADDRESS[lang] in summary_of(summary).body
    again = await customer.send(CHANGE_ADDRESS[lang])
    asked = {"en": "What is the delivery address?", "es": "¿Cuál es la dirección de entrega?",
             "pt": "Qual é o endereço de entrega?"}[lang]  # fmt: skip
    assert asked in texts(again), texts(again)
    assert again["session"]["commerce"]["checkout"]["address"] is None


REMOVE_FIRST = {"en": "remove the first one", "es": "quita el primero", "pt": "tira o primeiro"}
SECOND_TO_TWO = {"en": "change the second one to 2", "es": "cambia el segundo a 2",
                 "pt": "muda o segundo para 2"}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
async def test_change_items_shows_the_cart_and_its_examples_work(lang: str) -> None:
    customer = Customer()
    summary = await customer.to_summary(lang)
    change = await customer.tap(summary, "commerce:checkout:change")
    items = await customer.tap(change, "commerce:checkout:edit:items")
    shown = texts(items)
    assert CART_TITLE[lang] in shown and "1 ×" in shown
    assert SHOP_TEXTS["checkout.change_items"][lang] in shown  # type: ignore[index]
    assert button_ids(items)[0] == "commerce:checkout"
    # the examples the bot gives do what they say, on the lines it just showed
    two = await customer.send(SECOND_TO_TWO[lang])
    assert cart(two) == {"MUG-BLUE": 1, "COFFEE-250": 2}, texts(two)
    removed = await customer.send(REMOVE_FIRST[lang])
    assert cart(removed) == {"COFFEE-250": 2}, texts(removed)
    back = await customer.tap(removed, "commerce:checkout")
    updated = summary_of(back)
    assert "2 ×" in updated.body and PAY[lang] not in updated.body


OFFER = {"en": "do you have the french press?", "es": "¿tienen la prensa francesa?",
         "pt": "vocês têm a prensa francesa?"}  # fmt: skip
NO_WANT = {"en": "no, I don't want it", "es": "no, no la quiero", "pt": "não, não quero"}
YES_WANT = {"en": "yes, I want it", "es": "sí, la quiero", "pt": "sim, eu quero"}


@pytest.mark.parametrize("lang", LANGS)
async def test_no_with_a_negated_want_declines_the_offer(lang: str) -> None:
    # the classifier reads the refusal as a support complaint
    conversation = chat({OFFER[lang]: ("commerce", 0.95), NO_WANT[lang]: ("support", 0.9)})
    await conversation.send(OFFER[lang])
    result = await conversation.send(NO_WANT[lang])
    assert result["understanding"].intent == "deny"
    assert texts(result) == TEXTS["declined"][lang]  # type: ignore[index]
    assert cart(result) == {} and result["session"]["support"]["open_tickets"] == []


@pytest.mark.parametrize("lang", LANGS)
async def test_yes_with_i_want_it_takes_the_offer(lang: str) -> None:
    conversation = chat({OFFER[lang]: ("commerce", 0.95), YES_WANT[lang]: ("support", 0.6)})
    await conversation.send(OFFER[lang])
    result = await conversation.send(YES_WANT[lang])
    assert result["understanding"].intent == "affirm"
    assert cart(result) == {"FRENCH-PRESS": 1}


UNIT_AFTER = {"en": "add a couple of coffee bags", "es": "agrega dos cafés en bolsa",
              "pt": "adiciona dois cafés em pacote"}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
async def test_a_unit_word_after_the_product_names_the_product_not_the_bag(lang: str) -> None:
    text = UNIT_AFTER[lang]
    result = await chat({text: ("commerce", 0.95)}).send(text)
    assert cart(result) == {"COFFEE-250": 2}, texts(result)


ZERO = {
    "en": ("add 0 blue mugs", "Zero adds nothing, so your cart is unchanged."),
    "es": ("agrega cero tazas azules", "Cero no agrega nada, así que tu carrito no cambió."),
    "pt": ("adiciona 0 canecas azuis", "Zero não adiciona nada, então seu carrinho não mudou."),
}


@pytest.mark.parametrize("lang", LANGS)
async def test_a_quantity_of_zero_adds_nothing_and_says_so(lang: str) -> None:
    text, said = ZERO[lang]
    conversation = chat({text: ("commerce", 0.95), "add 1 blue mug": ("commerce", 0.95)})
    await conversation.send("add 1 blue mug")
    result = await conversation.send(text)
    assert cart(result) == {"MUG-BLUE": 1}  # unchanged, not one more
    assert texts(result).startswith(said), texts(result)
