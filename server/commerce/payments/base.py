"""The payment provider interface and its value types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from nodes.commerce.ports import PaymentUnavailable


@dataclass(frozen=True, slots=True)
class PaymentItem:
    name: str
    quantity: int
    unit_minor: int


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """One order to be paid, as a provider needs it."""

    tenant: str
    order_number: str
    reference: str
    """Ours, unique per attempt (`demo.A-1042.1`); the provider keeps it as metadata."""
    currency: str
    amount_minor: int
    items: tuple[PaymentItem, ...]
    shipping_minor: int
    language: str
    return_url: str
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class StartedPayment:
    provider: str
    provider_ref: str | None
    url: str | None
    expires_at: datetime | None = None


EventKind = Literal["paid", "failed", "expired", "ignored"]


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    """A verified provider webhook event, reduced to what the order service needs."""

    provider: str
    event_id: str
    event_type: str
    kind: EventKind
    provider_ref: str | None = None
    reference: str | None = None
    order_number: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)


class ProviderUnavailable(PaymentUnavailable):
    """The provider did not answer usefully now (timeout, 5xx, 429): try again later."""

    transient = True


class ProviderRefused(PaymentUnavailable):
    """The provider refused the request (bad key, invalid parameters): an operator must act."""


class SignatureError(Exception):
    """A webhook whose signature is missing, stale or wrong (answered 401)."""


class MalformedEvent(Exception):
    """A correctly signed webhook whose body is not an event we can read (answered 400)."""


class PaymentProvider(Protocol):
    name: str

    async def start(self, request: PaymentRequest) -> StartedPayment: ...
