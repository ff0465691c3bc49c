"""A tenant's selling settings: currency and locale, fulfilment, payment methods, templates.

The `commerce:` section of the tenant YAML (documented in the README, *Tenant settings*).
Everything has a default, so a profile without the section sells with pickup only and
payment in store; secrets (payment provider keys, webhook secrets) never live here: they
come from the environment (see `server/settings.py`).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from graph.session.contract import Language

Localized = dict[Language, str]

PaymentMethod = Literal["card_link", "pix", "bank_transfer", "cash_on_delivery", "pay_in_store"]
"""card_link: a payment link from the provider (Stripe Checkout); pix: a static Pix key;
bank_transfer: the tenant's instructions; cash_on_delivery / pay_in_store: paid to a person.
With `whatsapp_payments.enabled`, pix / card_link go out as a WhatsApp `order_details`."""
OFFLINE_METHODS: frozenset[str] = frozenset(
    {"pix", "bank_transfer", "cash_on_delivery", "pay_in_store"}
)
"""Confirmed by the merchant (admin API `mark_paid`), not by a provider's webhook."""
DELIVERY_ONLY_METHODS: frozenset[str] = frozenset({"cash_on_delivery"})
PICKUP_ONLY_METHODS: frozenset[str] = frozenset({"pay_in_store"})

CancelStatus = Literal["pending_payment", "paid", "preparing"]
DEFAULT_METHODS: tuple[PaymentMethod, ...] = ("pay_in_store",)
DEFAULT_CANCEL_STATUSES: tuple[CancelStatus, ...] = ("pending_payment", "paid")

NotifiedStatus = Literal[
    "paid", "preparing", "ready_for_pickup", "shipped", "delivered", "cancelled"
]
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _english(value: Localized) -> Localized:
    if value and not value.get("en"):
        raise ValueError("needs an English ('en') text: it is the fallback for other languages")
    return value


class DeliveryZone(_Model):
    id: str
    """A short slug (`centro`): the id of the zone's list row."""
    name: Localized
    fee: Decimal = Field(default=Decimal(0), ge=0)
    """Delivery fee in major units of the tenant's currency."""
    eta: Localized = Field(default_factory=dict)
    """"1-2 business days" — shown with the zone."""

    _names = field_validator("name", "eta")(_english)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("a zone id is a lowercase slug: letters, digits, '-' or '_'")
        return value

    def label(self, language: Language) -> str:
        return self.name.get(language) or self.name["en"]


class Delivery(_Model):
    enabled: bool = False
    zones: list[DeliveryZone] = Field(default_factory=list, max_length=10)
    """At most 10: they are offered as one WhatsApp list."""
    free_over: Decimal | None = Field(default=None, ge=0)
    """Subtotal (major units) from which delivery is free; None: never."""

    @model_validator(mode="after")
    def _zones_when_enabled(self) -> Delivery:
        if self.enabled and not self.zones:
            raise ValueError("delivery is enabled but has no zones")
        ids = [zone.id for zone in self.zones]
        if len(ids) != len(set(ids)):
            raise ValueError("delivery zone ids must be unique")
        return self


class Pickup(_Model):
    enabled: bool = True
    locations: list[str] = Field(default_factory=list, max_length=10)
    """Names of the profile's `locations` where orders can be picked up (empty: all)."""


class Fulfilment(_Model):
    delivery: Delivery = Field(default_factory=Delivery)
    pickup: Pickup = Field(default_factory=Pickup)

    @model_validator(mode="after")
    def _one_way_at_least(self) -> Fulfilment:
        if not self.delivery.enabled and not self.pickup.enabled:
            raise ValueError("enable delivery, pickup or both")
        return self


class PixKey(_Model):
    key: str = Field(min_length=1)
    key_type: Literal["CPF", "CNPJ", "EMAIL", "PHONE", "EVP"]
    merchant_name: str = Field(min_length=1, max_length=60)
    merchant_city: str | None = Field(default=None, max_length=15)
    """Part of the Pix code sent in WhatsApp Payments' `order_details` (required there)."""


