"""Stripe Checkout links (HTTP mocked with respx) and its signed webhook, end to end on the app."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from commerce_support import (
    STRIPE_ENV,
    app_resources,
    checkout_session_event,
    customer_wrote,
    place,
    post_stripe,
    signed,
    stripe_session,
)
from sqlalchemy import func, select
from webhook_support import running_app, stored_rows

from nodes.tenants import load_profile
from server.commerce import orders
from server.commerce.models import Order, Payment, PaymentEvent
from server.commerce.payments import ProviderRefused, ProviderUnavailable
from server.commerce.payments.service import start_payment
from server.commerce.payments.stripe import signature_header
from server.commerce.webhooks import commerce_of

SESSIONS_URL = "https://api.stripe.com/v1/checkout/sessions"


async def _order(app, number: str) -> Order:  # type: ignore[no-untyped-def]
    async with app_resources(app).sessions() as session:
        order = await orders.find(session, "demo", number)
    assert order is not None
    return order


async def _count(app, model) -> int:  # type: ignore[no-untyped-def]
    async with app_resources(app).sessions() as session:
        return int((await session.execute(select(func.count(model.id)))).scalar_one())


async def _start(app, number: str):  # type: ignore[no-untyped-def]
    commerce = commerce_of_app(app)
    return await start_payment(
        app_resources(app).sessions,
        number,
        load_profile("demo"),
        commerce.providers.stripe_for("demo"),
        return_url="https://wa.me/15550001234",
    )


def commerce_of_app(app):  # type: ignore[no-untyped-def]
    return commerce_of(type("R", (), {"app": app})())


@respx.mock
async def test_a_payment_link_is_created_once_with_the_order_as_reference(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    route = respx.post(SESSIONS_URL).mock(
        return_value=httpx.Response(200, json=stripe_session("cs_test_1", 2800))
    )
    async with running_app(monkeypatch, redis_url, **STRIPE_ENV) as (_client, app):
        placed = await place(app_resources(app))
        first = await _start(app, placed.order.number)
        again = await _start(app, placed.order.number)
        assert await _count(app, Payment) == 1
    assert route.call_count == 1
    assert first == again
    assert first.url == "https://checkout.stripe.com/c/pay/cs_test_1"
    request = route.calls[0].request
    form = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
    assert request.headers["Authorization"] == "Bearer sk_test_123"
    assert request.headers["Idempotency-Key"] == "demo.A-1001.1"
    assert form["client_reference_id"] == "A-1001"
    assert form["metadata[reference]"] == "demo.A-1001.1"
    assert form["line_items[0][price_data][unit_amount]"] == "1200"
    assert form["line_items[0][quantity]"] == "2"
    assert form["line_items[1][price_data][unit_amount]"] == "400"  # delivery fee
    assert form["line_items[0][price_data][currency]"] == "usd"
    assert form["locale"] == "es"


@respx.mock
@pytest.mark.parametrize(
    ("status", "error"),
    [(500, ProviderUnavailable), (429, ProviderUnavailable), (401, ProviderRefused)],
)
async def test_a_provider_failure_creates_no_payment(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, status: int, error: type[Exception]
) -> None:
    respx.post(SESSIONS_URL).mock(
        return_value=httpx.Response(status, json={"error": {"type": "api_error"}})
    )
    async with running_app(monkeypatch, redis_url, **STRIPE_ENV) as (_client, app):
        placed = await place(app_resources(app))
        with pytest.raises(error):
            await _start(app, placed.order.number)
        assert await _count(app, Payment) == 0
        assert (await _order(app, placed.order.number)).status == "pending_payment"


@respx.mock
async def test_the_signed_webhook_marks_the_order_paid_and_tells_the_customer_once(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    respx.post(SESSIONS_URL).mock(
        return_value=httpx.Response(200, json=stripe_session("cs_test_2", 2800))
    )
    async with running_app(monkeypatch, redis_url, **STRIPE_ENV) as (client, app):
        await customer_wrote(app_resources(app))
        placed = await place(app_resources(app))
        payment = await _start(app, placed.order.number)
        event = checkout_session_event(
            "evt_1", "cs_test_2", amount=2800, reference=payment.reference, order_number="A-1001"
        )
        answers = [await post_stripe(client, event) for _ in range(2)]
        assert [a.json()["outcome"] for a in answers] == ["applied", "duplicate"]
        order = await _order(app, "A-1001")
        outbound = await stored_rows(app, "outbound")
        assert await _count(app, PaymentEvent) == 1
    assert order.status == "paid"
    assert [row.text for row in outbound] == [
        "Recibimos tu pago, ¡gracias! El pedido A-1001 se está preparando."
    ]
    assert outbound[0].idempotency_key.startswith("order-event:")
    assert (outbound[0].status, outbound[0].wa_id) == ("logged", "5511987650001")


async def test_a_bad_signature_is_refused_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    async with running_app(monkeypatch, redis_url, **STRIPE_ENV) as (client, app):
        await place(app_resources(app), method="pay_in_store")
        event = checkout_session_event("evt_x", "cs_x", amount=2800, order_number="A-1001")
        wrong_secret = await post_stripe(client, event, secret="whsec_other")
        body, headers = signed(event)
        tampered = await client.post(
            "/payments/stripe/webhook", content=body.replace(b"2800", b"2801"), headers=headers
        )
        no_header = await client.post("/payments/stripe/webhook", content=body)
        old = dict(
            headers,
            **{
                "Stripe-Signature": signature_header(
                    body, "whsec_test_secret", int(time.time()) - 3600
                )
            },
        )
        stale = await client.post("/payments/stripe/webhook", content=body, headers=old)
        assert await _count(app, PaymentEvent) == 0
        assert (await _order(app, "A-1001")).status == "pending_payment"
    assert [r.status_code for r in (wrong_secret, tampered, no_header, stale)] == [401] * 4


@respx.mock
async def test_a_wrong_amount_or_an_unknown_payment_leaves_the_order_alone_and_alerts(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    respx.post(SESSIONS_URL).mock(
        return_value=httpx.Response(200, json=stripe_session("cs_test_3", 2800))
    )
    async with running_app(monkeypatch, redis_url, **STRIPE_ENV) as (client, app):
        placed = await place(app_resources(app))
        await _start(app, placed.order.number)
        with caplog.at_level(logging.ERROR):
            short = await post_stripe(
                client, checkout_session_event("evt_a", "cs_test_3", amount=100)
            )
            euro = await post_stripe(
                client, checkout_session_event("evt_b", "cs_test_3", amount=2800, currency="eur")
            )
            unknown = await post_stripe(
                client, checkout_session_event("evt_c", "cs_nope", amount=2800)
            )
        order = await _order(app, "A-1001")
        outbound = await stored_rows(app, "outbound")
    assert [r.json()["outcome"] for r in (short, euro, unknown)] == [
        "amount_mismatch",
        "amount_mismatch",
        "unknown_payment",
    ]
    assert order.status == "pending_payment" and not outbound
    alerts = [r for r in caplog.records if r.getMessage() == "commerce.alert"]
    assert len(alerts) == 3


async def test_without_a_configured_account_the_endpoint_does_not_exist(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    async with running_app(monkeypatch, redis_url) as (client, _app):
        event = checkout_session_event("evt_1", "cs_1", amount=1)
        assert (await post_stripe(client, event)).status_code == 404
        assert (await post_stripe(client, event, path="/other")).status_code == 404
