"""The customer's own orders: "where is my order A-1042?", "cancel my order", "change it".

Only the customer's orders are ever read (`CommerceStore` answers None for anyone else's
number, exactly as for a number that does not exist). Cancelling asks first, and happens
only while the tenant's `customer_cancel_statuses` allow it; otherwise the customer is told
why and offered a person. A placed order is not edited here: cancel it or ask a person.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context, context_from
from graph.messages import Button, ButtonsMessage, OutboundMessage, TextMessage
from graph.state import State
from nodes.commerce import checkout
from nodes.commerce import checkout_views as views
from nodes.commerce.checkout import shop_of
from nodes.commerce.flow import Shop, is_active
from nodes.commerce.ports import CancelOutcome, CancelRefused, OrderQuery, OrderView
from nodes.commerce.texts import say
from nodes.lanes.common import entities_of, reply, session_of

RECENT = 5


def order_choice(choice_id: str | None) -> tuple[str, str]:
    """`commerce:<order|cancelask|cancelyes|cancelno>:<number>` -> (action, number)."""
    parts = (choice_id or "").split(":", 2)
    if len(parts) == 3 and parts[0] == "commerce":
        return parts[1], parts[2]
    return "", ""


def _buttons(body: str, *buttons: Button) -> OutboundMessage:
    return ButtonsMessage(body=body, buttons=buttons) if buttons else TextMessage(body=body)


def _not_found(number: str, language: Any) -> OutboundMessage:
    return _buttons(
        say("orders.not_found", language, number=number),
        Button(id="commerce:orders", title=say("button.my_orders", language)),
        views.human_button(language),
    )


def _status(order: OrderView, shop: Shop, language: Any) -> OutboundMessage:
    lines = [views.status_line(order, shop, language)]
    if order.status == "pending_payment" and order.payment_url:
        lines.append(say("orders.pay_here", language, url=order.payment_url))
    return TextMessage(body="\n".join(lines))


async def order_status(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """The named order's status, else the latest one's, else a list to pick from."""
    store = context_from(runtime.context).commerce
    shop, language, wa_id = await shop_of(state, runtime), state.language, state.turn.wa_id
    tenant = shop.profile.tenant_id
    number = entities_of(state).order_number
    if number:
        order = await store.find_order(tenant, wa_id, number)
        message = _status(order, shop, language) if order else _not_found(number, language)
        return reply(state, message)
    orders = await store.recent_orders(OrderQuery(tenant, wa_id, limit=RECENT))
    if not orders:
        none = _buttons(say("orders.none", language), views.catalog_button(language))
        return reply(state, none)
    if len(orders) == 1:
        return reply(state, _status(orders[0], shop, language))
    return reply(state, views.order_rows(orders, shop, language))


def _ask_to_cancel(order: OrderView, shop: Shop, language: Any) -> OutboundMessage:
    body = say("orders.cancel_confirm", language, number=order.number,
               total=views.money(order.total_minor, shop))  # fmt: skip
    return _buttons(
        body,
        Button(id=f"commerce:cancelyes:{order.number}", title=say("button.cancel_yes", language)),
        Button(id=f"commerce:cancelno:{order.number}", title=say("button.cancel_no", language)),
    )


def _refused(order: OrderView, language: Any) -> OutboundMessage:
    status = say(f"name.{order.status}", language)
    body = say("orders.cancel_refused", language, number=order.number, status=status)
    return _buttons(body, views.human_button(language))


async def cancel_order(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Ask before cancelling the customer's order; cancel it on "yes" if still allowed."""
    if entities_of(state).products:  # "cancel the mug": about the cart, not an order
        from nodes.lanes.commerce import remove

        return await remove(state, runtime)
    store = context_from(runtime.context).commerce
    shop_, language, wa_id = await shop_of(state, runtime), state.language, state.turn.wa_id
    tenant, allowed = shop_.profile.tenant_id, shop_.settings.customer_cancel_statuses
    action, chosen = order_choice(state.turn.choice_id)
    number = chosen or entities_of(state).order_number
    if action == "cancelno":
        return reply(state, TextMessage(body=say("orders.kept", language, number=chosen)))
    if action == "cancelyes":
        outcome = await store.cancel_order(tenant, wa_id, chosen, allowed=allowed,
                                           key=f"cancel:{state.turn.msg_id}")  # fmt: skip
        if outcome is None:
            return reply(state, _not_found(chosen, language))
        if isinstance(outcome, CancelRefused):
            return reply(state, _refused(outcome.order, language))
        return reply(state, TextMessage(body=_cancelled(outcome, shop_, language)))
    if number:
        order = await store.find_order(tenant, wa_id, number)
        if order is None:
            return reply(state, _not_found(number, language))
        if order.status == "cancelled":
            return reply(state, TextMessage(body=say("orders.cancelled", language,
                                                     number=order.number)))  # fmt: skip
        if order.status not in allowed:
            return reply(state, _refused(order, language))
        return reply(state, _ask_to_cancel(order, shop_, language))
    orders = await store.recent_orders(OrderQuery(tenant, wa_id, limit=RECENT, statuses=allowed))
    if not orders:
        latest = await store.recent_orders(OrderQuery(tenant, wa_id, limit=1))
        if latest and latest[0].status != "cancelled":  # e.g. shipped: say why not
            return reply(state, _refused(latest[0], language))
        return reply(state, TextMessage(body=say("orders.nothing_to_cancel", language)))
    if len(orders) == 1:
        return reply(state, _ask_to_cancel(orders[0], shop_, language))
    rows = views.order_rows(orders, shop_, language)
    sections = tuple(
        section.model_copy(update={"rows": tuple(
            row.model_copy(update={"id": row.id.replace("commerce:order:", "commerce:cancelask:")})
            for row in section.rows)})
        for section in rows.sections
    )  # fmt: skip
    return reply(state, rows.model_copy(update={"sections": sections}))


def _cancelled(outcome: CancelOutcome, shop: Shop, language: Any) -> str:
    order = outcome.order
    lines = [say("orders.cancelled", language, number=order.number)]
    if outcome.changed and order.payment_status == "paid":
        lines.append(say("orders.refund", language, total=views.money(order.total_minor, shop)))
    return "\n".join(lines)


async def change_order(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """ "Change my address": during a checkout, that step is asked again; with nothing
    ordered yet, when the address is asked; a placed order is not edited in the chat: offer
    to cancel it (if allowed) or a person."""
    ctx = context_from(runtime.context)
    store = ctx.commerce
    commerce = session_of(state).commerce
    if commerce.cart and is_active(commerce.checkout, ctx.clock()):
        return await checkout.change_step(state, runtime, "address")
    shop, language = await shop_of(state, runtime), state.language
    placed = await store.recent_orders(
        OrderQuery(shop.profile.tenant_id, state.turn.wa_id, limit=1)
    )
    if not placed:
        key, first = ("orders.change_cart", views.checkout_button(language)) if commerce.cart \
            else ("orders.none", views.catalog_button(language))  # fmt: skip
        return reply(state, _buttons(say(key, language), first))
    allowed = shop.settings.customer_cancel_statuses
    query = OrderQuery(shop.profile.tenant_id, state.turn.wa_id, limit=1, statuses=allowed)
    cancellable = await store.recent_orders(query)
    buttons = [views.human_button(language)]
    if cancellable:
        number = cancellable[0].number
        cancel = Button(
            id=f"commerce:cancelask:{number}", title=say("button.cancel_order", language)
        )
        buttons.insert(0, cancel)
    return reply(state, _buttons(say("orders.change", language), *buttons))
