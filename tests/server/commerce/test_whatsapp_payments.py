"""WhatsApp Payments (Brazil) on the real app: an order placed with Pix is moved by the
merchant, and the customer's WhatsApp order follows with `order_status` messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from br_tenant import write_br_tenant
from commerce_support import app_resources, customer_wrote
from webhook_support import running_app, stored_rows

from nodes.commerce.ports import LineRequest, Placed, PlaceOrder
from nodes.tenants import load_catalog, load_profile
from server.chat_payloads import ChatUser
from server.commerce.runtime import Commerce
from server.commerce.store import SqlCommerceStore
from server.commerce.tokens import create_token

CUSTOMER = ChatUser(wa_id="5511987650401", name="Ana")


async def test_the_whatsapp_order_follows_the_merchants_moves(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, tmp_path: Path
) -> None:
    folder = write_br_tenant(tmp_path)
    async with running_app(monkeypatch, redis_url, CONVO_TENANTS_DIR=folder) as (client, app):
        resources = app_resources(app)
        await customer_wrote(resources, CUSTOMER)
        store = SqlCommerceStore(Commerce(resources))
        await store.catalog("padaria", load_catalog(load_profile("padaria", folder)))
        placed = await store.place_order(PlaceOrder(
            tenant="padaria", phone_number_id=CUSTOMER.phone_number_id, wa_id=CUSTOMER.wa_id,
            confirmation_key="k1", lines=(LineRequest("PAO-QUEIJO", 2),), fulfilment="pickup",
            payment_method="pix", customer_name="Ana", language="pt",
            pickup_location="Padaria Sol Centro",
        ))  # fmt: skip
        assert isinstance(placed, Placed) and placed.order.number == "P-501"
        payment = await store.start_payment(
            "padaria", CUSTOMER.wa_id, "P-501", idempotency_key="k1"
        )
        assert (payment.method, payment.reference) == ("pix", "padaria.P-501.1")

        async with resources.sessions.begin() as session:
            token = await create_token(session, "padaria", "caixa")
        headers = {"Authorization": f"Bearer {token}"}
        for action in ("mark_paid", "ready"):
            answer = await client.post(
                "/admin/v1/orders/P-501/actions", json={"action": action}, headers=headers
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["customer_notified"] == "session"
        rows = [row for row in await stored_rows(app, "outbound")]
    updates = [row.payload for row in rows if row.message_type == "order_status"]
    assert [(u["reference_id"], u["status"], u["payment_status"]) for u in updates] == [
        ("padaria.P-501.1", "processing", "captured"),
        ("padaria.P-501.1", "processing", None),
    ]
    assert "Pagamento recebido" in updates[0]["body"]
    assert "pronto para retirada em Padaria Sol Centro" in updates[1]["body"]
