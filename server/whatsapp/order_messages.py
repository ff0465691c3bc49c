"""WhatsApp Payments (Brazil) messages, as Graph API bodies: `order_details` (review and
pay, built by the checkout: `graph.messages.OrderDetailsMessage`) and `order_status` (the
order moved; sent by the server's order notifications).

Rules checked here (see `../shared/reference/whatsapp-commerce.md`, section 4): BRL with
offset 100, `reference_id` of `[A-Za-z0-9_.-]` up to 60 characters, item names up to 60,
at least one item, a payment setting, body up to 1024, footer up to 60; totals are
computed here from the items, so subtotal + tax + shipping always equals the total.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from graph.messages import OrderDetailsMessage
from server.whatsapp.errors import MessageLimitError
from server.whatsapp.limits import BUTTONS_BODY_MAX, FOOTER_MAX, check_length

REFERENCE = re.compile(r"^[A-Za-z0-9_.\-]{1,60}$")
ITEM_NAME_MAX = 60
OFFSET = 100

WhatsAppOrderStatus = Literal["pending", "processing", "partially-shipped", "shipped",
                              "completed", "canceled"]  # fmt: skip


class OrderStatusMessage(BaseModel):
    """An update of an `order_details` order (`review_order`)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["order_status"] = "order_status"
    body: str
    reference_id: str
    status: WhatsAppOrderStatus
    payment_status: Literal["pending", "captured", "failed"] | None = None
    payment_timestamp: int | None = None


class OrderMessageError(MessageLimitError):
    """The order message breaks a WhatsApp Payments rule (permanent: fix the data)."""


def _money(minor: int) -> dict[str, int]:
    return {"value": minor, "offset": OFFSET}


def _reference(value: str) -> None:
    if not REFERENCE.match(value):
        raise OrderMessageError(f"reference_id {value!r}: [A-Za-z0-9_.-], at most 60 characters")


def order_details_body(message: OrderDetailsMessage) -> dict[str, Any]:
    check_length("body", message.body, BUTTONS_BODY_MAX, required=True)
    check_length("footer", message.footer, FOOTER_MAX)
    _reference(message.reference_id)
    if not message.items:
        raise OrderMessageError("an order_details message needs at least one item")
    if message.pix is None and not message.payment_link:
        raise OrderMessageError("an order_details message needs a Pix code or a payment link")
    settings: list[dict[str, Any]] = []
    if message.pix is not None:
        settings.append({"type": "pix_dynamic_code",
                         "pix_dynamic_code": message.pix.model_dump()})  # fmt: skip
    if message.payment_link:
        settings.append({"type": "payment_link", "payment_link": {"uri": message.payment_link}})
    items = [
        {"retailer_id": item.retailer_id, "name": item.name[:ITEM_NAME_MAX],
         "amount": _money(item.unit_minor), "quantity": item.quantity}
        for item in message.items
    ]  # fmt: skip
    order: dict[str, Any] = {
        "status": "pending",
        "items": items,
        "subtotal": _money(message.subtotal_minor),
        "tax": _money(0),
    }
    if message.shipping_minor:
        order["shipping"] = _money(message.shipping_minor)
    interactive: dict[str, Any] = {
        "type": "order_details",
        "body": {"text": message.body},
        "action": {
            "name": "review_and_pay",
            "parameters": {
                "reference_id": message.reference_id,
                "type": "physical-goods",
                "payment_type": "br",
                "payment_settings": settings,
                "currency": message.currency,
                "total_amount": _money(message.total_minor),
                "order": order,
            },
        },
    }
    if message.footer:
        interactive["footer"] = {"text": message.footer}
    return {"type": "interactive", "interactive": interactive}


def order_status_body(message: OrderStatusMessage) -> dict[str, Any]:
    check_length("body", message.body, BUTTONS_BODY_MAX, required=True)
    _reference(message.reference_id)
    parameters: dict[str, Any] = {
        "reference_id": message.reference_id,
        "order": {"status": message.status},
    }
    if message.payment_status is not None:
        payment: dict[str, Any] = {"status": message.payment_status}
        if message.payment_timestamp is not None:
            payment["timestamp"] = message.payment_timestamp
        parameters["payment"] = payment
    return {
        "type": "interactive",
        "interactive": {
            "type": "order_status",
            "body": {"text": message.body},
            "action": {"name": "review_order", "parameters": parameters},
        },
    }
