"""The checkout's messages: each step's question, the summary, how to pay, an order's status.

Choice ids (`commerce:checkout:<what>[:<value>]`, `commerce:confirm:<key>`,
`commerce:order:<number>`, `commerce:cancel{ask,yes,no}:<number>`) are read back by
`nodes.commerce.steer` and the handlers; titles respect WhatsApp's limits.
"""

from __future__ import annotations

from collections.abc import Sequence

from graph.messages import (
    Button,
    ButtonsMessage,
    ListMessage,
    ListRow,
    ListSection,
    OrderDetailsMessage,
    OrderItem,
    OutboundMessage,
    PixCode,
    TextMessage,
)
from graph.session.contract import CartLine, CheckoutState, CheckoutStep, Language
from nodes.commerce.flow import Shop, totals
from nodes.commerce.money import format_money, to_minor
from nodes.commerce.pix import static_code
from nodes.commerce.ports import OrderView, PaymentView
from nodes.commerce.texts import say

MAX_TITLE, MAX_DESCRIPTION, MAX_ROWS = 24, 72, 10


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def money(minor: int, shop: Shop) -> str:
    return format_money(minor, shop.currency, shop.settings.locale)


def human_button(language: Language) -> Button:
    return Button(id="support:human", title=say("button.human", language))


def catalog_button(language: Language) -> Button:
    return Button(id="commerce:catalog", title=say("button.catalog", language))


def checkout_button(language: Language) -> Button:
    return Button(id="commerce:checkout", title=_clip(say("button.checkout", language), 20))


def _choices(
    body: str, options: Sequence[tuple[str, str, str | None]], language: Language
) -> OutboundMessage:
    """Up to 3 options as buttons, more as a list: (id, title, description)."""
    if len(options) <= 3 and all(description is None for _, _, description in options):
        buttons = tuple(Button(id=id_, title=_clip(title, 20)) for id_, title, _ in options)
        return ButtonsMessage(body=body, buttons=buttons)
    rows = tuple(
        ListRow(
            id=id_,
            title=_clip(title, MAX_TITLE),
            description=_clip(description, MAX_DESCRIPTION) if description else None,
        )
        for id_, title, description in options[:MAX_ROWS]
    )
    title = _clip(say("button.choose", language), MAX_TITLE)
    return ListMessage(
        body=body,
        button=_clip(say("button.choose", language), 20),
        sections=(ListSection(title=title, rows=rows),),
    )


def question(
    step: CheckoutStep, checkout: CheckoutState, shop: Shop, language: Language,
    profile_name: str | None,
) -> OutboundMessage:  # fmt: skip
    """The question of a step other than the summary."""
    if step == "fulfilment":
        options = [(f"commerce:checkout:fulfilment:{way}", say(f"button.{way}", language), None)
                   for way in shop.fulfilments()]  # fmt: skip
        return _choices(say("checkout.fulfilment", language), options, language)
    if step == "zone":
        zone_options = []
        for zone in shop.settings.fulfilment.delivery.zones:
            fee = say(
                "checkout.zone_row", language, fee=money(to_minor(zone.fee, shop.currency), shop)
            )
            eta = zone.eta.get(language) or zone.eta.get("en")
            description = f"{fee} · {eta}" if eta else fee
            zone_options.append(
                (f"commerce:checkout:zone:{zone.id}", zone.label(language), description)
            )
        return _choices(say("checkout.zone", language), zone_options, language)
    if step == "pickup":
        addresses = {location.name: location.address for location in shop.profile.locations}
        pickup_options = [
            (f"commerce:checkout:pickup:{index}", name, addresses.get(name) or "")
            for index, name in enumerate(shop.pickup_locations())
        ]
        return _choices(say("checkout.pickup", language), pickup_options, language)
    if step == "address":
        return TextMessage(body=say("checkout.address", language))
    if step == "name":
        if profile_name and not checkout.ask_name:
            buttons = (
                Button(id="commerce:checkout:name:yes", title=say("button.name_yes", language)),
                Button(id="commerce:checkout:name:other", title=say("button.name_other", language)),
            )
            body = say("checkout.name_confirm", language, name=profile_name)
            return ButtonsMessage(body=body, buttons=buttons)
        return TextMessage(body=say("checkout.name_ask", language))
    methods = shop.methods(checkout.fulfilment)
    method_options = [(f"commerce:checkout:pay:{method}", say(f"method.{method}", language), None)
                      for method in methods]  # fmt: skip
    return _choices(say("checkout.payment", language), method_options, language)


