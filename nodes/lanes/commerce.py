"""The commerce lane: the tenant's catalog - products, prices, stock, and the cart.

Products are shown as a WhatsApp interactive list; "2", "the second one" or "the blue
one" arrive as product entities resolved against the products last shown (or the cart
last shown). The cart handlers (`add`, `remove`, `change_quantity`, `empty`, `view`) say
exactly what changed, with stock and per-order limits explained; a negated request ("I
don't want the blue mug") changes nothing. Checkout is a later step: asked to pay, the
lane says so honestly and keeps the cart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context, context_from
from graph.messages import Button, ButtonsMessage, OutboundMessage, TextMessage
from graph.session.contract import CommerceState, Language, SessionPatch, SessionState
from graph.state import State
from graph.understanding import ProductMention
from nodes.commerce import checkout, my_orders
from nodes.commerce.cart import (
    CartChange,
    add_item,
    empty_cart,
    quantity_in_cart,
    remove_item,
    set_quantity,
)
from nodes.i18n import say
from nodes.lanes.catalog_views import (
    Shop,
    cart_text,
    cart_with_next_steps,
    choose_buttons,
    product_detail,
    product_list,
)
from nodes.lanes.commerce_vocabulary import CATALOG_ASKS, CLAIMS, VOCABULARY
from nodes.lanes.common import entities_of, farewell, reply, session_of, tenant_of
from nodes.lanes.dispatch import Handlers
from nodes.registry import LaneSpec, pass_to
from nodes.taxonomy import COMMERCE_INTENTS, INFO_INTENTS, SUPPORT_INTENTS
from nodes.tenants import Product, load_catalog

OFFERED, OFFERED_QUANTITY, QUANTITY_FOR = "offered_sku", "offered_quantity", "quantity_for"
LAST = "cart_last_sku"
"""Slots: the product of a pending "Shall I add it?" (and how many), the cart line a "How
many?" asked about, and the product last added or changed ("make it 3" is about it)."""
CLEARED = {OFFERED: None, OFFERED_QUANTITY: None, QUANTITY_FOR: None}


async def shop_of(state: State, runtime: Runtime[Context]) -> Shop:
    """The tenant and its catalog of record (live stock: what the cart may hold)."""
    profile = tenant_of(state, runtime)
    store = context_from(runtime.context).commerce
    return Shop(profile, await store.catalog(profile.tenant_id, load_catalog(profile)))


def _now(runtime: Runtime[Context]) -> datetime:
    return context_from(runtime.context).clock()


def _groups(mentions: Sequence[ProductMention]) -> list[list[ProductMention]]:
    """Mentions by the words that named them: one group per thing the customer named; a
    group of several is one ambiguous name ("the mug": blue or red)."""
    groups: dict[str, list[ProductMention]] = {}
    for mention in mentions:
        groups.setdefault(mention.text, []).append(mention)
    return list(groups.values())


def _products(shop: Shop, mentions: Sequence[ProductMention]) -> list[Product]:
    found = (shop.catalog.get(m.sku) for m in mentions)
    return [product for product in found if product is not None]


def _offered(state: State, shop: Shop) -> Product | None:
    return shop.catalog.get(str(session_of(state).slots.get(OFFERED) or ""))


