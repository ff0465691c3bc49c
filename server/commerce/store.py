"""The production `CommerceStore`: the lane's port onto the order service, SQL and Stripe.

Everything here delegates to the services that keep the promises (`orders` places once per
confirmation key and takes stock atomically; `payments.service` starts one payment per
order); this adapter adds the customer's view: only their own orders, and a cancellation
in the chat recorded as the customer's and told in the chat itself (`notified="in_chat"`,
so the notifier does not send it a second time).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update

from nodes.commerce.ports import (
    CancelOutcome,
    CancelRefused,
    OrderQuery,
    OrderView,
    PaymentView,
    PlaceOrder,
    PlaceResult,
)
from nodes.commerce.statuses import OrderStatus
from nodes.tenants.catalog import Catalog
from server.commerce import orders
from server.commerce.catalog import ensure_seeded, read_catalog
from server.commerce.models import OrderEvent
from server.commerce.payments.base import ProviderRefused
from server.commerce.payments.service import start_payment
from server.commerce.runtime import Commerce
from server.logging import get_logger

log = get_logger(__name__)


class SqlCommerceStore:
    def __init__(self, commerce: Commerce) -> None:
        self._commerce = commerce
        self._sessions = commerce.resources.sessions
        self._seeded: set[str] = set()
        """Tenants whose catalog this process saw seeded: their `catalog_states` row exists
        (it is never deleted), so their turns skip the write transaction of the check."""

    async def catalog(self, tenant: str, fallback: Catalog) -> Catalog:
        if tenant not in self._seeded:
            async with self._sessions.begin() as session:
                await ensure_seeded(session, tenant, fallback)
            self._seeded.add(tenant)
        async with self._sessions() as session:
            return await read_catalog(session, tenant, fallback.currency)

    async def offers_card_links(self, tenant: str) -> bool:
        return self._commerce.providers.stripe_for(tenant) is not None

    async def place_order(self, request: PlaceOrder) -> PlaceResult:
        profile = self._commerce.profile(request.tenant)
        result = await orders.place_order(self._sessions, request, profile.commerce)
        log.info(
            "commerce.order.placed",
            outcome=type(result).__name__,
            order=getattr(getattr(result, "order", None), "number", None),
            created=getattr(result, "created", None),
        )
        return result

    async def start_payment(
        self, tenant: str, wa_id: str, number: str, *, idempotency_key: str
    ) -> PaymentView:
        if await self.find_order(tenant, wa_id, number) is None:
            raise ProviderRefused(f"no order {number} for this customer")
        profile = self._commerce.profile(tenant)
        return await start_payment(
            self._sessions,
            number,
            profile,
            self._commerce.providers.stripe_for(tenant),
            return_url=self._commerce.resources.settings.payment_return_url,
        )

    async def recent_orders(self, query: OrderQuery) -> list[OrderView]:
        async with self._sessions() as session:
            found = await orders.recent(
                session, query.tenant, query.wa_id, query.limit, query.statuses
            )
            return [await orders.view(session, order) for order in found]

    def _number(self, tenant: str, number: str) -> str | None:
        prefix = self._commerce.profile(tenant).commerce.order_prefix
        return orders.normalize_number(number, prefix)

    async def find_order(self, tenant: str, wa_id: str, number: str) -> OrderView | None:
        normalized = self._number(tenant, number)
        if normalized is None:
            return None
        async with self._sessions() as session:
            order = await orders.customer_order(session, tenant, wa_id, normalized)
            return await orders.view(session, order) if order is not None else None

    async def cancel_order(
        self, tenant: str, wa_id: str, number: str, *, allowed: Sequence[OrderStatus], key: str
    ) -> CancelOutcome | CancelRefused | None:
        normalized = self._number(tenant, number)
        if normalized is None:
            return None
        async with self._sessions.begin() as session:
            order = await orders.customer_order(session, tenant, wa_id, normalized)
            if order is None:
                return None
            if order.status == "cancelled":
                return CancelOutcome(await orders.view(session, order), changed=False)
            if order.status not in allowed:
                return CancelRefused(await orders.view(session, order), reason="status")
            paid = (
                order.status != "pending_payment" and order.payment_method not in orders.PAY_LATER
            )
            try:
                moved = await orders.move(
                    session, order, "cancelled", actor="customer",
                    details={"refund_due": True, "key": key} if paid else {"key": key},
                )  # fmt: skip
            except orders.InvalidTransition:
                return CancelRefused(await orders.view(session, order), reason="status")
            if moved.event is not None:
                await session.execute(
                    update(OrderEvent)
                    .where(OrderEvent.id == moved.event.id)
                    .values(notified="in_chat")
                )
            view = await orders.view(session, order)
        log.info("commerce.order.cancelled_by_customer", order=normalized, changed=moved.changed)
        return CancelOutcome(view, changed=moved.changed)