def summary(
    cart: list[CartLine], checkout: CheckoutState, shop: Shop, language: Language, key: str
) -> ButtonsMessage:
    """The order as it would be placed, with Confirm / Change / Cancel."""
    sums = totals(cart, checkout, shop)
    lines = [say("checkout.summary", language)]
    for line in cart:
        product = shop.catalog.get(line.sku)
        name = product.label(language) if product is not None else line.name
        unit = to_minor(product.price, shop.currency) if product is not None else 0
        lines.append(f"• {line.quantity} × {name}: {money(unit * line.quantity, shop)}")
    lines.append(say("checkout.subtotal", language, amount=money(sums.subtotal, shop)))
    if checkout.fulfilment == "delivery":
        zone = shop.zone(checkout.zone)
        fee = money(sums.shipping, shop) if sums.shipping else say("checkout.free", language)
        label = zone.label(language) if zone is not None else ""
        lines.append(say("checkout.shipping", language, zone=label, amount=fee))
    lines.append(say("checkout.total", language, amount=money(sums.total, shop)))
    lines.append("")
    if checkout.fulfilment == "delivery":
        lines.append(say("checkout.deliver_to", language, address=_address(checkout)))
    else:
        location = checkout.pickup_location or shop.profile.name
        lines.append(say("checkout.pickup_at", language, location=location))
    lines.append(say("checkout.name", language, name=checkout.name))
    method = say(f"method.{checkout.payment_method}", language)
    lines.append(say("checkout.pay_with", language, method=method))
    buttons = (
        Button(id=f"commerce:confirm:{key}", title=say("button.confirm", language)),
        Button(id="commerce:checkout:change", title=say("button.change", language)),
        Button(id="commerce:checkout:cancel", title=say("button.cancel", language)),
    )
    return ButtonsMessage(body=_clip("\n".join(lines), 1024), buttons=buttons)


def _address(checkout: CheckoutState) -> str:
    """The address as given; a shared location also shows its pin."""
    address = checkout.address or ""
    if checkout.latitude is None or checkout.longitude is None or address.startswith("📍"):
        return address
    return f"{address} (📍 {checkout.latitude:.5f}, {checkout.longitude:.5f})"


def cart_to_change(cart: Sequence[CartLine], shop: Shop, language: Language) -> ButtonsMessage:
    """Change -> Items: the cart as it is, how to change it by writing, and a button back to
    the checkout (the lines become "shown", so "remove the second one" points into them)."""
    lines = [say("checkout.items_title", language)]
    for line in cart:
        product = shop.catalog.get(line.sku)
        name = _clip(product.label(language) if product is not None else line.name, 60)
        total = money(to_minor(line.unit_price, line.currency) * line.quantity, shop)
        lines.append(f"• {line.quantity} × {name}: {total}")
    lines += ["", say("checkout.change_items", language)]
    buttons = (
        Button(id="commerce:checkout", title=_clip(say("button.continue", language), 20)),
        catalog_button(language),
    )
    return ButtonsMessage(body=_clip("\n".join(lines), 1024), buttons=buttons)


def change_menu(checkout: CheckoutState, shop: Shop, language: Language) -> ListMessage:
    """The steps the customer can go back to."""
    steps: list[str] = []
    if len(shop.fulfilments()) > 1:
        steps.append("fulfilment")
    if checkout.fulfilment == "delivery":
        if len(shop.settings.fulfilment.delivery.zones) > 1:
            steps.append("zone")
        steps.append("address")
    elif len(shop.pickup_locations()) > 1:
        steps.append("pickup")
    steps.append("name")
    if len(shop.methods(checkout.fulfilment)) > 1:
        steps.append("payment")
    steps.append("items")
    rows = tuple(
        ListRow(id=f"commerce:checkout:edit:{step}", title=say(f"button.edit_{step}", language))
        for step in steps
    )
    title = _clip(say("button.change", language), MAX_TITLE)
    return ListMessage(
        body=say("checkout.change", language),
        button=_clip(say("button.choose", language), 20),
        sections=(ListSection(title=title, rows=rows),),
    )


