"""The SQL `CommerceStore` the worker gives the lane: the port's promises on the real store."""

from __future__ import annotations

import pytest
from commerce_support import STRIPE_ENV, app_resources
from sqlalchemy import select
from webhook_support import running_app

from nodes.commerce.ports import (
    CancelOutcome,
    CancelRefused,
    LineRequest,
    OrderQuery,
    Placed,
    PlaceOrder,
)
from nodes.tenants import load_catalog, load_profile
from server.commerce import orders
from server.commerce.models import OrderEvent
from server.commerce.runtime import Commerce
from server.commerce.store import SqlCommerceStore

BUYER, STRANGER = "5511987650201", "5511987650202"


def request(key: str, quantity: int = 2) -> PlaceOrder:
    return PlaceOrder(tenant="demo", phone_number_id="100200300400500", wa_id=BUYER,
                      confirmation_key=key, lines=(LineRequest("MUG-BLUE", quantity),),
                      fulfilment="pickup", payment_method="pay_in_store", customer_name="Ana",
                      language="pt", pickup_location="Casa Aurora Centro")  # fmt: skip


async def test_orders_are_placed_once_and_only_their_customer_sees_or_cancels_them(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    async with running_app(monkeypatch, redis_url) as (_, app):
        store = SqlCommerceStore(Commerce(app_resources(app)))
        catalog = await store.catalog("demo", load_catalog(load_profile("demo")))
        stock = catalog.get("MUG-BLUE").stock  # type: ignore[union-attr]
        first, again = (
            await store.place_order(request("k1")),
            await store.place_order(request("k1")),
        )
        assert isinstance(first, Placed) and isinstance(again, Placed)
        assert (first.created, again.created, first.order.number) == (True, False, "A-1001")
        after = await store.catalog("demo", load_catalog(load_profile("demo")))
        assert after.get("MUG-BLUE").stock == stock - 2  # type: ignore[union-attr]
        assert await store.offers_card_links("demo") is False  # no payment provider set up

        assert await store.find_order("demo", STRANGER, "A-1001") is None
        assert await store.find_order("demo", STRANGER, "1001") is None
        assert (await store.find_order("demo", BUYER, "1001")).number == "A-1001"  # type: ignore[union-attr]
        assert await store.recent_orders(OrderQuery("demo", STRANGER)) == []
        allowed = ("pending_payment", "paid")
        refused_stranger = await store.cancel_order(
            "demo", STRANGER, "A-1001", allowed=allowed, key="c0"
        )
        assert refused_stranger is None

        cancelled = await store.cancel_order("demo", BUYER, "A-1001", allowed=allowed, key="c1")
        assert isinstance(cancelled, CancelOutcome) and cancelled.changed
        repeat = await store.cancel_order("demo", BUYER, "A-1001", allowed=allowed, key="c2")
        assert isinstance(repeat, CancelOutcome) and not repeat.changed
        restored = await store.catalog("demo", load_catalog(load_profile("demo")))
        assert restored.get("MUG-BLUE").stock == stock  # type: ignore[union-attr]
        async with app_resources(app).sessions() as session:
            last = (
                (await session.execute(select(OrderEvent).order_by(OrderEvent.id.desc())))
                .scalars()
                .first()
            )
        assert (last.to_status, last.actor, last.notified) == ("cancelled", "customer", "in_chat")  # type: ignore[union-attr]

        second = await store.place_order(request("k2", 1))
        assert isinstance(second, Placed)
        async with app_resources(app).sessions.begin() as session:
            order = await orders.find(session, "demo", second.order.number)
            await orders.move(session, order, "preparing", actor="merchant:test")  # type: ignore[arg-type]
        refused = await store.cancel_order(
            "demo", BUYER, second.order.number, allowed=allowed, key="c3"
        )
        assert isinstance(refused, CancelRefused) and refused.order.status == "preparing"


async def test_card_links_are_offered_only_with_a_provider(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    async with running_app(monkeypatch, redis_url, **STRIPE_ENV) as (_, app):
        store = SqlCommerceStore(Commerce(app_resources(app)))
        assert await store.offers_card_links("demo") is True


async def test_a_turn_reads_the_catalog_without_writing_once_it_is_seeded(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    """The first read seeds the tenant's catalog; later reads of the same store (every turn
    of the worker) are reads only: no write transaction per turn, same products."""
    from sqlalchemy import event

    async with running_app(monkeypatch, redis_url) as (_, app):
        resources = app_resources(app)
        store = SqlCommerceStore(Commerce(resources))
        statements: list[str] = []

        def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
            statements.append(statement.split(None, 1)[0].upper())

        event.listen(resources.engine.sync_engine, "before_cursor_execute", seen)
        try:
            fallback = load_catalog(load_profile("demo"))
            first = await store.catalog("demo", fallback)
            assert "INSERT" in statements  # seeded (or found seeded) on the first read
            statements.clear()
            again = await store.catalog("demo", fallback)
            assert statements and set(statements) == {"SELECT"}
        finally:
            event.remove(resources.engine.sync_engine, "before_cursor_execute", seen)
        assert again == first