def _cart_reply(
    state: State,
    shop: Shop,
    commerce: CommerceState,
    sentences: Sequence[str],
    *,
    extra: Sequence[OutboundMessage] = (),
    slots: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What changed, then the cart (lines, totals); the cart lines become "shown" so "the
    second one" / "remove the mug" point into it."""
    body = "\n\n".join([" ".join(sentences), cart_text(commerce.cart, state.language, shop)])
    if commerce.cart:
        commerce = commerce.model_copy(
            update={"last_shown_skus": [line.sku for line in commerce.cart][:10]}
        )
    patch = SessionPatch(commerce=commerce, slots={**CLEARED, **(slots or {})})
    shown = cart_with_next_steps(body.strip(), state.language) if commerce.cart else None
    messages = shown or (TextMessage(body=body.strip()),)
    return reply(state, *messages, *extra, patch=patch)


def _limit_sentence(change: CartChange, name: str, language: Language, *, setting: bool) -> str:
    values = {"available": change.available, "added": change.changed, "name": name}
    kind = "stock" if change.limit == "stock" else "max"
    if setting:
        return say(f"cart.limit_{kind}_set", language, **values)
    if change.changed <= 0:
        return say(f"cart.limit_{kind}_full", language, **values)
    return say(f"cart.limit_{kind}", language, **values)


def _add_products(
    state: State, runtime: Runtime[Context], shop: Shop, items: Sequence[tuple[Product, int]]
) -> dict[str, Any]:
    language, settings = state.language, shop.profile.commerce
    commerce = session_of(state).commerce
    sentences: list[str] = []
    last: dict[str, Any] = {}
    for product, requested in items:
        name = product.label(language)
        if not product.stock:
            sentences.append(
                say("product.out_of_stock", language, name=name, price=shop.price(product))
            )
            continue
        change = add_item(commerce, product, requested, currency=shop.currency,
                          max_quantity=settings.max_quantity, now=_now(runtime))  # fmt: skip
        commerce, last = change.commerce, {LAST: product.sku}
        if change.limit is not None:
            sentences.append(_limit_sentence(change, name, language, setting=False))
        else:
            sentences.append(say("cart.added", language, quantity=change.changed, name=name))
    return _cart_reply(state, shop, commerce, sentences, slots=last)


def _show(
    state: State, shop: Shop, products: Sequence[Product], quantity: int | None = None
) -> dict[str, Any]:
    """One product: its details and the offer to add it; several: a list to pick from."""
    language = state.language
    if not products:
        return reply(state, TextMessage(body=say("catalog.empty", language)))
    if len(products) == 1:
        product = products[0]
        message = product_detail(product, shop, language, quantity)
        offer = {OFFERED: product.sku, OFFERED_QUANTITY: quantity} if product.stock else {}
        return reply(state, message, patch=SessionPatch(slots={**CLEARED, **offer}))
    commerce = session_of(state).commerce
    shown = [p.sku for p in products[:10]]
    patch = SessionPatch(
        commerce=commerce.model_copy(update={"last_shown_skus": shown}),
        slots={**CLEARED, OFFERED_QUANTITY: quantity},
    )
    return reply(state, product_list(products, shop, language), patch=patch)


async def browse(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """The products named (details of one, a list of several), else the whole catalog."""
    shop = await shop_of(state, runtime)
    entities = entities_of(state)
    products = _products(shop, entities.products)
    said = next((m.quantity for m in entities.products if m.quantity), None)
    return _show(state, shop, products or list(shop.catalog.products), said)


async def select(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """A pick from what was shown (keeping the quantity asked for before the list); after
    "How many?", a lone number is the quantity."""
    shop, session, entities = await shop_of(state, runtime), session_of(state), entities_of(state)
    number = entities.quantity or entities.position or 0
    waiting = shop.catalog.get(str(session.slots.get(QUANTITY_FOR) or ""))
    if waiting is not None and number > 0:
        return _set_quantity(state, runtime, shop, waiting, number)
    if not entities.products and entities.quantity and _offered(state, shop) is not None:
        return await add(state, runtime)  # "2" after "Shall I add it?"
    products = _products(shop, entities.products)
    if not products:
        return await browse(state, runtime)
    said = next((m.quantity for m in entities.products if m.quantity), None)
    remembered = session.slots.get(OFFERED_QUANTITY)
    return _show(state, shop, products, said or (int(remembered) if remembered else None))


async def add(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Add what was named, with its quantity; a negated request adds nothing, and neither
    does a product named with 0 ("two coffee bags and 0 mugs" adds the coffee)."""
    shop, entities = await shop_of(state, runtime), entities_of(state)
    if entities.negated:
        return _not_adding(state, shop)
    if entities.zero_quantity:
        return _zero_added(state, shop)
    session = session_of(state)
    if not entities.products:
        offered = _offered(state, shop)
        if offered is None:
            return _show(state, shop, list(shop.catalog.products), entities.quantity)
        said = entities.quantity or session.slots.get(OFFERED_QUANTITY) or 1
        return _add_products(state, runtime, shop, [(offered, int(said))])
    groups = [group for group in _groups(entities.products) if group[0].quantity != 0]
    if not groups:  # every product named with 0 ("add 0 mugs")
        return _zero_added(state, shop)
    ambiguous = next((group for group in groups if len(group) > 1), None)
    if ambiguous is not None:
        return _show(state, shop, _products(shop, ambiguous), ambiguous[0].quantity)
    items = [
        (product, group[0].quantity or 1)
        for group in groups
        for product in _products(shop, group[:1])
    ]
    return _add_products(state, runtime, shop, items)


def _zero_added(state: State, shop: Shop) -> dict[str, Any]:
    """ "add 0 mugs": nothing changes; say so and how to ask for a real quantity."""
    language = state.language
    named = _products(shop, [g[0] for g in _groups(entities_of(state).products)])
    products = named or [p for p in [_offered(state, shop)] if p is not None]
    if not products:
        products = list(shop.catalog.products)[:1]
    name = products[0].label(language) if products else "…"
    return reply(state, TextMessage(body=say("cart.zero_quantity", language, name=name)))


def _not_adding(state: State, shop: Shop) -> dict[str, Any]:
    """ "I don't want the blue mug": nothing added; if it is in the cart, offer to remove it."""
    language = state.language
    commerce = session_of(state).commerce
    named = [g[0] for g in _groups(entities_of(state).products) if len(g) == 1]
    products = _products(shop, named) or [p for p in [_offered(state, shop)] if p is not None]
    if not products:
        return reply(state, TextMessage(body=say("cart.nothing_added", language)),
                     patch=SessionPatch(slots=CLEARED))  # fmt: skip
    product = products[0]
    body = say("cart.not_added", language, name=product.label(language))
    held = quantity_in_cart(commerce, product.sku)
    if not held:
        return reply(state, TextMessage(body=body), patch=SessionPatch(slots=CLEARED))
    body = f"{body} {say('cart.not_added_held', language, quantity=held)}"
    buttons = (
        Button(id=f"commerce:remove:{product.sku}", title=say("button.remove", language)),
        Button(id="commerce:cart", title=say("button.cart", language)),
    )
    return reply(
        state, ButtonsMessage(body=body, buttons=buttons), patch=SessionPatch(slots=CLEARED)
    )


def _in_cart(group: Sequence[ProductMention], commerce: CommerceState) -> list[ProductMention]:
    return [m for m in group if quantity_in_cart(commerce, m.sku)]


async def remove(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Take the named products (or the only line) out of the cart; ask when unclear."""
    shop, entities, language = await shop_of(state, runtime), entities_of(state), state.language
    commerce = session_of(state).commerce
    if not commerce.cart:
        return reply(state, TextMessage(body=say("cart.already_empty", language)))
    groups = _groups(entities.products)
    if not groups:
        if len(commerce.cart) > 1:
            skus = [line.sku for line in commerce.cart]
            return _ask_which(state, shop, "cart.which_remove", skus)
        groups = [[ProductMention(sku=commerce.cart[0].sku)]]
    sentences: list[str] = []
    for group in groups:
        held = _in_cart(group, commerce)
        if len(held) > 1:
            return _ask_which(state, shop, "cart.which_remove", [m.sku for m in held])
        if not held:
            name = shop.label(group[0].sku, language)
            sentences.append(say("cart.not_in_cart", language, name=name))
            continue
        mention = held[0]
        change = remove_item(commerce, mention.sku, mention.quantity or None, now=_now(runtime))
        commerce = change.commerce
        name = shop.label(mention.sku, language)
        if change.quantity:
            sentences.append(
                say("cart.removed_some", language, quantity=-change.changed, name=name)
            )
        else:
            sentences.append(say("cart.removed", language, name=name))
    return _cart_reply(state, shop, commerce, sentences)


def _ask_which(state: State, shop: Shop, key: str, skus: Sequence[str]) -> dict[str, Any]:
    message = choose_buttons(say(key, state.language), skus, "remove", shop, state.language)
    return reply(state, message, patch=SessionPatch(slots=CLEARED))


def _set_quantity(
    state: State, runtime: Runtime[Context], shop: Shop, product: Product, quantity: int
) -> dict[str, Any]:
    language = state.language
    commerce = session_of(state).commerce
    name = product.label(language)
    if not product.stock and quantity > 0:
        body = say("product.out_of_stock", language, name=name, price=shop.price(product))
        return _cart_reply(state, shop, commerce, [body])
    limit = shop.profile.commerce.max_quantity
    change = set_quantity(commerce, product, quantity, currency=shop.currency,
                          max_quantity=limit, now=_now(runtime))  # fmt: skip
    if change.quantity == 0:
        sentence = say("cart.removed", language, name=name)
    elif change.limit is not None:
        sentence = _limit_sentence(change, name, language, setting=True)
    else:
        sentence = say("cart.quantity_set", language, quantity=change.quantity, name=name)
    last = {LAST: product.sku if change.quantity else None}
    return _cart_reply(state, shop, change.commerce, [sentence], slots=last)


def _last_changed(session: SessionState, shop: Shop) -> Product | None:
    """The cart line a bare "make it 3" is about: the only one, or the one last changed."""
    cart = session.commerce.cart
    if len(cart) == 1:
        return shop.catalog.get(cart[0].sku)
    last = str(session.slots.get(LAST) or "")
    return shop.catalog.get(last) if any(line.sku == last for line in cart) else None


async def change_quantity(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """ "make it 3", "change the mugs to 2": the named (or only, or offered) product's line
    gets the new quantity; without a number, ask how many."""
    shop, entities, language = await shop_of(state, runtime), entities_of(state), state.language
    session = session_of(state)
    commerce = session.commerce
    groups = _groups(entities.products)
    target: Product | None = None
    quantity = entities.quantity
    if groups:
        group = groups[0]
        held = _in_cart(group, commerce)
        candidates = held if len(group) > 1 and held else group
        if len(candidates) > 1:
            return _show(state, shop, _products(shop, candidates))
        target = shop.catalog.get(candidates[0].sku)
        quantity = candidates[0].quantity or quantity
    else:
        target = _offered(state, shop) or _last_changed(session, shop)
    if target is None:
        body = f"{say('cart.which_change', language)}\n\n{cart_text(commerce.cart, language, shop)}"
        return reply(state, TextMessage(body=body), patch=SessionPatch(slots=CLEARED))
    if quantity is None:
        body = say("cart.how_many", language, name=target.label(language))
        return reply(state, TextMessage(body=body),
                     patch=SessionPatch(slots={**CLEARED, QUANTITY_FOR: target.sku}))  # fmt: skip
    return _set_quantity(state, runtime, shop, target, quantity)


async def view(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    shop = await shop_of(state, runtime)
    return _cart_reply(state, shop, session_of(state).commerce, [])


async def empty(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    commerce = session_of(state).commerce
    if not commerce.cart:
        return reply(state, TextMessage(body=say("cart.already_empty", state.language)))
    emptied = empty_cart(commerce, now=_now(runtime))
    body = say("cart.emptied", state.language)
    return reply(state, TextMessage(body=body), patch=SessionPatch(commerce=emptied, slots=CLEARED))


async def affirm(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """ "yes" to "Shall I add it to your cart?" adds it (as many as were asked for)."""
    if _offered(state, await shop_of(state, runtime)) is not None:
        return await add(state, runtime)
    language = state.language  # a yes to "Anything else?": offer the next steps
    buttons = (
        Button(id="commerce:catalog", title=say("button.catalog", language)),
        Button(id="commerce:cart", title=say("button.cart", language)),
    )
    body = say("commerce.go_on", language)
    return reply(
        state, ButtonsMessage(body=body, buttons=buttons), patch=SessionPatch(slots=CLEARED)
    )


def _acknowledge(state: State, key: str) -> dict[str, Any]:
    """Reply to "thx" / "no": a sentence, and the pending add-to-cart offer withdrawn."""
    body = say(key, state.language)
    return reply(state, TextMessage(body=body), patch=SessionPatch(slots=CLEARED))


async def thanks(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    return _acknowledge(state, "thanks")


async def deny(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    return _acknowledge(state, "declined")


async def goodbye(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """ "Bye" while shopping: the goodbye, and the pending add-to-cart offer withdrawn."""
    return farewell(state, runtime, patch=SessionPatch(slots=CLEARED))


HANDLERS = Handlers(
    table={
        "browse_catalog": browse,
        "product_question": browse,
        "add_to_cart": add,
        "remove_from_cart": remove,
        "change_quantity": change_quantity,
        "view_cart": view,
        "empty_cart": empty,
        "checkout": checkout.checkout,
        "order_status": my_orders.order_status,
        "cancel_order": my_orders.cancel_order,
        "change_order": my_orders.change_order,
        "select": select,
        "affirm": affirm,
        "deny": deny,
        "thanks": thanks,
        "goodbye": goodbye,
    },
    fallback=browse,
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
        **pass_to("info", (name for name in INFO_INTENTS if name not in {"thanks", "goodbye"})),
    },
    vocabulary=VOCABULARY,
    claims=CLAIMS,
    keywords=CATALOG_ASKS,
    choices={
        "add": "add_to_cart",
        "remove": "remove_from_cart",
        "cart": "view_cart",
        "sku": "select",
        "catalog": "browse_catalog",
    },
    examples={
        "en": ("how much is the blue mug?", "add 2 bags of coffee", "where is order 123?"),
        "es": (
            "quiero 2 tazas",
            "¿tienen prensa francesa?",
            "ya no quiero el pedido 5120, anúlalo",
        ),
        "pt": ("quanto custa o café?", "quero a caneca azul", "cadê meu pedido?"),
    },
)
