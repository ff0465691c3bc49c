"""The guided checkout and the customer's orders, through the graph with the real offline
router and the in-memory store, in EN/ES/PT."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from br_tenant import write_br_tenant
from graph_support import TENANT, WA_ID, Conversation, context, texts

from graph.messages import ButtonsMessage, InboundTurn, ListMessage, OrderDetailsMessage
from nodes.commerce.memory import MemoryCommerceStore
from nodes.commerce.ports import OrderQuery

CATALOG = {"en": "what do you sell?", "es": "¿qué productos venden?",
           "pt": "quais produtos vocês vendem?"}  # fmt: skip
PAY = {"en": "I want to pay", "es": "quiero pagar", "pt": "quero finalizar a compra"}
HOURS = {
    "en": "actually, what are your hours?",
    "es": "¿cuál es el horario?",
    "pt": "qual o horário de vocês?",
}
WAITING_ORDER = {"en": "Your order is still waiting", "es": "Tu pedido sigue esperando",
                 "pt": "Seu pedido continua esperando"}  # fmt: skip
CONTINUE = {"en": "ok, continue", "es": "ok, continuar", "pt": "ok, continuar"}
DELIVERY = {"en": "delivery please", "es": "envío a domicilio", "pt": "quero entrega"}
ADDRESS = {
    "en": "742 Evergreen Terrace, apt 2",
    "es": "Calle Mayor 5, 3B, Madrid",
    "pt": "Rua Augusta 1500, apto 12",
}
HOW_TO_GET = {"en": "How would you like to get it?", "es": "¿Cómo quieres recibirlo?",
              "pt": "Como você quer receber?"}  # fmt: skip
ADDRESS_Q = {"en": "What is the delivery address?", "es": "¿Cuál es la dirección de entrega?",
             "pt": "Qual é o endereço de entrega?"}  # fmt: skip
PLACED = {"en": "Order A-1001 is placed", "es": "Tu pedido A-1001 está hecho",
          "pt": "O pedido A-1001 foi feito"}  # fmt: skip
ALREADY = {"en": "already placed", "es": "ya está hecho", "pt": "já foi feito"}
EMPTY = {"en": "Your cart is empty", "es": "Tu carrito está vacío",
         "pt": "Seu carrinho está vazio"}  # fmt: skip
WHERE = {"en": "where is my order A-1001?", "es": "¿dónde está mi pedido?",
         "pt": "cadê meu pedido A-1001?"}  # fmt: skip
WAITING = {"en": "waiting for payment", "es": "esperando el pago", "pt": "aguardando pagamento"}


@dataclass
class Customer:
    """One customer's chat with a store; taps and shared locations included."""

    store: MemoryCommerceStore = field(default_factory=MemoryCommerceStore)
    wa_id: str = WA_ID
    profile_name: str | None = "Ana Lima"
    tenants_dir: str | None = None
    chat: Conversation = field(init=False)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        ctx = context(commerce=self.store, tenants_dir=self.tenants_dir)
        self.chat = Conversation(ctx, wa_id=self.wa_id)

    async def send(self, text: str, choice: str | None = None, **extra: Any) -> dict[str, Any]:
        kind = "interactive" if choice else extra.pop("message_type", "text")
        turn = InboundTurn(tenant_id=TENANT, wa_id=self.wa_id, msg_id=f"wamid.{next(self._ids)}",
                           text=text, choice_id=choice, message_type=kind,
                           profile_name=self.profile_name, **extra)  # fmt: skip
        return await self.chat.graph.ainvoke(
            {"turn": turn}, config=self.chat.config, context=self.chat.context, durability="exit"
        )

    async def tap(self, result: dict[str, Any], prefix: str) -> dict[str, Any]:
        """Tap the button or list row of `result` whose id starts with `prefix`."""
        for message in result["outbound"]:
            options = [*getattr(message, "buttons", ())]
            options += [row for s in getattr(message, "sections", ()) for row in s.rows]
            for option in options:
                if option.id.startswith(prefix):
                    return await self.send(option.title, option.id)
        raise AssertionError(f"no option {prefix!r} in {texts(result)!r}")

    async def fill_cart(self, lang: str = "en") -> None:
        await self.send(CATALOG[lang])  # the chat's language comes from what the customer writes
        await self.send("Add to cart", "commerce:add:MUG-BLUE")
        await self.send("Add to cart", "commerce:add:COFFEE-250")

    async def orders(self) -> int:
        return len(await self.store.recent_orders(OrderQuery("demo", self.wa_id, limit=10)))

    async def to_summary(self, lang: str) -> dict[str, Any]:
        await self.fill_cart(lang)
        asked = await self.send(PAY[lang])
        zones = await self.tap(asked, "commerce:checkout:fulfilment:delivery")
        await self.tap(zones, "commerce:checkout:zone:sp-centro")
        name = await self.send(ADDRESS[lang])
        pay = await self.tap(name, "commerce:checkout:name:yes")
        return await self.tap(pay, "commerce:checkout:pay:card_link")


