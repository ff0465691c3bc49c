"""The order service: place orders exactly once, move them along their statuses.

- **Exactly once.** An order is keyed by `(tenant, confirmation_key)`; a repeated
  confirmation (a retried turn, a confirm button tapped twice, two workers at once) finds
  the first order instead of creating another: the unique key settles any race.
- **Stock.** In the same transaction as the order, each line's stock is taken with a
  conditional `UPDATE ... SET stock = stock - q WHERE stock >= q`; one line short rolls the
  whole order back, so an order is never created half-way. Cancelling gives stock back.
- **Numbers.** Per tenant and human-friendly (`A-1042`), from a counter row incremented in
  the order's transaction (a rolled-back order does not use up a number on PostgreSQL).
- **Statuses.** `nodes.commerce.statuses` is the table of allowed moves; a move is a
  compare-and-set UPDATE and writes an `order_events` row (from, to, actor, reason, time).
  Moving to the status an order already has is a no-op (`changed=False`), which makes a
  repeated admin call or provider webhook harmless.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from nodes.commerce.ports import (
    OrderLineView,
    OrderView,
    Placed,
    PlaceOrder,
    PlaceResult,
    PriceChanged,
    Shortage,
    SoldOut,
)
from nodes.commerce.statuses import ALLOWED_FROM, OrderStatus
from nodes.tenants.commerce import CommerceSettings
from server import metrics
from server.commerce.models import Order, OrderCounter, OrderEvent, OrderLine, Payment, Product
from server.commerce.sql import insert_or_ignore, rowcount
from server.store.committed import on_commit
from server.store.models import utcnow

Sessions = async_sessionmaker[AsyncSession]
PAY_LATER = frozenset({"cash_on_delivery", "pay_in_store"})


class OrderError(Exception):
    """Base of the order service's refusals (permanent: retrying does not help)."""


class InvalidTransition(OrderError):
    def __init__(self, number: str, current: str, to: str, why: str = "") -> None:
        self.number, self.current, self.to = number, current, to
        because = f": {why}" if why else ""
        super().__init__(f"order {number} is {current}; it cannot become {to}{because}")


@dataclass(frozen=True, slots=True)
class Moved:
    order: Order
    event: OrderEvent | None
    """None when the order already had the status (nothing changed, nobody is told)."""

    @property
    def changed(self) -> bool:
        return self.event is not None


class _Short(Exception):
    def __init__(self, shortages: list[Shortage]) -> None:
        self.shortages = shortages


def normalize_number(text: str, prefix: str) -> str | None:
    """ "#A-1042", "a1042", "1042" -> "A-1042"; None when it is not an order number."""
    match = re.fullmatch(r"\s*#?\s*([A-Za-z]{0,3})\s*[-\s]?\s*(\d{1,9})\s*", text)
    if not match:
        return None
    letters = match.group(1).upper() or prefix
    return f"{letters}-{int(match.group(2))}"


async def _next_number(session: AsyncSession, tenant: str, settings: CommerceSettings) -> str:
    await insert_or_ignore(
        session, OrderCounter, {"tenant": tenant, "last_value": settings.first_order_number - 1}
    )
    result = await session.execute(
        update(OrderCounter)
        .where(OrderCounter.tenant == tenant)
        .values(last_value=OrderCounter.last_value + 1)
        .returning(OrderCounter.last_value)
    )
    return f"{settings.order_prefix}-{result.scalar_one()}"


async def by_confirmation(session: AsyncSession, tenant: str, key: str) -> Order | None:
    result = await session.execute(
        select(Order).where(Order.tenant == tenant, Order.confirmation_key == key)
    )
    return result.scalar_one_or_none()


async def _products(session: AsyncSession, tenant: str, skus: Sequence[str]) -> dict[str, Product]:
    result = await session.execute(
        select(Product).where(Product.tenant == tenant, Product.sku.in_(list(skus)))
    )
    return {row.sku: row for row in result.scalars()}


async def _take_stock(session: AsyncSession, tenant: str, request: PlaceOrder) -> None:
    short: list[Shortage] = []
    for line in request.lines:
        result = await session.execute(
            update(Product)
            .where(
                Product.tenant == tenant,
                Product.sku == line.sku,
                Product.active.is_(True),
                Product.stock >= line.quantity,
            )
            .values(stock=Product.stock - line.quantity, updated_at=utcnow())
        )
        if not rowcount(result):
            left = await session.execute(
                select(Product.stock).where(
                    Product.tenant == tenant, Product.sku == line.sku, Product.active.is_(True)
                )
            )
            short.append(Shortage(line.sku, line.quantity, left.scalar_one_or_none() or 0))
    if short:
        raise _Short(short)


