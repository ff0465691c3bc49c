"""The commerce lane: the tenant's catalog - products, prices, stock, and the cart.

Products are shown as a WhatsApp interactive list; "2", "the second one" or "the blue
one" resolve against the products last shown. Checkout is a later issue: asked to pay,
the lane says so honestly and keeps the cart.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from graph.context import Context
from graph.messages import Button, ButtonsMessage, OutboundMessage, TextMessage
from graph.session.contract import CartLine, CommerceState, Language, SessionPatch
from graph.state import State
from nodes.i18n import say
from nodes.lanes.catalog_views import (
    cart_text,
    product_detail,
    product_list,
    quantity_in,
    resolve_reference,
)
from nodes.lanes.common import lane_subgraph, may_hand_off, reply, session_of, tenant_of
from nodes.lanes.cues import (
    NO,
    YES,
    acknowledgement_key,
    best_faq,
    has_problem,
    info_topic,
    small_talk,
)
from nodes.registry import LaneSpec
from nodes.router.followups import is_acknowledgement, is_followup
from nodes.tenants import Catalog, Product, load_catalog
from nodes.text import has_phrase

ADD = ("add", "want", "take", "ill take", "buy", "quiero", "agrega", "agregar", "dame", "me da",
       "llevo", "comprar", "quero", "adiciona", "adicionar", "coloca", "compro")  # fmt: skip
CART = ("cart", "basket", "carrito", "carrinho", "cesta")
CHECKOUT = ("pay", "checkout", "check out", "pagar", "pago", "pagamento", "finalizar", "comprar ya")
ORDERS = ("my order", "order status", "where is my order", "track", "tracking", "cancel",
          "mi pedido", "cancelar", "rastrear", "meu pedido", "minha encomenda",
          "rastreio")  # fmt: skip
CATALOG = ("catalog", "catalogue", "products", "menu", "what do you sell", "catalogo", "productos",
           "produtos", "que venden", "o que vendem", "options", "opciones", "opcoes")  # fmt: skip


async def gate(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Hand problems to support and plain info questions to info; keep anything shopping."""
    text = state.turn.text
    if state.turn.choice_id or is_followup(text):
        return {}
    catalog = load_catalog(tenant_of(state, runtime))
    if catalog.search(text) or has_phrase(text, ADD + CART + CHECKOUT + CATALOG + ORDERS):
        return {}
    if has_problem(text) and may_hand_off(state, "support"):
        return {"handoff_to": "support"}
    is_info = info_topic(text) or best_faq(text, tenant_of(state, runtime)) or small_talk(text)
    if is_info and may_hand_off(state, "info"):
        return {"handoff_to": "info"}
    return {}


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


def _add(
    state: State, commerce: CommerceState, product: Product, catalog: Catalog
) -> dict[str, Any]:
    language = state.language
    if not product.stock:
        return reply(state, product_detail(product, catalog, language))
    quantity = min(quantity_in(state.turn.text), product.stock)
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


def _cart_reply(
    state: State, commerce: CommerceState, catalog: Catalog, checkout: bool
) -> dict[str, Any]:
    language: Language = state.language
    body = cart_text(commerce.cart, language, catalog)
    if checkout:
        body = f"{body}\n\n{say('cart.checkout_later', language)}"
    return reply(state, TextMessage(body=body))


def _orders_later(language: Language) -> ButtonsMessage:
    """Order lookup and changes are a later issue: say so and offer a person."""
    buttons = (
        Button(id="support:human", title=say("button.human", language)),
        Button(id="commerce:catalog", title=say("button.catalog", language)),
    )
    return ButtonsMessage(body=say("orders.later", language), buttons=buttons)


async def answer(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    session = session_of(state)
    commerce, catalog = session.commerce, load_catalog(tenant_of(state, runtime))
    text, choice = state.turn.text, state.turn.choice_id or ""
    picked = catalog.get(choice.rsplit(":", 1)[-1]) if choice.startswith("commerce:") else None
    if choice.startswith("commerce:add:") and picked is not None:
        return _add(state, commerce, picked, catalog)
    if picked is not None:
        return _show(state, commerce, [picked], catalog)
    if has_phrase(text, ORDERS) and not catalog.search(text):
        return reply(state, _orders_later(state.language))
    if has_phrase(text, CHECKOUT) or has_phrase(text, CART):
        return _cart_reply(state, commerce, catalog, checkout=has_phrase(text, CHECKOUT))
    offered = catalog.get(str(session.slots.get("offered_sku") or ""))
    if offered is not None and has_phrase(text, YES) and not has_phrase(text, NO):
        return _add(state, commerce, offered, catalog)
    product = resolve_reference(text, commerce.last_shown_skus, catalog)
    if product is None and is_acknowledgement(text):  # "thx", or "no" to "add it to your cart?"
        body = say(acknowledgement_key(text), state.language)
        return reply(state, TextMessage(body=body), patch=SessionPatch(slots={"offered_sku": None}))
    matches = [product] if product is not None else catalog.search(text)
    if len(matches) == 1 and has_phrase(text, ADD):
        return _add(state, commerce, matches[0], catalog)
    return _show(state, commerce, matches or list(catalog.products), catalog)


def build_subgraph() -> CompiledStateGraph[Any, Any, Any, Any]:
    return lane_subgraph("commerce", gate, answer)


SPEC = LaneSpec(
    name="commerce",
    build=build_subgraph,
    description=(
        "Buying and the customer's own orders: browsing the catalog, prices, stock, the cart, "
        "checkout and payment, placing, changing or cancelling an order, order status."
    ),
    labels={"en": "Shopping", "es": "Compras", "pt": "Compras"},
    examples={
        "en": ("how much is the blue mug?", "add 2 bags of coffee", "where is order 123?"),
        "es": ("quiero 2 tazas", "¿tienen prensa francesa?", "cancela mi pedido"),
        "pt": ("quanto custa o café?", "quero a caneca azul", "cadê meu pedido?"),
    },
)
