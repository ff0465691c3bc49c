"""The commerce lane: catalog lists within WhatsApp limits, references, cart, EN/ES/PT."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from desk_support import MemoryDesk
from graph_support import Conversation, context, scripted_router, texts

from graph.messages import ButtonsMessage, ListMessage
from nodes.tenants import DEFAULT_TENANTS_DIR

CATALOG_ASK = {
    "en": "what do you sell?",
    "es": "¿qué productos venden?",
    "pt": "quais produtos vocês vendem?",
}
LIST_BODY = {"en": "Here is what we have", "es": "Esto es lo que tenemos", "pt": "Veja o que temos"}
MUGS = {"en": "I want a mug", "es": "quiero una taza", "pt": "quero uma caneca"}
BLUE = {"en": "the blue one", "es": "la azul", "pt": "a azul"}
ADDED = {"en": "Added 1 × Blue ceramic mug", "es": "Agregué 1 × Taza azul de cerámica",
         "pt": "Adicionei 1 × Caneca azul de cerâmica"}  # fmt: skip


def shop(*messages: str, **kwargs) -> Conversation:
    return Conversation(
        context(scripted_router({m: ("commerce", 0.95) for m in messages}), **kwargs)
    )


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_the_catalog_is_an_interactive_list_in_the_users_language(lang: str) -> None:
    result = await shop(CATALOG_ASK[lang]).send(CATALOG_ASK[lang])
    [message] = result["outbound"]
    assert isinstance(message, ListMessage) and message.body.startswith(LIST_BODY[lang])
    rows = [row for section in message.sections for row in section.rows]
    assert [r.id for r in rows][:2] == ["commerce:sku:MUG-BLUE", "commerce:sku:MUG-RED"]
    assert "USD 12.00" in (rows[0].description or "")
    assert result["session"]["commerce"]["last_shown_skus"][0] == "MUG-BLUE"


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_pick_the_blue_one_then_yes_adds_it_to_the_cart(lang: str) -> None:
    chat = shop(MUGS[lang])
    listed = await chat.send(MUGS[lang])
    assert listed["session"]["commerce"]["last_shown_skus"] == ["MUG-BLUE", "MUG-RED"]
    detail = await chat.send(BLUE[lang])
    assert isinstance(detail["outbound"][0], ButtonsMessage)
    assert detail["outbound"][0].buttons[0].id == "commerce:add:MUG-BLUE"
    added = await chat.send("sí" if lang == "es" else "sim" if lang == "pt" else "yes")
    assert ADDED[lang] in texts(added)
    assert added["session"]["commerce"]["cart"][0]["sku"] == "MUG-BLUE"


async def test_the_second_one_resolves_against_the_last_list() -> None:
    chat = shop("show me mugs")
    await chat.send("show me mugs")
    result = await chat.send("2")
    assert "Red ceramic mug: USD 12.00, but it is out of stock" in texts(result)


async def test_a_list_row_choice_and_the_add_button() -> None:
    chat = shop()
    detail = await chat.send("French press 600 ml", choice_id="commerce:sku:FRENCH-PRESS")
    assert "5 in stock" in texts(detail)
    added = await chat.send("Add to cart", choice_id="commerce:add:FRENCH-PRESS")
    assert "Total: USD 29.00" in texts(added)


async def test_quantity_add_then_checkout_starts() -> None:
    chat = shop("quiero 2 bolsas de café", "quiero pagar")
    added = await chat.send("quiero 2 bolsas de café")
    assert "Agregué 2 × Café de la casa 250 g" in texts(added) and "USD 19.00" in texts(added)
    checkout = await chat.send("quiero pagar")
    assert "¿Cómo quieres recibirlo?" in texts(checkout)


async def test_list_limits_hold_for_a_big_catalog_with_long_names(tmp_path: Path) -> None:
    profile = yaml.safe_load((DEFAULT_TENANTS_DIR / "demo.yaml").read_text())
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump(profile))
    products = [
        {"sku": f"SKU-{i}", "name": {"en": f"Extraordinarily long product name number {i}"},
         "description": {"en": "A description that is far too long for a WhatsApp list row " * 2},
         "price": 10.0 + i, "stock": i % 3, "keywords": ["thing"]}
        for i in range(14)
    ]  # fmt: skip
    (tmp_path / "demo_catalog.yaml").write_text(
        yaml.safe_dump({"currency": "USD", "products": products})
    )
    result = await shop("show me things", tenants_dir=str(tmp_path)).send("show me things")
    [message] = result["outbound"]
    assert isinstance(message, ListMessage)
    rows = [row for section in message.sections for row in section.rows]
    assert len(rows) == 10
    assert all(len(r.title) <= 24 and len(r.description or "") <= 72 for r in rows)
    assert len(message.button) <= 20 and all(len(s.title) <= 24 for s in message.sections)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("where is my order 123?", "can't find an order 123 for this WhatsApp number"),
     ("quiero cancelar mi pedido", "No tienes pedidos que todavía se puedan cancelar"),
     ("cadê meu pedido?", "Ainda não vejo pedidos deste número")],
)  # fmt: skip
async def test_order_questions_without_orders_are_answered_honestly(
    text: str, expected: str
) -> None:
    chat = shop(text, desk=MemoryDesk())
    result = await chat.send(text)
    assert expected in texts(result)
    assert "A-" not in texts(result)  # no order is invented


async def test_an_order_number_not_found_offers_the_customers_orders_and_a_person() -> None:
    chat = shop("where is my order 123?", desk=MemoryDesk())
    result = await chat.send("where is my order 123?")
    buttons = [button.id for button in result["outbound"][0].buttons]
    assert buttons == ["commerce:orders", "support:human"]
    human = await chat.send("Talk to a person", choice_id="support:human")
    assert human["understanding"].lane == "support"
    assert human["session"]["support"]["handoff"] == "requested"


@pytest.mark.parametrize("ack", ["thx", "ok ya quedó?", "perfeito", "grcias"])
async def test_an_acknowledgement_in_commerce_is_answered_not_shown_the_catalog(ack: str) -> None:
    chat = shop("I want a mug")
    await chat.send("I want a mug")
    result = await chat.send(ack)
    assert result["understanding"].method == "sticky"
    assert not isinstance(result["outbound"][0], ListMessage)


@pytest.mark.parametrize(
    ("no", "expected"),
    [("no", "No problem."), ("nope", "No problem."), ("no, thanks", "No problem.")],
)
async def test_no_to_the_add_to_cart_offer_is_not_thanked_and_withdraws_the_offer(
    no: str, expected: str
) -> None:
    chat = shop(MUGS["en"])
    await chat.send(MUGS["en"])
    await chat.send(BLUE["en"])  # "Shall I add it to your cart?"
    declined = await chat.send(no)
    assert texts(declined).startswith(expected)
    assert "offered_sku" not in declined["session"]["slots"]
    later = await chat.send("yes")
    assert later["session"]["commerce"]["cart"] == []


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "Red ceramic mug: USD 12.00, but it is out of stock right now."),
     ("es", "Taza roja de cerámica: USD 12.00, pero ahora no nos queda stock."),
     ("pt", "Caneca vermelha de cerâmica: USD 12.00, mas no momento está sem estoque.")],
)  # fmt: skip
async def test_an_out_of_stock_product_is_said_so_in_the_users_language(
    lang: str, expected: str
) -> None:
    chat = shop(MUGS[lang])
    await chat.send(MUGS[lang])
    result = await chat.send("2")
    assert texts(result) == expected