def summary_of(result: dict[str, Any]) -> ButtonsMessage:
    message = result["outbound"][-1]
    assert isinstance(message, ButtonsMessage), texts(result)
    assert [b.id.split(":")[1] for b in message.buttons] == ["confirm", "checkout", "checkout"]
    return message


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_checkout_leaves_for_a_question_resumes_and_places_the_order_once(lang: str) -> None:
    customer = Customer()
    await customer.fill_cart(lang)
    asked = await customer.send(PAY[lang])
    assert HOW_TO_GET[lang] in texts(asked)
    hours = await customer.send(HOURS[lang])
    assert hours["understanding"].lane == "info" and "09:00" in texts(hours)
    assert WAITING_ORDER[lang] in texts(hours)  # told once how to come back
    again = await customer.send(HOURS[lang])
    assert WAITING_ORDER[lang] not in texts(again)
    resumed = await customer.send(CONTINUE[lang])
    assert HOW_TO_GET[lang] in texts(resumed)
    zones = await customer.send(DELIVERY[lang])
    assert isinstance(zones["outbound"][-1], ListMessage)
    address = await customer.tap(zones, "commerce:checkout:zone:sp-centro")
    assert ADDRESS_Q[lang] in texts(address)
    name = await customer.send(ADDRESS[lang])
    assert "Ana Lima" in texts(name)
    pay = await customer.tap(name, "commerce:checkout:name:yes")
    summary = summary_of(await customer.tap(pay, "commerce:checkout:pay:card_link"))
    assert ADDRESS[lang] in summary.body and "Ana Lima" in summary.body
    assert "USD 25.50" in summary.body  # 12.00 + 9.50 + delivery 4.00
    confirm = summary.buttons[0].id
    placed = await customer.send(summary.buttons[0].title, confirm)
    assert PLACED[lang] in texts(placed)
    assert "https://pay.example.invalid/demo/A-1001" in texts(placed)
    again = await customer.send(summary.buttons[0].title, confirm)
    assert ALREADY[lang] in texts(again) and "A-1002" not in texts(again)
    assert await customer.orders() == 1
    assert placed["session"]["commerce"]["cart"] == []
    status = await customer.send(WHERE[lang])
    assert "A-1001" in texts(status) and WAITING[lang] in texts(status)


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_an_empty_cart_has_nothing_to_check_out(lang: str) -> None:
    customer = Customer()
    result = await customer.send(PAY[lang])
    assert EMPTY[lang] in texts(result)
    assert result["session"]["commerce"]["checkout"] is None


async def test_a_step_can_be_changed_and_the_summary_shows_the_change() -> None:
    customer = Customer()
    summary = await customer.to_summary("en")
    change = await customer.tap(summary, "commerce:checkout:change")
    name = await customer.tap(change, "commerce:checkout:edit:name")
    assert "What name" in texts(name)
    updated = summary_of(await customer.send("Maria Souza"))
    assert "Name: Maria Souza" in updated.body and "Ana Lima" not in updated.body
    stale = await customer.send("Confirm", summary_of(summary).buttons[0].id)
    assert "no longer current" in texts(stale) and await customer.orders() == 0
    placed = await customer.send("Confirm", updated.buttons[0].id)
    assert "Order A-1001 is placed" in texts(placed) and await customer.orders() == 1


async def test_cancelling_the_checkout_orders_nothing_and_keeps_the_cart() -> None:
    customer = Customer()
    summary = await customer.to_summary("es")
    cancelled = await customer.tap(summary, "commerce:checkout:cancel")
    assert "no se hizo ningún pedido" in texts(cancelled)
    assert len(cancelled["session"]["commerce"]["cart"]) == 2
    assert await customer.orders() == 0
    late = await customer.send("Confirmar", summary_of(summary).buttons[0].id)
    assert "ya no está vigente" in texts(late) and await customer.orders() == 0


async def test_a_shared_location_is_the_delivery_address() -> None:
    customer = Customer()
    await customer.fill_cart("pt")
    zones = await customer.tap(
        await customer.send(PAY["pt"]), "commerce:checkout:fulfilment:delivery"
    )
    await customer.tap(zones, "commerce:checkout:zone:sp-grande")
    name = await customer.send(
        "Casa da Ana", message_type="location", latitude=-23.55, longitude=-46.63
    )
    assert "Ana Lima" in texts(name)
    checkout = name["session"]["commerce"]["checkout"]
    assert (checkout["address"], checkout["latitude"]) == ("Casa da Ana", -23.55)


