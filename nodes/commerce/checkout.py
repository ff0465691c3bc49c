"""The guided checkout in the commerce lane: from the cart to a placed order and how to pay.

One handler answers every checkout turn: "I want to pay", a tapped option, a typed answer
to the step asked last, a shared location, "ok, continue" after a question to another
lane, Change / Cancel, and Confirm. The answers live in the session
(`CommerceState.checkout`); the order is placed through `Context.commerce` only on a
Confirm whose summary still holds, with the summary's key as confirmation key, so a tap
delivered twice or a retried turn never orders twice (`flow.py` has the step rules).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context, context_from
from graph.messages import ButtonsMessage, OutboundMessage, TextMessage
from graph.session.contract import CartLine, CheckoutState, CommerceState, SessionPatch
from graph.state import State
from nodes.commerce import checkout_views as views
from nodes.commerce.flow import (
    CONFIRM_WORDS,
    RESUME_WORDS,
    Shop,
    cleared,
    fingerprint,
    is_active,
    next_step,
    said,
    totals,
    typed_answer,
    with_defaults,
)
from nodes.commerce.ports import (
    LineRequest,
    OrderQuery,
    OrderView,
    PaymentUnavailable,
    Placed,
    PlaceOrder,
    SoldOut,
)
from nodes.commerce.texts import say
from nodes.lanes.common import reply, session_of, tenant_of, understanding_of
from nodes.tenants import load_catalog

Action = str
"""ask (the next step), cancel, change, items, confirm, not_understood."""


async def shop_of(state: State, runtime: Runtime[Context]) -> Shop:
    ctx = context_from(runtime.context)
    profile = tenant_of(state, runtime)
    catalog = await ctx.commerce.catalog(profile.tenant_id, load_catalog(profile))
    return Shop(profile, catalog, await ctx.commerce.offers_card_links(profile.tenant_id))


def checkout_choice(choice_id: str | None) -> tuple[str, str]:
    """`commerce:checkout:<what>[:<value>]` -> (what, value); `commerce:confirm:<key>` ->
    ("confirm", key); `commerce:checkout` -> ("resume", ""): start, or ask what is missing
    (the button's title is never taken for an answer); anything else -> ("", "")."""
    parts = (choice_id or "").split(":", 3)
    if parts == ["commerce", "checkout"]:  # the cart's Check out / Continue button
        return "resume", ""
    if len(parts) >= 3 and parts[:2] == ["commerce", "confirm"]:
        return "confirm", ":".join(parts[2:])
    if len(parts) >= 3 and parts[:2] == ["commerce", "checkout"]:
        return parts[2], parts[3] if len(parts) > 3 else ""
    return "", ""


def _chosen(
    checkout: CheckoutState, what: str, value: str, shop: Shop, profile_name: str | None
) -> tuple[CheckoutState, Action]:
    if what in {"cancel", "change"}:
        return checkout, what
    if what == "edit":
        return cleared(checkout, value), "items" if value == "items" else "ask"
    if what == "fulfilment" and value in shop.fulfilments():
        if value != checkout.fulfilment:
            checkout = cleared(checkout, "fulfilment")
        return checkout.model_copy(update={"fulfilment": value}), "ask"
    if what == "zone" and shop.zone(value) is not None:
        return checkout.model_copy(update={"zone": value}), "ask"
    locations = shop.pickup_locations()
    if what == "pickup" and value.isdigit() and int(value) < len(locations):
        return checkout.model_copy(update={"pickup_location": locations[int(value)]}), "ask"
    if what == "name" and value == "yes" and profile_name:
        return checkout.model_copy(update={"name": profile_name[:100], "ask_name": False}), "ask"
    if what == "name":
        return checkout.model_copy(update={"name": None, "ask_name": True}), "ask"
    if what == "pay" and value in shop.methods(checkout.fulfilment):
        return checkout.model_copy(update={"payment_method": value}), "ask"
    return checkout, "ask"  # an option of an older question: ask what is missing now


def _typed(state: State, checkout: CheckoutState, shop: Shop) -> tuple[CheckoutState, Action]:
    turn = state.turn
    if turn.message_type == "location" and turn.latitude is not None:
        if "delivery" not in shop.fulfilments():
            return checkout, "ask"
        located = checkout.model_copy(update={
            "fulfilment": "delivery", "address": turn.text[:300],
            "latitude": turn.latitude, "longitude": turn.longitude,
        })  # fmt: skip
        return located, "ask"
    if checkout.asked is None or said(turn.text, RESUME_WORDS):
        return checkout, "ask"
    understanding = understanding_of(state)
    answer = typed_answer(checkout, turn.text, understanding.entities, shop, state.language,
                          turn.profile_name)  # fmt: skip
    if isinstance(answer, CheckoutState):
        return answer, "ask"
    if answer is not None:
        return checkout, answer
    free_text = checkout.asked in {"address", "name"}
    return checkout, "not_understood" if free_text else "ask"


async def checkout(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Start, continue, change, cancel or confirm the checkout (see the module docstring)."""
    ctx = context_from(runtime.context)
    commerce = session_of(state).commerce
    shop = await shop_of(state, runtime)
    what, value = checkout_choice(state.turn.choice_id)
    if what == "confirm":
        return await _confirm(state, ctx, shop, commerce, value)
    current = commerce.checkout if is_active(commerce.checkout, ctx.clock()) else None
    if not commerce.cart:
        if commerce.placed_key and not what and said(state.turn.text, CONFIRM_WORDS):
            return await _confirm(
                state, ctx, shop, commerce, commerce.placed_key
            )  # "confirm" again
        return await _nothing_to_check_out(state, ctx, shop, commerce)
    started = current or CheckoutState(updated_at=ctx.clock())
    if what:
        updated, action = _chosen(started, what, value, shop, state.turn.profile_name)
    elif current is None:
        updated, action = _typed(state, started, shop) if state.turn.message_type == "location" \
            else (started, "ask")  # fmt: skip
    else:
        updated, action = _typed(state, started, shop)
    if action == "confirm":
        return await _confirm(state, ctx, shop, commerce, started.summary_key or "")
    if action == "cancel":
        text = TextMessage(body=say("checkout.cancelled", state.language))
        return _save(state, commerce, None, text)
    if action == "change":
        updated = updated.model_copy(update={"updated_at": ctx.clock()})
        return _save(state, commerce, updated, views.change_menu(updated, shop, state.language))
    if action == "items":
        shown = views.cart_to_change(commerce.cart, shop, state.language)
        changes = {"last_shown_skus": [line.sku for line in commerce.cart][:10]}
        # nothing asked while the cart is edited: "change the second one to 2" is for the cart
        kept = updated.model_copy(update={"updated_at": ctx.clock(), "asked": None})
        return _save(state, commerce, kept, shown, **changes)
    prefix = [TextMessage(body=say("checkout.not_understood", state.language))] \
        if action == "not_understood" else []  # fmt: skip
    return _ask(state, ctx, shop, commerce, updated, prefix)


async def change_step(state: State, runtime: Runtime[Context], step: str) -> dict[str, Any]:
    """ "Change my address" during a checkout: that step's answer is dropped and asked again."""
    ctx = context_from(runtime.context)
    commerce = session_of(state).commerce
    current = commerce.checkout or CheckoutState(updated_at=ctx.clock())
    shop = await shop_of(state, runtime)
    return _ask(state, ctx, shop, commerce, cleared(current, step), [])


def _ask(
    state: State,
    ctx: Context,
    shop: Shop,
    commerce: CommerceState,
    checkout: CheckoutState,
    before: Sequence[OutboundMessage],
) -> dict[str, Any]:
    """Send the next step's question (or the summary) and remember what was asked."""
    language, cart = state.language, commerce.cart
    checkout = with_defaults(checkout, shop)
    step = next_step(checkout, shop)
    if step == "payment" and not shop.methods(checkout.fulfilment):
        refusal = ButtonsMessage(body=say("checkout.no_method", language),
                                 buttons=(views.human_button(language),))  # fmt: skip
        return _save(state, commerce, None, *before, refusal)
    update: dict[str, Any] = {"asked": step, "updated_at": ctx.clock(), "reminded": False}
    if step == "summary":
        shown = fingerprint(cart, checkout, shop)
        same = checkout.summary_fingerprint == shown and checkout.summary_key
        key = checkout.summary_key if same else f"chk:{state.turn.msg_id}"[:200]
        update |= {"summary_key": key, "summary_fingerprint": shown}
        message: OutboundMessage = views.summary(cart, checkout, shop, language, str(key))
    else:
        message = views.question(step, checkout, shop, language, state.turn.profile_name)
    return _save(state, commerce, checkout.model_copy(update=update), *before, message)


def _save(
    state: State,
    commerce: CommerceState,
    checkout: CheckoutState | None,
    *messages: OutboundMessage,
    **changes: Any,
) -> dict[str, Any]:
    updated = commerce.model_copy(update={"checkout": checkout, **changes})
    return reply(state, *messages, patch=SessionPatch(commerce=updated))


async def _confirm(
    state: State, ctx: Context, shop: Shop, commerce: CommerceState, key: str
) -> dict[str, Any]:
    language = state.language
    if key and commerce.placed_key == key and commerce.recent_order_ids:
        order = await ctx.commerce.find_order(
            shop.profile.tenant_id, state.turn.wa_id, commerce.recent_order_ids[0]
        )
        if order is not None:
            status = say(f"name.{order.status}", language)
            text = say("checkout.already_placed", language, number=order.number, status=status)
            return reply(state, TextMessage(body=text))
    current = commerce.checkout if is_active(commerce.checkout, ctx.clock()) else None
    holds = (
        current is not None
        and bool(commerce.cart)
        and current.summary_key == key
        and current.asked == "summary"
        and next_step(with_defaults(current, shop), shop) == "summary"
        and current.summary_fingerprint == fingerprint(commerce.cart, current, shop)
    )
    if current is None or not holds:
        stale = TextMessage(body=say("checkout.stale", language))
        if current is None or not commerce.cart:
            return reply(state, stale)
        return _ask(state, ctx, shop, commerce, current, [stale])
    return await _place(state, ctx, shop, commerce, current, key)


async def _place(
    state: State,
    ctx: Context,
    shop: Shop,
    commerce: CommerceState,
    checkout: CheckoutState,
    key: str,
) -> dict[str, Any]:
    language, turn = state.language, state.turn
    sums = totals(commerce.cart, checkout, shop)
    delivery = checkout.fulfilment == "delivery"
    request = PlaceOrder(
        tenant=shop.profile.tenant_id,
        phone_number_id=turn.tenant_id,
        wa_id=turn.wa_id,
        confirmation_key=key,
        lines=tuple(LineRequest(line.sku, line.quantity) for line in commerce.cart),
        fulfilment="delivery" if delivery else "pickup",
        payment_method=checkout.payment_method,  # type: ignore[arg-type]
        customer_name=checkout.name or "",
        language=language,
        shipping_minor=sums.shipping,
        expected_total_minor=sums.total,
        delivery_zone=checkout.zone if delivery else None,
        address=checkout.address if delivery else None,
        latitude=checkout.latitude if delivery else None,
        longitude=checkout.longitude if delivery else None,
        pickup_location=None if delivery else checkout.pickup_location,
    )
    result = await ctx.commerce.place_order(request)
    if isinstance(result, Placed):
        order = result.order
        placed = TextMessage(body=say("checkout.placed", language, number=order.number,
                                      total=views.money(order.total_minor, shop)))  # fmt: skip
        pay = await _payment_message(state, ctx, shop, order, key)
        recent = [order.number, *(n for n in commerce.recent_order_ids if n != order.number)]
        return _save(state, commerce, None, placed, pay, cart=[], placed_key=key,
                     recent_order_ids=recent[:10])  # fmt: skip
    if isinstance(result, SoldOut):
        notes, cart = _short_cart(commerce.cart, result, shop, language)
        adjusted = commerce.model_copy(update={"cart": cart})
        if not cart:
            empty = ButtonsMessage(body=say("checkout.empty", language),
                                   buttons=(views.catalog_button(language),))  # fmt: skip
            return _save(state, adjusted, None, *notes, empty)
        return _ask(state, ctx, shop, adjusted, checkout, notes)
    total = views.money(result.total_minor, shop)
    changed = TextMessage(body=say("checkout.price_changed", language, total=total))
    return _ask(state, ctx, shop, commerce, checkout, [changed])


def _short_cart(
    cart: list[CartLine], sold_out: SoldOut, shop: Shop, language: str
) -> tuple[list[OutboundMessage], list[CartLine]]:
    """The cart cut to what is left, and one sentence per item that ran short."""
    left = {short.sku: short.available for short in sold_out.shortages}
    notes: list[OutboundMessage] = []
    kept = []
    for line in cart:
        if line.sku not in left:
            kept.append(line)
            continue
        product = shop.catalog.get(line.sku)
        name = product.label(language) if product is not None else line.name  # type: ignore[arg-type]
        notes.append(
            TextMessage(
                body=say(
                    "checkout.sold_out",
                    language,
                    name=name,
                    available=left[line.sku],
                    requested=line.quantity,
                )
            )
        )
        if left[line.sku] > 0:
            kept.append(line.model_copy(update={"quantity": left[line.sku]}))
    notes.append(TextMessage(body=say("checkout.cart_updated", language)))
    return notes, kept


async def _payment_message(
    state: State, ctx: Context, shop: Shop, order: OrderView, key: str
) -> OutboundMessage:
    """How to pay: WhatsApp Payments' order (when the tenant uses it), else a text."""
    try:
        payment = await ctx.commerce.start_payment(
            shop.profile.tenant_id, state.turn.wa_id, order.number, idempotency_key=key
        )
    except PaymentUnavailable:
        return TextMessage(body=say("pay.unavailable", state.language, number=order.number))
    in_whatsapp = views.order_details(order, payment, shop, state.language)
    if in_whatsapp is not None:
        return in_whatsapp
    return TextMessage(body=views.how_to_pay(order, payment, shop, state.language))


async def _nothing_to_check_out(
    state: State, ctx: Context, shop: Shop, commerce: CommerceState
) -> dict[str, Any]:
    """An empty cart: an order still waiting for its card payment gets its link again;
    otherwise say there is nothing to check out."""
    language = state.language
    query = OrderQuery(shop.profile.tenant_id, state.turn.wa_id, limit=1,
                       statuses=("pending_payment",))  # fmt: skip
    waiting = await ctx.commerce.recent_orders(query)
    if waiting and waiting[0].payment_method == "card_link":
        order = waiting[0]
        status = TextMessage(body=views.status_line(order, shop, language))
        pay = await _payment_message(state, ctx, shop, order, order.number)
        return _save(state, commerce, None, status, pay)
    empty = ButtonsMessage(body=say("checkout.empty", language),
                           buttons=(views.catalog_button(language),))  # fmt: skip
    return _save(state, commerce, None, empty)