class WhatsAppPayments(_Model):
    """WhatsApp Payments in Brazil: an `order_details` message the customer pays in WhatsApp."""

    enabled: bool = False
    pay_with: Literal["pix", "card_link"] = "pix"
    """What the order_details message carries: the Pix key (`pix:` section) or the card link."""


class TemplateRef(_Model):
    """An approved WhatsApp template (sent outside the 24-hour window).

    Its body gets two parameters: {{1}} the order number, {{2}} the new status in words."""

    name: str = Field(min_length=1)
    language: str = "en_US"


class CommerceSettings(_Model):
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    """ISO 4217; must match the catalog's."""
    locale: str = Field(default="en-US", pattern=r"^[a-z]{2}(?:[-_][A-Z]{2})?$")
    """How money is written: en-US "USD 12.00", es-ES "12,00 €", pt-BR "R$ 12,00"."""
    catalog_id: str | None = None
    """A Meta catalog id: browsing then uses WhatsApp `product_list` / `product` messages."""
    cart_lifetime_hours: float = Field(default=72, gt=0, le=24 * 90)
    """A cart untouched this long is dropped (the customer is told on the next turn)."""
    max_quantity: int = Field(default=99, ge=1, le=999)
    """Units of one product per order (WhatsApp's own carts allow 99)."""
    order_prefix: str = Field(default="A", pattern=r"^[A-Z]{1,3}$")
    first_order_number: int = Field(default=1001, ge=1)
    fulfilment: Fulfilment = Field(default_factory=Fulfilment)
    payment_methods: list[PaymentMethod] = Field(default_factory=lambda: list(DEFAULT_METHODS))
    pix: PixKey | None = None
    bank_transfer: Localized = Field(default_factory=dict)
    """Instructions shown for `bank_transfer` (bank, account, reference to quote)."""
    whatsapp_payments: WhatsAppPayments = Field(default_factory=WhatsAppPayments)
    customer_cancel_statuses: list[CancelStatus] = Field(
        default_factory=lambda: list(DEFAULT_CANCEL_STATUSES)
    )
    """While an order is in one of these, the customer may cancel it in the chat."""
    templates: dict[NotifiedStatus, TemplateRef] = Field(default_factory=dict)
    """The template per order status used outside the 24-hour window."""

    _transfer = field_validator("bank_transfer")(_english)

    @model_validator(mode="after")
    def _methods_have_what_they_need(self) -> CommerceSettings:
        methods = set(self.payment_methods)
        if not methods:
            raise ValueError("payment_methods needs at least one method")
        if "pix" in methods and self.pix is None:
            raise ValueError("payment method 'pix' needs the `pix:` key section")
        if "bank_transfer" in methods and not self.bank_transfer:
            raise ValueError("payment method 'bank_transfer' needs `bank_transfer:` instructions")
        if self.whatsapp_payments.enabled:
            if self.currency != "BRL":
                raise ValueError("WhatsApp Payments (Brazil) needs currency BRL")
            if self.whatsapp_payments.pay_with == "pix" and self.pix is None:
                raise ValueError("whatsapp_payments.pay_with 'pix' needs the `pix:` section")
            if self.whatsapp_payments.pay_with == "pix" and not self.pix.merchant_city:  # type: ignore[union-attr]
                raise ValueError("whatsapp_payments.pay_with 'pix' needs pix.merchant_city")
        if methods & DELIVERY_ONLY_METHODS and not self.fulfilment.delivery.enabled:
            raise ValueError("cash_on_delivery needs delivery enabled")
        if methods & PICKUP_ONLY_METHODS and not self.fulfilment.pickup.enabled:
            raise ValueError("pay_in_store needs pickup enabled")
        return self