async def test_an_item_sold_out_since_it_was_added_is_explained_and_nothing_is_ordered() -> None:
    customer = Customer()
    summary = await customer.to_summary("en")
    customer.store._stock["demo", "MUG-BLUE"] = 0  # another customer bought the last ones
    result = await customer.send("Confirm", summary_of(summary).buttons[0].id)
    assert "only 0 left" in texts(result) and "Nothing was ordered yet" in texts(result)
    assert await customer.orders() == 0
    cart = result["session"]["commerce"]["cart"]
    assert [line["sku"] for line in cart] == ["COFFEE-250"]


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_cancel_an_order_after_confirming_and_not_once_it_shipped(lang: str) -> None:
    customer = Customer()
    summary = summary_of(await customer.to_summary(lang))
    await customer.send("ok", summary.buttons[0].id)
    ask = await customer.send({"en": "cancel my order", "es": "cancela mi pedido",
                               "pt": "cancelar meu pedido"}[lang])  # fmt: skip
    assert "A-1001" in texts(ask)
    kept = await customer.tap(ask, "commerce:cancelno:")
    assert "A-1001" in texts(kept)
    done = await customer.tap(ask, "commerce:cancelyes:")
    assert {"en": "is cancelled", "es": "está cancelado", "pt": "está cancelado"}[lang] in texts(
        done
    )
    [order] = await customer.store.recent_orders(OrderQuery("demo", customer.wa_id))
    assert order.status == "cancelled"

    other = Customer()
    summary = summary_of(await other.to_summary(lang))
    await other.send("ok", summary.buttons[0].id)
    other.store.move("demo", "A-1001", "shipped")
    refused = await other.send("Cancel", "commerce:cancelyes:A-1001")
    assert "A-1001" in texts(refused) and "support:human" in str(refused["outbound"])
    [order] = await other.store.recent_orders(OrderQuery("demo", other.wa_id))
    assert order.status == "shipped"


async def test_another_customers_order_number_reveals_nothing() -> None:
    store = MemoryCommerceStore()
    buyer = Customer(store=store)
    summary = summary_of(await buyer.to_summary("en"))
    await buyer.send("Confirm", summary.buttons[0].id)
    stranger = Customer(store=store, wa_id="5511900000000")
    result = await stranger.send("where is my order A-1001?")
    assert "can't find an order A-1001" in texts(result)
    assert "Ana Lima" not in texts(result) and "USD" not in texts(result)
    cancel = await stranger.send("Yes, cancel it", "commerce:cancelyes:A-1001")
    assert "can't find" in texts(cancel)
    [order] = await store.recent_orders(OrderQuery("demo", buyer.wa_id))
    assert order.status == "pending_payment"


CONFIRM = {"en": "confirm", "es": "confirmo", "pt": "confirmar"}


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_a_typed_confirm_places_the_order_and_a_second_one_orders_nothing(lang: str) -> None:
    customer = Customer()
    summary_of(await customer.to_summary(lang))
    placed = await customer.send(CONFIRM[lang])
    assert PLACED[lang] in texts(placed)
    again = await customer.send(CONFIRM[lang])
    assert ALREADY[lang] in texts(again) and EMPTY[lang] not in texts(again)
    assert await customer.orders() == 1


async def test_a_whatsapp_payments_tenant_sends_the_order_to_pay_in_whatsapp(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = write_br_tenant(tmp_path)
    customer = Customer(store=MemoryCommerceStore(tenants_dir=folder), tenants_dir=folder)
    await customer.send("quais produtos vocês vendem?")
    await customer.send("Adicionar", "commerce:add:PAO-QUEIJO")
    await customer.send("Adicionar", "commerce:add:PAO-QUEIJO")
    name = await customer.send("quero finalizar a compra")  # pickup only, one shop: skipped
    pay = await customer.tap(name, "commerce:checkout:name:yes")
    summary = summary_of(await customer.tap(pay, "commerce:checkout:pay:pix"))
    assert "R$ 9,00" in summary.body and "Padaria Sol Centro" in summary.body
    placed = await customer.send("Confirmar", summary.buttons[0].id)
    order = placed["outbound"][-1]
    assert isinstance(order, OrderDetailsMessage), texts(placed)
    assert order.reference_id == "padaria.P-501.1" and order.total_minor == 900
    assert [(i.retailer_id, i.quantity, i.unit_minor) for i in order.items] == [
        ("PAO-QUEIJO", 2, 450)
    ]
    assert order.pix is not None and "br.gov.bcb.pix" in order.pix.code
    assert "54049.00" in order.pix.code and order.pix.key == "12345678000199"


ORDER_QUESTION = {"en": "where is my order", "es": "dónde está mi pedido", "pt": "cadê meu pedido"}
NO_ORDERS = {
    "en": "I don't see any orders",
    "es": "Todavía no veo pedidos",
    "pt": "Ainda não vejo pedidos",
}


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_asking_about_orders_at_the_address_step_is_not_taken_as_the_address(
    lang: str,
) -> None:
    customer = Customer()
    await customer.fill_cart(lang)
    zones = await customer.tap(
        await customer.send(PAY[lang]), "commerce:checkout:fulfilment:delivery"
    )
    await customer.tap(zones, "commerce:checkout:zone:sp-centro")
    status = await customer.send(ORDER_QUESTION[lang])
    assert NO_ORDERS[lang] in texts(status)
    assert status["session"]["commerce"]["checkout"]["address"] is None
    name = await customer.send(ADDRESS[lang])
    assert name["session"]["commerce"]["checkout"]["address"] == ADDRESS[lang]
