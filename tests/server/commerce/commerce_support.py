"""Helpers for commerce tests: a Stripe event signed like Stripe signs it, a placed order."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from fastapi import FastAPI

from nodes.commerce.ports import LineRequest, Placed, PlaceOrder
from nodes.tenants import load_catalog, load_profile
from server.chat_payloads import ChatUser, text_payload
from server.commerce import orders
from server.commerce.catalog import ensure_seeded
from server.commerce.payments.stripe import SIGNATURE_HEADER, signature_header
from server.resources import Resources
from server.store import repository
from server.whatsapp import parse_webhook

WEBHOOK_SECRET = "whsec_test_secret"
STRIPE_ENV = {
    "STRIPE_SECRET_KEY": "sk_test_123",
    "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
}
CUSTOMER = ChatUser(wa_id="5511987650001", name="Ana")


def checkout_session_event(
    event_id: str,
    session_id: str,
    *,
    amount: int,
    currency: str = "usd",
    reference: str | None = None,
    order_number: str | None = None,
    event_type: str = "checkout.session.completed",
    payment_status: str = "paid",
) -> dict[str, Any]:
    """A Stripe event wrapping a Checkout Session, in the shape Stripe documents."""
    return {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "data": {
            "object": {
                "id": session_id,
                "object": "checkout.session",
                "amount_total": amount,
                "currency": currency,
                "client_reference_id": order_number,
                "metadata": {"reference": reference} if reference else {},
                "payment_status": payment_status,
                "status": "complete",
            }
        },
    }


def signed(event: dict[str, Any], secret: str = WEBHOOK_SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    return body, {
        SIGNATURE_HEADER: signature_header(body, secret),
        "Content-Type": "application/json",
    }


async def post_stripe(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    *,
    secret: str = WEBHOOK_SECRET,
    path: str = "",
) -> httpx.Response:
    body, headers = signed(event, secret)
    return await client.post(f"/payments/stripe/webhook{path}", content=body, headers=headers)


def stripe_session(session_id: str, amount: int, url: str | None = None) -> dict[str, Any]:
    """What `POST /v1/checkout/sessions` answers (the fields we read)."""
    return {
        "id": session_id,
        "object": "checkout.session",
        "url": url or f"https://checkout.stripe.com/c/pay/{session_id}",
        "amount_total": amount,
        "currency": "usd",
        "status": "open",
        "payment_status": "unpaid",
        "expires_at": int(time.time()) + 86400,
    }


async def customer_wrote(
    resources: Resources, user: ChatUser = CUSTOMER, wamid: str = "wamid.C1"
) -> None:
    """An inbound message from the customer: their 24-hour window is open."""
    message = parse_webhook(text_payload(user, wamid, "hola")).messages[0]
    async with resources.sessions.begin() as session:
        await repository.store_inbound(session, message)


async def place(
    resources: Resources,
    key: str = "confirm-1",
    *,
    method: str = "card_link",
    user: ChatUser = CUSTOMER,
) -> Placed:
    profile = load_profile("demo")
    async with resources.sessions.begin() as session:
        await ensure_seeded(session, "demo", load_catalog(profile))
    result = await orders.place_order(
        resources.sessions,
        PlaceOrder(
            tenant="demo",
            phone_number_id=user.phone_number_id,
            wa_id=user.wa_id,
            confirmation_key=key,
            lines=(LineRequest("MUG-BLUE", 2),),
            fulfilment="delivery",
            payment_method=method,  # type: ignore[arg-type]
            customer_name=user.name,
            language="es",
            shipping_minor=400,
            delivery_zone="sp-centro",
            address="Rua Augusta 10",
        ),
        profile.commerce,
    )
    assert isinstance(result, Placed)
    return result


def app_resources(app: FastAPI) -> Resources:
    resources: Resources = app.state.resources
    return resources
