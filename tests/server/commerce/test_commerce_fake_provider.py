"""`convo fake-provider` speaks Stripe's Checkout API closely enough for the real client, and
its Pay button delivers a webhook that the real endpoint accepts (signature included)."""

from __future__ import annotations

import httpx
import pytest
from commerce_support import STRIPE_ENV, WEBHOOK_SECRET, app_resources, customer_wrote, place
from webhook_support import running_app, stored_rows

from nodes.tenants import load_profile
from server.commerce import orders
from server.commerce.payments.fake import FakeStripe, build_fake_app
from server.commerce.payments.service import start_payment
from server.commerce.payments.stripe import StripeCheckout


async def test_pay_on_the_fake_page_marks_the_order_paid_through_the_signed_webhook(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    async with running_app(monkeypatch, redis_url, **STRIPE_ENV) as (client, app):
        webhook = "http://testserver/payments/stripe/webhook"
        fake = FakeStripe("http://fake", webhook, WEBHOOK_SECRET, http=client)
        fake_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=build_fake_app(fake)))
        stripe = StripeCheckout(
            secret_key="sk_test_x",
            webhook_secret=WEBHOOK_SECRET,
            base_url="http://fake",
            http=fake_http,
        )
        await customer_wrote(app_resources(app))
        placed = await place(app_resources(app))
        payment = await start_payment(
            app_resources(app).sessions,
            placed.order.number,
            load_profile("demo"),
            stripe,
            return_url="https://wa.me/",
        )
        assert payment.url is not None and payment.url.startswith("http://fake/pay/cs_fake_")
        page = await fake_http.get(payment.url)
        assert "Pay USD 28.00" in page.text

        paid = await fake_http.post(payment.url, data={"outcome": "pay"})
        async with app_resources(app).sessions() as session:
            order = await orders.find(session, "demo", "A-1001")
        outbound = await stored_rows(app, "outbound")
        await fake_http.aclose()
    assert "answered the webhook with 200" in paid.text
    assert order is not None and order.status == "paid"
    assert [row.text for row in outbound] == [
        "Recibimos tu pago, ¡gracias! El pedido A-1001 se está preparando."
    ]


async def test_the_fake_provider_signs_its_events_like_stripe() -> None:
    received: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200, json={"received": True})

    fake = FakeStripe("http://fake", "http://service/payments/stripe/webhook", WEBHOOK_SECRET)
    session = fake.create(
        {
            "line_items[0][quantity]": "2",
            "line_items[0][price_data][unit_amount]": "1200",
            "line_items[0][price_data][currency]": "usd",
            "metadata[reference]": "demo.A-1.1",
            "client_reference_id": "A-1",
        },
        "k",
    )
    assert fake.create({}, "k") is session  # same idempotency key, same session
    async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as http:
        fake.http = http
        status, _ = await fake.settle(session["id"], paid=True)
    assert status == 200
    stripe = StripeCheckout(secret_key="sk", webhook_secret=WEBHOOK_SECRET)
    event = stripe.verify_event(received[0].headers, received[0].content)
    assert (event.kind, event.amount_minor, event.reference) == ("paid", 2400, "demo.A-1.1")