async def place_order(
    sessions: Sessions, request: PlaceOrder, settings: CommerceSettings
) -> PlaceResult:
    """Create the order of a confirmed checkout, once (see the module docstring)."""
    tenant = request.tenant
    try:
        async with sessions.begin() as session:
            existing = await by_confirmation(session, tenant, request.confirmation_key)
            if existing is not None:
                return Placed(await view(session, existing), created=False)
            products = await _products(session, tenant, [line.sku for line in request.lines])
            missing = [
                Shortage(line.sku, line.quantity, 0)
                for line in request.lines
                if line.sku not in products or not products[line.sku].active
            ]
            if missing:
                return SoldOut(tuple(missing))
            subtotal = sum(products[ln.sku].price_minor * ln.quantity for ln in request.lines)
            total = subtotal + request.shipping_minor
            if request.expected_total_minor is not None and total != request.expected_total_minor:
                return PriceChanged(total)
            order = Order(
                tenant=tenant,
                number=await _next_number(session, tenant, settings),
                confirmation_key=request.confirmation_key,
                phone_number_id=request.phone_number_id,
                wa_id=request.wa_id,
                customer_name=request.customer_name[:200],
                language=request.language,
                status="pending_payment",
                fulfilment=request.fulfilment,
                delivery_zone=request.delivery_zone,
                address=request.address,
                latitude=request.latitude,
                longitude=request.longitude,
                pickup_location=request.pickup_location,
                payment_method=request.payment_method,
                currency=settings.currency,
                subtotal_minor=subtotal,
                shipping_minor=request.shipping_minor,
                total_minor=total,
            )
            session.add(order)
            await session.flush()  # claims the confirmation key first (unique index)
            await _take_stock(session, tenant, request)
            for line in request.lines:
                product = products[line.sku]
                session.add(
                    OrderLine(
                        order_id=order.id,
                        sku=line.sku,
                        name=product.name.get("en", line.sku),
                        quantity=line.quantity,
                        unit_minor=product.price_minor,
                        total_minor=product.price_minor * line.quantity,
                    )
                )
            session.add(
                OrderEvent(
                    order_id=order.id,
                    from_status=None,
                    to_status="pending_payment",
                    actor="customer",
                    details={},
                    notified="in_chat",
                )
            )
            await session.flush()
            await session.refresh(order, ["lines"])
            on_commit(session, lambda: metrics.record_order("pending_payment"))
            return Placed(await view(session, order), created=True)
    except _Short as short:
        return SoldOut(tuple(short.shortages))
    except IntegrityError:
        # Another run of this confirmation committed first: its order is the order.
        async with sessions() as session:
            existing = await by_confirmation(session, tenant, request.confirmation_key)
            if existing is None:
                raise
            return Placed(await view(session, existing), created=False)


async def find(session: AsyncSession, tenant: str, number: str) -> Order | None:
    result = await session.execute(
        select(Order).where(Order.tenant == tenant, Order.number == number)
    )
    return result.scalar_one_or_none()


async def customer_order(
    session: AsyncSession, tenant: str, wa_id: str, number: str
) -> Order | None:
    """The order only if it belongs to this customer (else None, like a missing one)."""
    order = await find(session, tenant, number)
    return order if order is not None and order.wa_id == wa_id else None


async def recent(
    session: AsyncSession, tenant: str, wa_id: str, limit: int, statuses: Sequence[str] = ()
) -> list[Order]:
    query = select(Order).where(Order.tenant == tenant, Order.wa_id == wa_id)
    if statuses:
        query = query.where(Order.status.in_(list(statuses)))
    result = await session.execute(query.order_by(Order.id.desc()).limit(limit))
    return list(result.scalars())


def _why_not(order: Order, to: OrderStatus) -> str:
    if to == "shipped" and order.fulfilment != "delivery":
        return "it is a pickup order (use 'ready')"
    if to == "ready_for_pickup" and order.fulfilment != "pickup":
        return "it is a delivery order (use 'ship')"
    if order.status not in ALLOWED_FROM[to]:
        return "not allowed from this status"
    unpaid = order.status == "pending_payment"
    if to == "preparing" and unpaid and order.payment_method not in PAY_LATER:
        return "it is not paid yet (mark it paid first)"
    return ""


