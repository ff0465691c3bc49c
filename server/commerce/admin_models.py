"""Request and response bodies of the admin API (they make its OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from nodes.commerce.money import format_money
from nodes.commerce.statuses import OrderStatus
from server.commerce.models import Order, OrderEvent, Payment, Product

Action = Literal["mark_paid", "prepare", "ship", "ready", "deliver", "cancel"]


class Money(BaseModel):
    minor: int
    """Integer minor units (cents)."""
    currency: str
    display: str
    """As the customer reads it ("USD 12.00", "R$ 12,00")."""

    @classmethod
    def of(cls, minor: int, currency: str, locale: str) -> Money:
        return cls(minor=minor, currency=currency, display=format_money(minor, currency, locale))


class LineOut(BaseModel):
    sku: str
    name: str
    quantity: int
    unit: Money
    total: Money


class EventOut(BaseModel):
    at: datetime
    from_status: str | None
    to_status: str
    actor: str
    reason: str | None
    details: dict[str, object]
    customer_notified: str | None
    """session, template, in_chat, not_possible (no template outside the 24 h window)."""


class PaymentOut(BaseModel):
    reference: str
    method: str
    provider: str
    provider_ref: str | None
    status: str
    amount: Money
    url: str | None
    created_at: datetime
    paid_at: datetime | None


class OrderSummary(BaseModel):
    number: str
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    customer_wa_id: str
    customer_name: str
    fulfilment: str
    payment_method: str
    total: Money


class OrderOut(OrderSummary):
    language: str
    phone_number_id: str
    delivery_zone: str | None
    address: str | None
    location: tuple[float, float] | None
    pickup_location: str | None
    subtotal: Money
    shipping: Money
    lines: list[LineOut]
    payments: list[PaymentOut]
    history: list[EventOut]


class OrderPage(BaseModel):
    orders: list[OrderSummary]
    next_cursor: int | None
    """Pass as `before` for the next (older) page; null on the last page."""


class ActionIn(BaseModel):
    action: Action
    reason: str | None = Field(default=None, max_length=500)
    """Required to cancel; told to the customer."""
    tracking: str | None = Field(default=None, max_length=200)
    """A tracking code or link, told to the customer with `ship`."""


class ActionOut(BaseModel):
    order: OrderOut
    changed: bool
    """False when the order already had that status (nothing was sent again)."""
    customer_notified: str | None
    refund_due: bool = False
    """A cancelled order that was paid: refund it with the payment provider."""


class ProductOut(BaseModel):
    sku: str
    name: dict[str, str]
    description: dict[str, str]
    price: Money
    stock: int
    active: bool
    keywords: list[str]


class ImportOut(BaseModel):
    created: int = 0
    updated: int = 0
    deactivated: int = 0


class RowErrorOut(BaseModel):
    row: int
    field: str
    message: str


class ImportRejectedOut(BaseModel):
    error: str
    errors: list[RowErrorOut]


def summary(order: Order, locale: str) -> OrderSummary:
    return OrderSummary(
        number=order.number,
        status=order.status,  # type: ignore[arg-type]
        created_at=order.created_at,
        updated_at=order.updated_at,
        customer_wa_id=order.wa_id,
        customer_name=order.customer_name,
        fulfilment=order.fulfilment,
        payment_method=order.payment_method,
        total=Money.of(order.total_minor, order.currency, locale),
    )


def detail(
    order: Order, payments: list[Payment], events: list[OrderEvent], locale: str
) -> OrderOut:
    money = lambda minor: Money.of(minor, order.currency, locale)  # noqa: E731
    location = (
        (order.latitude, order.longitude)
        if order.latitude is not None and order.longitude is not None
        else None
    )
    return OrderOut(
        **summary(order, locale).model_dump(),
        language=order.language,
        phone_number_id=order.phone_number_id,
        delivery_zone=order.delivery_zone,
        address=order.address,
        location=location,
        pickup_location=order.pickup_location,
        subtotal=money(order.subtotal_minor),
        shipping=money(order.shipping_minor),
        lines=[
            LineOut(
                sku=ln.sku,
                name=ln.name,
                quantity=ln.quantity,
                unit=money(ln.unit_minor),
                total=money(ln.total_minor),
            )
            for ln in order.lines
        ],
        payments=[
            PaymentOut(
                reference=p.reference,
                method=p.method,
                provider=p.provider,
                provider_ref=p.provider_ref,
                status=p.status,
                amount=money(p.amount_minor),
                url=p.url,
                created_at=p.created_at,
                paid_at=p.paid_at,
            )
            for p in payments
        ],
        history=[
            EventOut(
                at=e.created_at,
                from_status=e.from_status,
                to_status=e.to_status,
                actor=e.actor,
                reason=e.reason,
                details=e.details or {},
                customer_notified=e.notified,
            )
            for e in events
        ],
    )


def product_out(product: Product, locale: str) -> ProductOut:
    return ProductOut(
        sku=product.sku,
        name=product.name,
        description=product.description,
        price=Money.of(product.price_minor, product.currency, locale),
        stock=product.stock,
        active=product.active,
        keywords=list(product.keywords),
    )
