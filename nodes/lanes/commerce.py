"""The commerce lane: the tenant's catalog - products, prices, stock, and the cart.

Products are shown as a WhatsApp interactive list; "2", "the second one" or "the blue
one" arrive as product entities resolved against the products last shown. Checkout is a
later issue: asked to pay, the lane says so honestly and keeps the cart.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context
from graph.messages import Button, ButtonsMessage, OutboundMessage, TextMessage
from graph.session.contract import CartLine, CommerceState, SessionPatch
from graph.state import State
from nodes.commerce import checkout, my_orders
from nodes.i18n import say
from nodes.lanes.catalog_views import cart_text, product_detail, product_list
from nodes.lanes.commerce_vocabulary import VOCABULARY
from nodes.lanes.common import (
    catalog_of,
    entities_of,
    reply,
    session_of,
    understanding_of,
)
from nodes.lanes.dispatch import Handler, Handlers
from nodes.registry import LaneSpec, pass_to
from nodes.taxonomy import COMMERCE_INTENTS, INFO_INTENTS, SUPPORT_INTENTS
from nodes.tenants import Catalog, Product

MAX_ADD_PER_MESSAGE = 20
"""A quantity above this in one message is read as a typo and capped (stock caps it too)."""


def _with_item(
    commerce: CommerceState, product: Product, quantity: int, currency: str
) -> CommerceState:
    cart = [line.model_copy() for line in commerce.cart]
    existing = next((line for line in cart if line.sku == product.sku), None)
    if existing is not None:
        existing.quantity = min(existing.quantity + quantity, max(product.stock, 1))
    else:
        cart.append(CartLine(sku=product.sku, name=product.label("en"), quantity=quantity,
                             unit_price=product.price, currency=currency))  # fmt: skip
    return commerce.model_copy(update={"cart": cart})


def _quantity(state: State, product: Product) -> int:
    entities = entities_of(state)
    said = next((m.quantity for m in entities.products if m.sku == product.sku), None)
    return max(1, min(said or entities.quantity or 1, MAX_ADD_PER_MESSAGE))


def _add(
    state: State, commerce: CommerceState, product: Product, catalog: Catalog
) -> dict[str, Any]:
    language = state.language
    if not product.stock:
        return reply(state, product_detail(product, catalog, language))
    quantity = min(_quantity(state, product), product.stock)
    updated = _with_item(commerce, product, quantity, catalog.currency)
    added = say("cart.added", language, quantity=quantity, name=product.label(language))
    body = f"{added}\n\n{cart_text(updated.cart, language, catalog)}"
    patch = SessionPatch(commerce=updated, slots={"offered_sku": None})
    return reply(state, TextMessage(body=body), patch=patch)


def _show(
    state: State, commerce: CommerceState, products: list[Product], catalog: Catalog
) -> dict[str, Any]:
    message: OutboundMessage
    if not products:
        return reply(state, TextMessage(body=say("catalog.empty", state.language)))
    if len(products) == 1:
        message = product_detail(products[0], catalog, state.language)
        patch = SessionPatch(slots={"offered_sku": products[0].sku})
        return reply(state, message, patch=patch)
    shown = [p.sku for p in products[:10]]
    patch = SessionPatch(
        commerce=commerce.model_copy(update={"last_shown_skus": shown}), slots={"offered_sku": None}
    )
    return reply(state, product_list(products, catalog, state.language), patch=patch)


def _named_products(state: State, catalog: Catalog) -> list[Product]:
    found = (catalog.get(m.sku) for m in entities_of(state).products)
    return [product for product in found if product is not None]


async def shop(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Products named: add the one asked for, or show them; none named: the catalog."""
    commerce, catalog = session_of(state).commerce, catalog_of(state, runtime)
    matches = _named_products(state, catalog)
    if understanding_of(state).intent == "add_to_cart" and len(matches) == 1:
        return _add(state, commerce, matches[0], catalog)
    return _show(state, commerce, matches or list(catalog.products), catalog)


def _cart(checkout: bool) -> Handler:
    async def cart(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        catalog = catalog_of(state, runtime)
        body = cart_text(session_of(state).commerce.cart, state.language, catalog)
        if checkout:
            body = f"{body}\n\n{say('cart.checkout_later', state.language)}"
        return reply(state, TextMessage(body=body))

    return cart


async def orders_later(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Order lookup and changes are a later issue: say so and offer a person."""
    if entities_of(state).products:  # "cancel the mug": about a product, not an order
        return await shop(state, runtime)
    language = state.language
    buttons = (
        Button(id="support:human", title=say("button.human", language)),
        Button(id="commerce:catalog", title=say("button.catalog", language)),
    )
    return reply(state, ButtonsMessage(body=say("orders.later", language), buttons=buttons))


async def affirm(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """ "yes" to "Shall I add it to your cart?" adds it; any other yes is acknowledged."""
    session = session_of(state)
    catalog = catalog_of(state, runtime)
    offered = catalog.get(str(session.slots.get("offered_sku") or ""))
    if offered is not None:
        return _add(state, session.commerce, offered, catalog)
    return _acknowledge(state, "thanks")


def _acknowledge(state: State, key: str) -> dict[str, Any]:
    """Reply to "thx" / "no": a sentence, and the pending add-to-cart offer withdrawn."""
    body = say(key, state.language)
    return reply(state, TextMessage(body=body), patch=SessionPatch(slots={"offered_sku": None}))


async def thanks(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    return _acknowledge(state, "thanks")


async def deny(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    return _acknowledge(state, "declined")


HANDLERS = Handlers(
    table={
        "add_to_cart": shop,
        "view_cart": _cart(checkout=False),
        "checkout": checkout.checkout,
        "order_status": my_orders.order_status,
        "cancel_order": my_orders.cancel_order,
        "change_order": my_orders.change_order,
        "affirm": affirm,
        "deny": deny,
        "thanks": thanks,
    },
    fallback=shop,
)

SPEC = LaneSpec(
    name="commerce",
    handlers=HANDLERS,
    description=(
        "Buying and the customer's own orders: browsing the catalog, prices, stock, the cart, "
        "checkout and payment, placing, changing or cancelling an order, order status."
    ),
    labels={"en": "Shopping", "es": "Compras", "pt": "Compras"},
    offer={"en": "shopping", "es": "compras", "pt": "compras"},
    intents=COMMERCE_INTENTS,
    default_intent="browse_catalog",
    handoffs={
        **pass_to("support", SUPPORT_INTENTS),
        **pass_to("info", (name for name in INFO_INTENTS if name != "thanks")),
    },
    vocabulary=VOCABULARY,
    choices={"add": "add_to_cart", "sku": "select", "catalog": "browse_catalog"},
    examples={
        "en": ("how much is the blue mug?", "add 2 bags of coffee", "where is order 123?"),
        "es": ("quiero 2 tazas", "¿tienen prensa francesa?", "cancela mi pedido"),
        "pt": ("quanto custa o café?", "quero a caneca azul", "cadê meu pedido?"),
    },
)
