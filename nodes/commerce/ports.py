"""What the commerce lane needs from the business records, as a Protocol.

The lane never touches SQL or a payment provider itself: it calls a `CommerceStore`
found on the graph `Context` (`Context.commerce`). Production passes the SQL store
(`server/commerce/store.py`); unit tests and LangGraph Studio use the in-memory one
(`nodes/commerce/memory.py`). Both keep the same promises:

- `place_order` creates at most one order per `confirmation_key`, whatever the number of
  calls (a retried turn, a confirm button tapped twice): a repeat returns the same order
  with `created=False`. Stock is checked and taken in the same step; when an item ran
  short, nothing is created and the result says which items and how many are left.
- `start_payment` returns the same payment for the same order (one link per order).
- Lookups and cancellation only ever see the customer's own orders: another customer's
  order number reads exactly like a number that does not exist (`None`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from nodes.commerce.statuses import OrderStatus
from nodes.tenants.catalog import Catalog
from nodes.tenants.commerce import PaymentMethod

Fulfilment = Literal["delivery", "pickup"]


@dataclass(frozen=True, slots=True)
class LineRequest:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """Everything the checkout collected; prices are taken from the catalog, not from here."""

    tenant: str
    """The tenant profile's id (not the phone number id)."""
    phone_number_id: str
    """The business number the customer writes to (replies and notifications leave from it)."""
    wa_id: str
    confirmation_key: str
    """Unique per checkout summary: the same key never creates a second order."""
    lines: tuple[LineRequest, ...]
    fulfilment: Fulfilment
    payment_method: PaymentMethod
    customer_name: str
    language: str
    shipping_minor: int = 0
    expected_total_minor: int | None = None
    """The total the customer confirmed; a different total (a price changed) refuses."""
    delivery_zone: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    pickup_location: str | None = None


@dataclass(frozen=True, slots=True)
class OrderLineView:
    sku: str
    name: str
    quantity: int
    unit_minor: int
    total_minor: int


@dataclass(frozen=True, slots=True)
class OrderView:
    number: str
    status: OrderStatus
    currency: str
    lines: tuple[OrderLineView, ...]
    subtotal_minor: int
    shipping_minor: int
    total_minor: int
    fulfilment: Fulfilment
    payment_method: PaymentMethod
    created_at: datetime
    updated_at: datetime
    customer_name: str = ""
    address: str | None = None
    pickup_location: str | None = None
    payment_status: str | None = None
    payment_url: str | None = None


@dataclass(frozen=True, slots=True)
class Placed:
    order: OrderView
    created: bool
    """False: this confirmation had already created the order (a repeat)."""


@dataclass(frozen=True, slots=True)
class Shortage:
    sku: str
    requested: int
    available: int


@dataclass(frozen=True, slots=True)
class SoldOut:
    """Nothing was created: these items no longer have the stock asked for."""

    shortages: tuple[Shortage, ...]


@dataclass(frozen=True, slots=True)
class PriceChanged:
    """Nothing was created: the catalog's prices give another total than the one confirmed."""

    total_minor: int


PlaceResult = Placed | SoldOut | PriceChanged


@dataclass(frozen=True, slots=True)
class PaymentView:
    """How the customer pays one order."""

    method: PaymentMethod
    status: Literal["pending", "paid", "failed", "expired", "cancelled"]
    url: str | None = None
    """The provider's payment page (card_link)."""
    reference: str | None = None
    pix_key: str | None = None
    pix_key_type: str | None = None
    merchant_name: str | None = None


class PaymentUnavailable(Exception):
    """The payment could not be started now (provider down or not configured); the order
    stays `pending_payment`, and asking again later creates the payment."""


@dataclass(frozen=True, slots=True)
class CancelOutcome:
    order: OrderView
    changed: bool
    """False when it was already cancelled (a repeat)."""


@dataclass(frozen=True, slots=True)
class CancelRefused:
    order: OrderView
    reason: Literal["status"]
    """The order's status no longer allows the customer to cancel it."""


@dataclass(frozen=True, slots=True)
class CatalogItem:
    """One product as the catalog of record holds it (for the stock-aware lane)."""

    sku: str
    stock: int


@dataclass(frozen=True, slots=True)
class OrderQuery:
    tenant: str
    wa_id: str
    limit: int = 5
    statuses: Sequence[OrderStatus] = field(default_factory=tuple)


class CommerceStore(Protocol):
    """The business records the commerce lane reads and writes (see the module docstring)."""

    async def catalog(self, tenant: str, fallback: Catalog) -> Catalog:
        """The tenant's catalog of record with live stock; `fallback` (the YAML catalog)
        seeds it the first time a tenant is seen."""
        ...

    async def offers_card_links(self, tenant: str) -> bool:
        """A payment provider is set up for this tenant (else `card_link` is not offered)."""
        ...

    async def place_order(self, request: PlaceOrder) -> PlaceResult: ...

    async def start_payment(
        self, tenant: str, wa_id: str, number: str, *, idempotency_key: str
    ) -> PaymentView:
        """The payment of the customer's order `number` (created once; raises
        `PaymentUnavailable`)."""
        ...

    async def recent_orders(self, query: OrderQuery) -> list[OrderView]:
        """The customer's orders, newest first."""
        ...

    async def find_order(self, tenant: str, wa_id: str, number: str) -> OrderView | None:
        """The customer's order `number` ("A-1042" or "1042"); None when not theirs."""
        ...

    async def cancel_order(
        self, tenant: str, wa_id: str, number: str, *, allowed: Sequence[OrderStatus], key: str
    ) -> CancelOutcome | CancelRefused | None:
        """Cancel the customer's order while its status is in `allowed`; None if not theirs."""
        ...