def how_to_pay(order: OrderView, payment: PaymentView, shop: Shop, language: Language) -> str:
    """What the customer does next to pay `order`."""
    total = money(order.total_minor, shop)
    if payment.status == "paid":
        return say("pay.paid", language, number=order.number)
    method = payment.method
    if method == "card_link" and payment.url:
        return say("pay.card_link", language, total=total, url=payment.url)
    if method == "pix" and payment.pix_key:
        return say(
            "pay.pix",
            language,
            total=total,
            pix_key=payment.pix_key,
            merchant=payment.merchant_name or shop.profile.name,
            number=order.number,
        )
    if method == "bank_transfer":
        transfer = shop.settings.bank_transfer
        instructions = transfer.get(language) or transfer.get("en", "")  # type: ignore[call-overload]
        return say(
            "pay.bank_transfer",
            language,
            instructions=instructions,
            total=total,
            number=order.number,
        )
    if method == "cash_on_delivery":
        return say("pay.cash_on_delivery", language, total=total)
    location = order.pickup_location or shop.profile.name
    return say("pay.pay_in_store", language, total=total, location=location)


def order_details(
    order: OrderView, payment: PaymentView, shop: Shop, language: Language
) -> OrderDetailsMessage | None:
    """WhatsApp Payments (Brazil): the order to review and pay inside WhatsApp, with the
    Pix code or the card link; None when the tenant does not use it for this payment."""
    settings = shop.settings
    if not settings.whatsapp_payments.enabled or order.currency != "BRL":
        return None
    if payment.status != "pending" or not payment.reference:
        return None
    pix, link = settings.pix, None
    code = None
    if payment.method == "pix" and pix is not None and pix.merchant_city:
        text = static_code(pix.key, pix.merchant_name, pix.merchant_city,
                           amount_minor=order.total_minor, txid=order.number)  # fmt: skip
        code = PixCode(code=text, merchant_name=pix.merchant_name, key=pix.key,
                       key_type=pix.key_type)  # fmt: skip
    elif payment.method == "card_link" and payment.url:
        link = payment.url
    if code is None and link is None:
        return None
    items = []
    for line in order.lines:
        product = shop.catalog.get(line.sku)
        name = product.label(language) if product is not None else line.name
        items.append(OrderItem(retailer_id=line.sku, name=_clip(name, 60),
                               unit_minor=line.unit_minor, quantity=line.quantity))  # fmt: skip
    return OrderDetailsMessage(
        body=say("pay.order_details", language, number=order.number),
        reference_id=payment.reference,
        items=tuple(items),
        shipping_minor=order.shipping_minor,
        pix=code,
        payment_link=link,
    )


def status_line(order: OrderView, shop: Shop, language: Language) -> str:
    status = say(f"name.{order.status}", language)
    return say("orders.status", language, number=order.number, status=status,
               total=money(order.total_minor, shop))  # fmt: skip


def order_rows(orders: list[OrderView], shop: Shop, language: Language) -> ListMessage:
    rows = tuple(
        ListRow(
            id=f"commerce:order:{order.number}",
            title=_clip(order.number, MAX_TITLE),
            description=_clip(
                f"{say(f'name.{order.status}', language)} · {money(order.total_minor, shop)}",
                MAX_DESCRIPTION,
            ),
        )
        for order in orders[:MAX_ROWS]
    )
    title = _clip(say("button.my_orders", language), MAX_TITLE)
    return ListMessage(
        body=say("orders.pick", language),
        button=_clip(say("button.my_orders", language), 20),
        sections=(ListSection(title=title, rows=rows),),
    )
