"""The cart: what the customer is about to buy, kept in the session (`CommerceState.cart`).

Pure functions over `CommerceState`: each returns the updated state and what actually
happened, so the lane can say it truthfully ("only 3 left; I added 3"). Limits applied
to every change: the product's stock and the tenant's `max_quantity` per product. Every
change stamps `cart_updated_at`; `expire` drops a cart older than the tenant's lifetime.
Money is formatted with the tenant's locale (`money_text`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from graph.session.contract import CartLine, CommerceState
from nodes.commerce.money import format_money, to_minor
from nodes.tenants import Product, TenantProfile

Limit = Literal["stock", "max_quantity"]


@dataclass(frozen=True, slots=True)
class CartChange:
    """One product's line after a change."""

    commerce: CommerceState
    sku: str
    requested: int
    """Units the customer asked for (to add, or as the new quantity)."""
    quantity: int
    """Units of the product in the cart now (0: not in the cart)."""
    changed: int
    """Units actually added (positive) or taken out (negative)."""
    limit: Limit | None = None
    """What stopped the request from being met in full."""
    available: int = 0
    """The most units of the product the cart may hold (stock and `max_quantity`)."""


def line_minor(line: CartLine) -> int:
    """The line's total in minor units (cents)."""
    return to_minor(line.unit_price, line.currency) * line.quantity


def cart_total_minor(cart: Sequence[CartLine]) -> int:
    return sum(line_minor(line) for line in cart)


def money_text(minor: int, currency: str, profile: TenantProfile) -> str:
    """An amount as the tenant writes it: "USD 12.00", "12,00 €", "R$ 12,00"."""
    return format_money(minor, currency, profile.commerce.locale)


def price_text(product: Product, currency: str, profile: TenantProfile) -> str:
    return money_text(to_minor(product.price, currency), currency, profile)


def quantity_in_cart(commerce: CommerceState, sku: str) -> int:
    return next((line.quantity for line in commerce.cart if line.sku == sku), 0)


def _ceiling(product: Product, max_quantity: int) -> tuple[int, Limit]:
    if product.stock <= max_quantity:
        return product.stock, "stock"
    return max_quantity, "max_quantity"


def _with_quantity(
    commerce: CommerceState, product: Product, quantity: int, currency: str, now: datetime
) -> CommerceState:
    cart = [line.model_copy() for line in commerce.cart if line.sku != product.sku]
    if quantity > 0:
        skus = [line.sku for line in commerce.cart]
        position = skus.index(product.sku) if product.sku in skus else None
        line = CartLine(sku=product.sku, name=product.label("en"), quantity=quantity,
                        unit_price=product.price, currency=currency)  # fmt: skip
        cart.insert(len(cart) if position is None else position, line)
    return commerce.model_copy(update={"cart": cart, "cart_updated_at": now})


def add_item(
    commerce: CommerceState,
    product: Product,
    requested: int,
    *,
    currency: str,
    max_quantity: int,
    now: datetime,
) -> CartChange:
    """Add `requested` units, as many as stock and `max_quantity` allow."""
    held = quantity_in_cart(commerce, product.sku)
    ceiling, reason = _ceiling(product, max_quantity)
    target = max(min(held + requested, ceiling), held)
    limit = reason if held + requested > ceiling else None
    updated = (
        _with_quantity(commerce, product, target, currency, now) if target != held else commerce
    )
    return CartChange(updated, product.sku, requested, target, target - held, limit, ceiling)


def set_quantity(
    commerce: CommerceState,
    product: Product,
    requested: int,
    *,
    currency: str,
    max_quantity: int,
    now: datetime,
) -> CartChange:
    """Make the product's line `requested` units (0 removes it), within the limits."""
    held = quantity_in_cart(commerce, product.sku)
    ceiling, reason = _ceiling(product, max_quantity)
    target = min(max(requested, 0), ceiling)
    limit = reason if requested > ceiling else None
    updated = _with_quantity(commerce, product, target, currency, now)
    return CartChange(updated, product.sku, requested, target, target - held, limit, ceiling)


def remove_item(
    commerce: CommerceState, sku: str, quantity: int | None, *, now: datetime
) -> CartChange:
    """Take `quantity` units of `sku` out (None, or at least what is held: the whole line)."""
    held = quantity_in_cart(commerce, sku)
    left = 0 if quantity is None else max(held - quantity, 0)
    cart: list[CartLine] = []
    for line in commerce.cart:
        if line.sku != sku:
            cart.append(line.model_copy())
        elif left:
            cart.append(line.model_copy(update={"quantity": left}))
    updated = commerce.model_copy(update={"cart": cart, "cart_updated_at": now})
    return CartChange(updated, sku, quantity or held, left, left - held)


def empty_cart(commerce: CommerceState, *, now: datetime) -> CommerceState:
    return commerce.model_copy(update={"cart": [], "cart_updated_at": now})


def expired(commerce: CommerceState, lifetime_hours: float, now: datetime) -> bool:
    """A non-empty cart untouched for longer than `lifetime_hours`.

    A cart stored before carts were stamped has no time: it is stamped on its next change
    and kept until then (dropping it would lose a cart that may be minutes old)."""
    stamp = commerce.cart_updated_at
    return (
        bool(commerce.cart) and stamp is not None and now - stamp > timedelta(hours=lifetime_hours)
    )
