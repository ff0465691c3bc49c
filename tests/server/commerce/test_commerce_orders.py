"""The order service on SQLite and PostgreSQL: exactly once, atomic stock, numbers, statuses."""

from __future__ import annotations

import asyncio

import pytest
from conftest import Sessions
from sqlalchemy import func, select

from nodes.commerce.ports import LineRequest, Placed, PlaceOrder, PriceChanged, SoldOut
from nodes.tenants import load_profile
from server.commerce import orders
from server.commerce.models import Order, OrderEvent, Product

SETTINGS = load_profile("demo").commerce


def request(key: str, *lines: tuple[str, int], wa_id: str = "5511900000001", **extra: object):  # type: ignore[no-untyped-def]
    return PlaceOrder(
        tenant="demo",
        phone_number_id="100200300400500",
        wa_id=wa_id,
        confirmation_key=key,
        lines=tuple(LineRequest(sku, quantity) for sku, quantity in lines),
        fulfilment="delivery",
        payment_method="cash_on_delivery",
        customer_name="Ana",
        language="pt",
        shipping_minor=400,
        address="Rua Augusta 10",
        **extra,  # type: ignore[arg-type]
    )


async def stock(sessions: Sessions, sku: str) -> int:
    async with sessions() as session:
        result = await session.execute(
            select(Product.stock).where(Product.tenant == "demo", Product.sku == sku)
        )
        return int(result.scalar_one())


async def order_count(sessions: Sessions) -> int:
    async with sessions() as session:
        return int((await session.execute(select(func.count(Order.id)))).scalar_one())


async def test_an_order_is_created_once_per_confirmation_even_when_confirmed_concurrently(
    sessions: Sessions,
) -> None:
    first = request("confirm-1", ("MUG-BLUE", 2), ("COFFEE-250", 1))
    results = await asyncio.gather(
        *(orders.place_order(sessions, first, SETTINGS) for _ in range(4))
    )
    placed = [r for r in results if isinstance(r, Placed)]
    assert len(placed) == 4
    assert [r.created for r in placed].count(True) == 1
    assert {r.order.number for r in placed} == {"A-1001"}
    assert await order_count(sessions) == 1
    assert await stock(sessions, "MUG-BLUE") == 6  # 8 - 2, taken once
    order = placed[0].order
    assert (order.subtotal_minor, order.shipping_minor, order.total_minor) == (3350, 400, 3750)
    assert order.status == "pending_payment"


async def test_numbers_are_sequential_per_tenant(sessions: Sessions) -> None:
    numbers = []
    for index in range(3):
        result = await orders.place_order(sessions, request(f"k{index}", ("TOTE-BAG", 1)), SETTINGS)
        assert isinstance(result, Placed)
        numbers.append(result.order.number)
    assert numbers == ["A-1001", "A-1002", "A-1003"]


async def test_a_short_item_creates_nothing_and_says_how_many_are_left(sessions: Sessions) -> None:
    result = await orders.place_order(
        sessions, request("k", ("COFFEE-250", 2), ("FRENCH-PRESS", 6)), SETTINGS
    )
    assert isinstance(result, SoldOut)
    assert [(s.sku, s.requested, s.available) for s in result.shortages] == [("FRENCH-PRESS", 6, 5)]
    assert await order_count(sessions) == 0
    assert await stock(sessions, "COFFEE-250") == 40  # the other line's stock is given back
    again = await orders.place_order(sessions, request("k2", ("TOTE-BAG", 1)), SETTINGS)
    assert isinstance(again, Placed) and again.order.number == "A-1001"


async def test_an_unknown_product_or_a_changed_total_creates_nothing(sessions: Sessions) -> None:
    unknown = await orders.place_order(sessions, request("k", ("NOPE", 1)), SETTINGS)
    assert isinstance(unknown, SoldOut) and unknown.shortages[0].available == 0
    changed = await orders.place_order(
        sessions, request("k", ("MUG-BLUE", 1), expected_total_minor=999), SETTINGS
    )
    assert isinstance(changed, PriceChanged) and changed.total_minor == 1600
    assert await order_count(sessions) == 0


async def test_transitions_are_enforced_and_recorded_with_actor(sessions: Sessions) -> None:
    placed = await orders.place_order(sessions, request("k", ("MUG-BLUE", 1)), SETTINGS)
    assert isinstance(placed, Placed)
    async with sessions.begin() as session:
        order = await orders.find(session, "demo", placed.order.number)
        assert order is not None
        with pytest.raises(orders.InvalidTransition, match="pending_payment"):
            await orders.move(session, order, "delivered", actor="merchant:test")
        with pytest.raises(orders.InvalidTransition, match="delivery order"):
            await orders.move(session, order, "ready_for_pickup", actor="merchant:test")
        moved = await orders.move(session, order, "preparing", actor="merchant:test")
        assert moved.changed  # cash on delivery: accepted unpaid
        again = await orders.move(session, order, "preparing", actor="merchant:test")
        assert not again.changed
        await orders.move(session, order, "shipped", actor="merchant:test", reason="courier")
        events = await orders.events_of(session, order)
    assert [(e.from_status, e.to_status, e.actor) for e in events] == [
        (None, "pending_payment", "customer"),
        ("pending_payment", "preparing", "merchant:test"),
        ("preparing", "shipped", "merchant:test"),
    ]
    assert all(e.created_at is not None for e in events)


async def test_cancelling_gives_the_stock_back_once(sessions: Sessions) -> None:
    placed = await orders.place_order(sessions, request("k", ("FRENCH-PRESS", 3)), SETTINGS)
    assert isinstance(placed, Placed)
    assert await stock(sessions, "FRENCH-PRESS") == 2
    for _ in range(2):
        async with sessions.begin() as session:
            order = await orders.find(session, "demo", placed.order.number)
            assert order is not None
            await orders.move(session, order, "cancelled", actor="customer", reason="changed mind")
    assert await stock(sessions, "FRENCH-PRESS") == 5
    async with sessions() as session:
        count = await session.execute(select(func.count(OrderEvent.id)))
        assert count.scalar_one() == 2  # created + cancelled


async def test_a_customer_only_sees_their_own_orders(sessions: Sessions) -> None:
    placed = await orders.place_order(sessions, request("k", ("MUG-BLUE", 1)), SETTINGS)
    assert isinstance(placed, Placed)
    async with sessions() as session:
        mine = await orders.customer_order(session, "demo", "5511900000001", "A-1001")
        theirs = await orders.customer_order(session, "demo", "5511900000002", "A-1001")
    assert mine is not None and theirs is None


@pytest.mark.parametrize(
    ("text", "number"),
    [("1042", "A-1042"), ("#A-1042", "A-1042"), ("a1042", "A-1042"), ("B 7", "B-7"), ("abc", None)],
)
def test_order_numbers_are_normalized(text: str, number: str | None) -> None:
    assert orders.normalize_number(text, "A") == number
