"""A `CommerceStore` kept in memory: for unit tests, evals and LangGraph Studio.

It keeps the promises of `nodes.commerce.ports` (one order per confirmation key, stock
taken all-or-nothing, one payment per order, customers see only their own orders) without
SQL or a payment provider: a card link points at `link_base` and nothing is ever charged.
Production uses the SQL store (`server/commerce/store.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from nodes.commerce.money import to_minor
from nodes.commerce.ports import (
    CancelOutcome,
    CancelRefused,
    OrderLineView,
    OrderQuery,
    OrderView,
    PaymentView,
    Placed,
    PlaceOrder,
    PlaceResult,
    PriceChanged,
    Shortage,
    SoldOut,
)
from nodes.commerce.statuses import OrderStatus
from nodes.tenants import load_profile
from nodes.tenants.catalog import Catalog
from nodes.tenants.commerce import OFFLINE_METHODS


@dataclass(slots=True)
class _Order:
    view: OrderView
    wa_id: str
    payment: PaymentView | None = None


@dataclass
class MemoryCommerceStore:
    tenants_dir: str | None = None
    card_links: bool = True
    """Offer card links (to `link_base`, where nothing is charged)."""
    link_base: str = "https://pay.example.invalid/"
    _catalogs: dict[str, Catalog] = field(default_factory=dict)
    _stock: dict[tuple[str, str], int] = field(default_factory=dict)
    _orders: dict[tuple[str, str], _Order] = field(default_factory=dict)
    _by_key: dict[tuple[str, str], str] = field(default_factory=dict)
    _counters: dict[str, int] = field(default_factory=dict)

    async def catalog(self, tenant: str, fallback: Catalog) -> Catalog:
        if tenant not in self._catalogs:
            self._catalogs[tenant] = fallback
            for product in fallback.products:
                self._stock[tenant, product.sku] = product.stock
        base = self._catalogs[tenant]
        products = [
            p.model_copy(update={"stock": self._stock.get((tenant, p.sku), 0)})
            for p in base.products
        ]
        return base.model_copy(update={"products": products})

    async def offers_card_links(self, tenant: str) -> bool:
        return self.card_links

    async def place_order(self, request: PlaceOrder) -> PlaceResult:
        tenant = request.tenant
        known = self._by_key.get((tenant, request.confirmation_key))
        if known is not None:
            return Placed(self._orders[tenant, known].view, created=False)
        catalog = self._catalogs.get(tenant)
        settings = load_profile(tenant, self.tenants_dir).commerce
        currency = catalog.currency if catalog else settings.currency
        products = {p.sku: p for p in (catalog.products if catalog else [])}
        short = tuple(
            Shortage(line.sku, line.quantity, self._stock.get((tenant, line.sku), 0))
            for line in request.lines
            if line.sku not in products or self._stock.get((tenant, line.sku), 0) < line.quantity
        )
        if short:
            return SoldOut(short)
        lines = tuple(
            OrderLineView(
                sku=line.sku,
                name=products[line.sku].label("en"),
                quantity=line.quantity,
                unit_minor=to_minor(products[line.sku].price, currency),
                total_minor=to_minor(products[line.sku].price, currency) * line.quantity,
            )
            for line in request.lines
        )
        subtotal = sum(line.total_minor for line in lines)
        total = subtotal + request.shipping_minor
        if request.expected_total_minor is not None and total != request.expected_total_minor:
            return PriceChanged(total)
        for line in request.lines:
            self._stock[tenant, line.sku] -= line.quantity
        value = self._counters.get(tenant, settings.first_order_number - 1) + 1
        self._counters[tenant] = value
        number = f"{settings.order_prefix}-{value}"
        now = datetime.now(UTC)
        view = OrderView(
            number=number,
            status="pending_payment",
            currency=currency,
            lines=lines,
            subtotal_minor=subtotal,
            shipping_minor=request.shipping_minor,
            total_minor=total,
            fulfilment=request.fulfilment,
            payment_method=request.payment_method,
            created_at=now,
            updated_at=now,
            customer_name=request.customer_name,
            address=request.address,
            pickup_location=request.pickup_location,
        )
        self._orders[tenant, number] = _Order(view, request.wa_id)
        self._by_key[tenant, request.confirmation_key] = number
        return Placed(view, created=True)

    def _own(self, tenant: str, wa_id: str, number: str) -> _Order | None:
        prefix = load_profile(tenant, self.tenants_dir).commerce.order_prefix
        wanted = number if "-" in number else f"{prefix}-{number}"
        order = self._orders.get((tenant, wanted.upper()))
        return order if order is not None and order.wa_id == wa_id else None

    async def start_payment(
        self, tenant: str, wa_id: str, number: str, *, idempotency_key: str
    ) -> PaymentView:
        order = self._own(tenant, wa_id, number)
        if order is None:
            raise LookupError(number)
        if order.payment is None:
            method = order.view.payment_method
            link = None if method in OFFLINE_METHODS else f"{self.link_base}{tenant}/{number}"
            order.payment = PaymentView(
                method=method, status="pending", url=link, reference=f"{tenant}.{number}.1"
            )
            order.view = replace(order.view, payment_status="pending", payment_url=link)
        return order.payment

    async def recent_orders(self, query: OrderQuery) -> list[OrderView]:
        mine = [
            order.view
            for (tenant, _), order in self._orders.items()
            if tenant == query.tenant and order.wa_id == query.wa_id
            and (not query.statuses or order.view.status in query.statuses)
        ]  # fmt: skip
        return sorted(mine, key=lambda view: view.created_at, reverse=True)[: query.limit]

    async def find_order(self, tenant: str, wa_id: str, number: str) -> OrderView | None:
        order = self._own(tenant, wa_id, number)
        return order.view if order is not None else None

    async def cancel_order(
        self, tenant: str, wa_id: str, number: str, *, allowed: Sequence[OrderStatus], key: str
    ) -> CancelOutcome | CancelRefused | None:
        order = self._own(tenant, wa_id, number)
        if order is None:
            return None
        if order.view.status == "cancelled":
            return CancelOutcome(order.view, changed=False)
        if order.view.status not in allowed:
            return CancelRefused(order.view, reason="status")
        for line in order.view.lines:
            self._stock[tenant, line.sku] = self._stock.get((tenant, line.sku), 0) + line.quantity
        order.view = replace(order.view, status="cancelled", updated_at=datetime.now(UTC))
        return CancelOutcome(order.view, changed=True)

    def move(self, tenant: str, number: str, status: OrderStatus) -> None:
        """The merchant moved an order (tests and Studio stand in for the admin API)."""
        order = self._orders[tenant, number]
        order.view = replace(order.view, status=status, updated_at=datetime.now(UTC))
