"""Start the payment of an order, and apply a provider's verified webhook event to it.

Starting is idempotent per order: while the latest payment is pending (or paid) it is
returned as it is; a new attempt (`…-2`) is made only after one failed or expired. Our
reference (`demo.A-1042.1`) is unique, and the provider's `Idempotency-Key`, so a turn
retried halfway reuses the provider's first answer.

An event is stored once per (provider, event id): a webhook delivered twice is applied
once. Then, in one transaction, it must name a payment we started, for its exact amount
and currency; anything else is recorded (`unknown_payment`, `amount_mismatch`,
`order_not_payable`), raises an alert and leaves the order untouched.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from nodes.commerce.ports import PaymentView
from nodes.tenants import TenantProfile
from nodes.tenants.commerce import OFFLINE_METHODS
from server import metrics
from server.commerce import orders
from server.commerce.models import Order, OrderEvent, Payment, PaymentEvent
from server.commerce.payments.base import (
    PaymentItem,
    PaymentProvider,
    PaymentRequest,
    ProviderEvent,
    ProviderRefused,
)
from server.commerce.sql import insert_or_ignore
from server.logging import get_logger
from server.store.committed import on_commit
from server.store.models import utcnow

log = get_logger(__name__)
Sessions = async_sessionmaker[AsyncSession]
ALERTS_KEY = "metrics:commerce:alerts"
LAST_ALERT_KEY = "metrics:commerce:last_alert"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def payment_reference(tenant: str, number: str, attempt: int) -> str:
    """`[A-Za-z0-9_.-]`, at most 60 characters (what WhatsApp Payments accepts too)."""
    return _UNSAFE.sub("-", f"{tenant[:30]}.{number}.{attempt}")[:60]


def view_of(payment: Payment, profile: TenantProfile) -> PaymentView:
    pix = profile.commerce.pix
    return PaymentView(
        method=payment.method,  # type: ignore[arg-type]
        status=payment.status,  # type: ignore[arg-type]
        url=payment.url,
        reference=payment.reference,
        pix_key=pix.key if pix and payment.method == "pix" else None,
        pix_key_type=pix.key_type if pix and payment.method == "pix" else None,
        merchant_name=pix.merchant_name if pix and payment.method == "pix" else None,
    )


async def start_payment(
    sessions: Sessions,
    order_number: str,
    profile: TenantProfile,
    provider: PaymentProvider | None,
    *,
    return_url: str,
) -> PaymentView:
    """The order's current payment, or a new one (offline instructions or a provider link)."""
    tenant = profile.tenant_id
    async with sessions() as session:
        order = await orders.find(session, tenant, order_number)
        if order is None:
            raise ProviderRefused(f"no order {order_number}")
        latest = await orders.latest_payment(session, order)
        if latest is not None and latest.status in {"pending", "paid"}:
            return view_of(latest, profile)
        if order.status != "pending_payment":
            raise ProviderRefused(f"order {order_number} is {order.status}; nothing to pay")
        attempts = await session.execute(
            select(func.count(Payment.id)).where(Payment.order_id == order.id)
        )
        reference = payment_reference(tenant, order.number, int(attempts.scalar_one()) + 1)
    values = {
        "order_id": order.id,
        "tenant": tenant,
        "method": order.payment_method,
        "reference": reference,
        "status": "pending",
        "amount_minor": order.total_minor,
        "currency": order.currency,
        "created_at": utcnow(),
        "updated_at": utcnow(),
    }
    if order.payment_method in OFFLINE_METHODS:
        values |= {"provider": "offline"}
    else:
        if provider is None:
            raise ProviderRefused("no payment provider is configured for card links")
        started = await provider.start(_request(order, reference, return_url))
        values |= {
            "provider": started.provider,
            "provider_ref": started.provider_ref,
            "url": started.url,
        }
    async with sessions.begin() as session:
        if await insert_or_ignore(session, Payment, values):
            provider_name = str(values["provider"])
            on_commit(session, lambda: metrics.record_payment(provider_name, "pending"))
        payment = (
            await session.execute(select(Payment).where(Payment.reference == reference))
        ).scalar_one()
    log.info(
        "payments.started",
        order=order.number,
        method=payment.method,
        provider=payment.provider,
        reference=reference,
    )
    return view_of(payment, profile)


def _request(order: Order, reference: str, return_url: str) -> PaymentRequest:
    return PaymentRequest(
        tenant=order.tenant,
        order_number=order.number,
        reference=reference,
        currency=order.currency,
        amount_minor=order.total_minor,
        items=tuple(PaymentItem(ln.name, ln.quantity, ln.unit_minor) for ln in order.lines),
        shipping_minor=order.shipping_minor,
        language=order.language,
        return_url=return_url,
        idempotency_key=reference,
    )