async def move(
    session: AsyncSession,
    order: Order,
    to: OrderStatus,
    *,
    actor: str,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> Moved:
    """Move `order` to `to` (compare-and-set) and record the event; a no-op when it is
    already there. Raises `InvalidTransition` for a move the table does not allow."""
    if order.status == to:
        return Moved(order, None)
    why = _why_not(order, to)
    if why:
        raise InvalidTransition(order.number, order.status, to, why)
    current = order.status
    result = await session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == current)
        .values(status=to, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.refresh(order)
    if not rowcount(result):  # someone moved it meanwhile
        if order.status == to:
            return Moved(order, None)
        raise InvalidTransition(order.number, order.status, to, "it changed meanwhile")
    event = OrderEvent(
        order_id=order.id,
        from_status=current,
        to_status=to,
        actor=actor,
        reason=reason,
        details=details or {},
    )
    session.add(event)
    on_commit(session, lambda: metrics.record_order(to))
    if to == "cancelled":
        await _give_back_stock(session, order)
        await _close_pending_payments(session, order, "cancelled")
    if to == "delivered" and order.payment_method in PAY_LATER:
        await _settle_pay_later(session, order)
    await session.flush()
    return Moved(order, event)


async def _give_back_stock(session: AsyncSession, order: Order) -> None:
    for line in order.lines:
        await session.execute(
            update(Product)
            .where(Product.tenant == order.tenant, Product.sku == line.sku)
            .values(stock=Product.stock + line.quantity, updated_at=utcnow())
        )


async def _close_pending_payments(session: AsyncSession, order: Order, status: str) -> None:
    await _count_pending_payments(session, order, status)
    await session.execute(
        update(Payment)
        .where(Payment.order_id == order.id, Payment.status == "pending")
        .values(status=status, updated_at=utcnow())
    )


async def _settle_pay_later(session: AsyncSession, order: Order) -> None:
    """Paid to a person on delivery / pickup: the payment is settled when it is handed over."""
    await _count_pending_payments(session, order, "paid")
    await session.execute(
        update(Payment)
        .where(Payment.order_id == order.id, Payment.status == "pending")
        .values(status="paid", paid_at=utcnow(), updated_at=utcnow())
    )


async def _count_pending_payments(session: AsyncSession, order: Order, status: str) -> None:
    """Count the order's pending payments as reaching `status` once the move commits."""
    providers = (
        await session.execute(
            select(Payment.provider).where(
                Payment.order_id == order.id, Payment.status == "pending"
            )
        )
    ).scalars()
    for provider in providers:
        on_commit(session, functools.partial(metrics.record_payment, provider, status))


async def latest_payment(session: AsyncSession, order: Order) -> Payment | None:
    result = await session.execute(
        select(Payment).where(Payment.order_id == order.id).order_by(Payment.id.desc()).limit(1)
    )
    return result.scalar_one_or_none()


async def view(session: AsyncSession, order: Order) -> OrderView:
    """What the lane and the admin API show of an order."""
    payment = await latest_payment(session, order)
    lines = tuple(
        OrderLineView(line.sku, line.name, line.quantity, line.unit_minor, line.total_minor)
        for line in order.lines
    )
    return OrderView(
        number=order.number,
        status=order.status,  # type: ignore[arg-type]
        currency=order.currency,
        lines=lines,
        subtotal_minor=order.subtotal_minor,
        shipping_minor=order.shipping_minor,
        total_minor=order.total_minor,
        fulfilment=order.fulfilment,  # type: ignore[arg-type]
        payment_method=order.payment_method,  # type: ignore[arg-type]
        created_at=order.created_at,
        updated_at=order.updated_at,
        customer_name=order.customer_name,
        address=order.address,
        pickup_location=order.pickup_location,
        payment_status=payment.status if payment else None,
        payment_url=payment.url if payment and payment.status == "pending" else None,
    )


async def events_of(session: AsyncSession, order: Order) -> list[OrderEvent]:
    result = await session.execute(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    )
    return list(result.scalars())


async def count_orders(session: AsyncSession, tenant: str) -> int:
    result = await session.execute(select(func.count(Order.id)).where(Order.tenant == tenant))
    return int(result.scalar_one())


def when(value: datetime) -> str:
    return value.isoformat()
