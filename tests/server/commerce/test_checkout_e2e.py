"""A whole purchase end to end, in EN/ES/PT: the signed WhatsApp webhook and the real worker
(graph, SQL order service, outbox, sending), Stripe Checkout and the Graph API mocked at
HTTP with respx, Stripe's signed webhook, and the merchant's admin API.

browse -> add 2 products -> remove one line -> checkout (delivery, zone, address, name, card
link) -> Confirm
(the same tap delivered twice, and tapped again) -> the payment link -> Stripe's signed
webhook (delivered twice) -> "paid, being prepared" -> the admin API ships it (twice) ->
"on its way". Exactly one order, one payment, one provider call and one message per status
change.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from commerce_support import STRIPE_ENV, checkout_session_event, post_stripe, stripe_session
from fastapi import FastAPI
from sqlalchemy import func, select
from webhook_support import post_webhook, running_app

from server.chat_payloads import ChatUser, reply_payload, text_payload
from server.commerce.models import Order, OrderEvent, Payment
from server.commerce.tokens import create_token
from server.resources import Resources
from server.worker import build_worker

GRAPH = "https://graph.test"
PHONE_ID = "100200300400500"
SENDING_ENV = {
    "ENABLE_ORCHESTRATION": "true",
    "WHATSAPP_ACCESS_TOKEN": "test-token",
    "WHATSAPP_API_BASE_URL": GRAPH,
    "WHATSAPP_PAIR_BURST": "50",
}
SESSIONS_URL = "https://api.stripe.com/v1/checkout/sessions"

SCRIPT = {
    "en": {"browse": "what do you sell?", "remove": "remove the coffee", "pay": "I want to pay",
           "address": "742 Evergreen Terrace, apt 2", "placed": "Order A-1001 is placed",
           "paid": "Payment received: thank you! Order A-1001 is being prepared.",
           "shipped": "Order A-1001 is on its way!", "where": "where is my order A-1001?",
           "status": "on its way"},
    "es": {"browse": "¿qué productos venden?", "remove": "quita el café", "pay": "quiero pagar",
           "address": "Calle Mayor 5, 3B, Madrid", "placed": "Tu pedido A-1001 está hecho",
           "paid": "Recibimos tu pago, ¡gracias! El pedido A-1001 se está preparando.",
           "shipped": "¡El pedido A-1001 va en camino!", "where": "¿dónde está mi pedido?",
           "status": "en camino"},
    "pt": {"browse": "quais produtos vocês vendem?", "remove": "tira o café",
           "pay": "quero finalizar a compra",
           "address": "Rua Augusta 1500, apto 12",
           "placed": "O pedido A-1001 foi feito",
           "paid": "Pagamento recebido, obrigado! O pedido A-1001 está sendo preparado.",
           "shipped": "O pedido A-1001 saiu para entrega!", "where": "cadê meu pedido?",
           "status": "a caminho"},
}  # fmt: skip


class Phone:
    """The customer's phone: what the Graph API was asked to send, and taps on it."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.sent: list[dict[str, Any]] = []
        router.post(url__regex=rf"{GRAPH}/v[\d.]+/{PHONE_ID}/messages").mock(
            side_effect=self._answer
        )

    def _answer(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("status") == "read":
            return httpx.Response(200, json={"success": True})
        self.sent.append(body)
        wamid = f"wamid.out{len(self.sent)}"
        return httpx.Response(200, json={"messaging_product": "whatsapp",
                                         "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                                         "messages": [{"id": wamid}]})  # fmt: skip

    def texts(self, since: int = 0) -> list[str]:
        out = []
        for body in self.sent[since:]:
            if body["type"] == "text":
                out.append(body["text"]["body"])
            elif body["type"] == "interactive":
                out.append(body["interactive"]["body"]["text"])
        return out

    def option(self, prefix: str) -> tuple[str, str, str]:
        """(kind, id, title) of the newest button or list row whose id starts with `prefix`."""
        for body in reversed(self.sent):
            interactive = body.get("interactive") or {}
            action = interactive.get("action") or {}
            for button in action.get("buttons", []):
                if button["reply"]["id"].startswith(prefix):
                    return "button", button["reply"]["id"], button["reply"]["title"]
            for section in action.get("sections", []):
                for row in section["rows"]:
                    if row["id"].startswith(prefix):
                        return "list", row["id"], row["title"]
        raise AssertionError(f"no option {prefix!r} was sent; sent: {self.texts()}")


async def drain(app: FastAPI) -> None:
    """Run the real worker until the queue is empty."""
    worker = build_worker(app.state.resources, burst=True, handle_signals=False)
    try:
        await worker.async_run()
    finally:
        await worker.close()


async def count(resources: Resources, model: Any) -> int:
    async with resources.sessions() as session:
        return int((await session.execute(select(func.count(model.id)))).scalar_one())


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_a_customer_buys_pays_and_follows_the_order_in_whatsapp(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, lang: str
) -> None:
    words = SCRIPT[lang]
    user = ChatUser(wa_id="5511987650101", name="Ana Lima")
    with respx.mock(assert_all_called=False) as router:
        phone = Phone(router)
        stripe = router.post(SESSIONS_URL).mock(
            return_value=httpx.Response(200, json=stripe_session("cs_test_e2e", 1600))
        )
        router.route(host="testserver").pass_through()
        async with running_app(monkeypatch, redis_url, **SENDING_ENV, **STRIPE_ENV) as (
            client,
            app,
        ):
            resources: Resources = app.state.resources
            ids = iter(range(1000))

            async def deliver(payload: dict[str, Any]) -> list[str]:
                before = len(phone.sent)
                assert (await post_webhook(client, payload)).status_code == 200
                await drain(app)
                return phone.texts(before)

            async def say(text: str) -> list[str]:
                return await deliver(text_payload(user, f"wamid.in{next(ids)}", text))

            def tap_payload(prefix: str, wamid: str | None = None) -> dict[str, Any]:
                kind, choice, title = phone.option(prefix)
                wamid = wamid or f"wamid.in{next(ids)}"
                return reply_payload(user, wamid, kind=kind, choice_id=choice, title=title,
                                     replying_to="wamid.out1")  # fmt: skip

            async def tap(prefix: str) -> list[str]:
                return await deliver(tap_payload(prefix))

            assert await say(words["browse"])
            await tap("commerce:sku:MUG-BLUE")
            await tap("commerce:add:MUG-BLUE")
            await say(words["browse"])
            await tap("commerce:sku:COFFEE-250")
            await tap("commerce:add:COFFEE-250")
            removed = "\n".join(await say(words["remove"]))
            assert "9.50" not in removed and "12.00" in removed, removed  # only the mug is left

            await say(words["pay"])
            await tap("commerce:checkout:fulfilment:delivery")
            await tap("commerce:checkout:zone:sp-centro")
            await say(words["address"])
            await tap("commerce:checkout:name:yes")
            [summary] = await tap("commerce:checkout:pay:card_link")
            assert words["address"] in summary and "Ana Lima" in summary
            assert "USD 16.00" in summary and "9.50" not in summary  # the mug 12.00 + delivery 4.00

            confirm = tap_payload("commerce:confirm:")
            placed = await deliver(confirm)
            assert words["placed"] in "\n".join(placed)
            assert "https://checkout.stripe.com/c/pay/cs_test_e2e" in "\n".join(placed)
            assert await deliver(confirm) == []  # the same tap delivered again: deduped
            again = await deliver(tap_payload("commerce:confirm:"))  # tapped a second time
            assert "A-1001" in "\n".join(again) and "A-1002" not in "\n".join(again)

            assert stripe.call_count == 1
            form = parse_qs(stripe.calls[0].request.content.decode())
            assert form["client_reference_id"] == ["A-1001"]
            reference = form["metadata[reference]"][0]

            event = checkout_session_event("evt_e2e_1", "cs_test_e2e", amount=1600,
                                           reference=reference, order_number="A-1001")  # fmt: skip
            before = len(phone.sent)
            for _ in range(2):  # Stripe delivers the event twice
                answer = await post_stripe(client, event)
                assert answer.status_code == 200
                await drain(app)
            assert phone.texts(before) == [words["paid"]]

            async with resources.sessions.begin() as session:
                token = await create_token(session, "demo", "e2e")
            headers = {"Authorization": f"Bearer {token}"}
            before = len(phone.sent)
            for _ in range(2):  # the merchant presses "ship" twice
                shipped = await client.post(
                    "/admin/v1/orders/A-1001/actions", json={"action": "ship"}, headers=headers
                )
                assert shipped.status_code == 200, shipped.text
                await drain(app)
            assert phone.texts(before) == [words["shipped"]]

            status = "\n".join(await say(words["where"]))
            assert "A-1001" in status and words["status"] in status

            assert await count(resources, Order) == 1
            assert await count(resources, Payment) == 1
            async with resources.sessions() as session:
                order = (await session.execute(select(Order))).scalar_one()
                moves = (await session.execute(select(OrderEvent.to_status))).scalars().all()
            assert (order.status, order.total_minor) == ("shipped", 1600)
            assert order.customer_name == "Ana Lima"
            assert order.address == words["address"] and order.language == lang
            assert list(moves) == ["pending_payment", "paid", "shipped"]