@dataclass(frozen=True, slots=True)
class Applied:
    outcome: str
    """applied, duplicate, ignored, already_paid, failed, expired, unknown_payment,
    amount_mismatch, order_not_payable."""
    order: Order | None = None
    event: OrderEvent | None = None
    """The order's status change to tell the customer about (paid)."""
    payment: Payment | None = None


ALERTING = frozenset({"unknown_payment", "amount_mismatch", "order_not_payable"})


async def apply_event(sessions: Sessions, event: ProviderEvent, *, tenant: str | None) -> Applied:
    """Apply a verified event once; `tenant` restricts it to one tenant's payments."""
    async with sessions.begin() as session:
        fresh = await insert_or_ignore(
            session,
            PaymentEvent,
            {
                "provider": event.provider,
                "event_id": event.event_id[:255],
                "event_type": event.event_type[:100],
                "tenant": tenant or "",
                "outcome": "received",
                "payload": dict(event.raw),
                "created_at": utcnow(),
            },
        )
        if not fresh:
            return await _earlier(session, event)
        result = await _apply(session, event, tenant)
        await session.execute(
            update(PaymentEvent)
            .where(PaymentEvent.provider == event.provider, PaymentEvent.event_id == event.event_id)
            .values(
                outcome=result.outcome,
                payment_id=result.payment.id if result.payment else None,
                tenant=result.payment.tenant if result.payment else tenant or "",
            )
        )
        return result


async def _earlier(session: AsyncSession, event: ProviderEvent) -> Applied:
    """A duplicate delivery: what the first one did, so telling the customer (idempotent)
    can be finished if the first delivery stopped before it."""
    stored = (
        await session.execute(
            select(PaymentEvent).where(
                PaymentEvent.provider == event.provider, PaymentEvent.event_id == event.event_id
            )
        )
    ).scalar_one()
    payment = await session.get(Payment, stored.payment_id) if stored.payment_id else None
    order = await session.get(Order, payment.order_id) if payment is not None else None
    paid_event = None
    if order is not None and stored.outcome == "applied":
        found = await session.execute(
            select(OrderEvent).where(
                OrderEvent.order_id == order.id, OrderEvent.to_status == "paid"
            )
        )
        paid_event = found.scalars().first()
    return Applied("duplicate", order, paid_event, payment)


async def _apply(session: AsyncSession, event: ProviderEvent, tenant: str | None) -> Applied:
    if event.kind == "ignored":
        return Applied("ignored")
    payment = await _payment_of(session, event)
    if payment is None or (tenant is not None and payment.tenant != tenant):
        return Applied("unknown_payment")
    order = await session.get(Order, payment.order_id)
    assert order is not None
    if event.kind != "paid":
        if payment.status == "pending":
            payment.status = event.kind
            payment.updated_at = utcnow()
            on_commit(session, lambda: metrics.record_payment(payment.provider, event.kind))
        return Applied(event.kind, order, payment=payment)
    if (event.amount_minor, (event.currency or "").upper()) != (
        payment.amount_minor,
        payment.currency.upper(),
    ):
        return Applied("amount_mismatch", order, payment=payment)
    if payment.status == "paid":
        return Applied("already_paid", order, payment=payment)
    payment.status, payment.paid_at, payment.updated_at = "paid", utcnow(), utcnow()
    on_commit(session, lambda: metrics.record_payment(payment.provider, "paid"))
    if order.status != "pending_payment":
        return Applied("order_not_payable", order, payment=payment)  # e.g. cancelled: refund
    moved = await orders.move(
        session,
        order,
        "paid",
        actor=f"provider:{event.provider}",
        details={"reference": payment.reference, "event_id": event.event_id},
    )
    return Applied("applied", order, moved.event, payment)


async def _payment_of(session: AsyncSession, event: ProviderEvent) -> Payment | None:
    if event.provider_ref:
        found = await session.execute(
            select(Payment).where(
                Payment.provider == event.provider, Payment.provider_ref == event.provider_ref
            )
        )
        payment = found.scalar_one_or_none()
        if payment is not None:
            return payment
    if event.reference:
        found = await session.execute(select(Payment).where(Payment.reference == event.reference))
        return found.scalar_one_or_none()
    return None


async def raise_alert(redis: aioredis.Redis, kind: str, **fields: object) -> None:
    """An operator must look (money taken for a cancelled order, a wrong amount, ...)."""
    log.error("commerce.alert", False, kind=kind, **fields)
    try:
        await redis.hincrby(ALERTS_KEY, kind, 1)  # type: ignore[misc]
        alert = {
            "kind": kind,
            "at": round(time.time(), 3),
            **{k: str(v) for k, v in fields.items()},
        }
        await redis.set(LAST_ALERT_KEY, json.dumps(alert))
    except (OSError, RedisError):  # the log line is the alert; counters are extra
        log.warning("commerce.alert_not_counted", kind=kind)
