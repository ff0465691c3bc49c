"""How the commerce lane shows products and carts (WhatsApp list and button limits respected).

Money is written the tenant's way (`commerce.locale`): "USD 12.00", "12,00 €", "R$ 12,00".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graph.messages import (
    Button,
    ButtonsMessage,
    ListMessage,
    ListRow,
    ListSection,
    OutboundMessage,
    TextMessage,
)
from graph.session.contract import CartLine, Language
from nodes.commerce.cart import cart_total_minor, line_minor, money_text, price_text
from nodes.commerce.checkout_views import catalog_button, checkout_button
from nodes.commerce.money import to_minor
from nodes.i18n import say
from nodes.tenants import Catalog, Product, TenantProfile

MAX_ROWS, MAX_TITLE, MAX_DESCRIPTION, MAX_BUTTON, MAX_BUTTONS = 10, 24, 72, 20, 3
MAX_BUTTONS_BODY = 1024


@dataclass(frozen=True)
class Shop:
    """The tenant the lane sells for: its profile (locale, limits) and its catalog."""

    profile: TenantProfile
    catalog: Catalog

    @property
    def currency(self) -> str:
        return self.catalog.currency

    def price(self, product: Product) -> str:
        return price_text(product, self.currency, self.profile)

    def money(self, minor: int, currency: str | None = None) -> str:
        return money_text(minor, currency or self.currency, self.profile)

    def label(self, sku: str, language: Language, fallback: str = "") -> str:
        product = self.catalog.get(sku)
        return product.label(language) if product is not None else fallback or sku


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def product_list(products: Sequence[Product], shop: Shop, language: Language) -> ListMessage:
    """An interactive list of up to 10 products (row ids `commerce:sku:<sku>`)."""
    rows = []
    for product in products[:MAX_ROWS]:
        stock = f"{product.stock} ✓" if product.stock else "0 ✗"
        detail = f"{shop.price(product)} · {stock}"
        if product.description.get(language):
            detail = f"{detail} · {product.description[language]}"
        rows.append(
            ListRow(
                id=f"commerce:sku:{product.sku}",
                title=_clip(product.label(language), MAX_TITLE),
                description=_clip(detail, MAX_DESCRIPTION),
            )
        )
    return ListMessage(
        body=say("catalog.body", language),
        button=_clip(say("catalog.button", language), MAX_BUTTON),
        sections=(
            ListSection(title=_clip(say("catalog.section", language), MAX_TITLE), rows=tuple(rows)),
        ),
    )


def product_detail(
    product: Product, shop: Shop, language: Language, quantity: int | None = None
) -> TextMessage | ButtonsMessage:
    """Price, description and stock, and the offer to add it (`quantity` units when said)."""
    values = {"name": product.label(language), "price": shop.price(product)}
    if not product.stock:
        return TextMessage(body=say("product.out_of_stock", language, **values))
    parts = [say("product.price", language, **values)]
    if product.description.get(language):
        parts.append(product.description[language].rstrip(".") + ".")
    parts.append(say("product.in_stock", language, stock=product.stock))
    if quantity and quantity > 1:
        parts.append(say("product.offer_quantity", language, quantity=quantity))
    else:
        parts.append(say("product.offer", language))
    buttons = (
        Button(id=f"commerce:add:{product.sku}", title=say("button.add", language)),
        Button(id="commerce:catalog", title=say("button.catalog", language)),
    )
    return ButtonsMessage(body=" ".join(parts), buttons=buttons)


def cart_text(cart: Sequence[CartLine], language: Language, shop: Shop) -> str:
    """The cart: one line per product with its line total, then the total (or "empty")."""
    if not cart:
        return say("cart.empty", language)
    lines = [say("cart.summary", language)]
    for line in cart:
        name = shop.label(line.sku, language, line.name)
        unit = shop.money(to_minor(line.unit_price, line.currency), line.currency)
        total = shop.money(line_minor(line), line.currency)
        lines.append(
            say("cart.line", language, quantity=line.quantity, name=name, unit=unit, total=total)
        )
    total = shop.money(cart_total_minor(cart), cart[0].currency)
    lines.append(say("cart.total", language, total=total))
    return "\n".join(lines)


def cart_with_next_steps(body: str, language: Language) -> tuple[OutboundMessage, ...]:
    """The cart with Check out / See products as reply buttons, so paying is one tap. A cart
    too long for a buttons message (WhatsApp: body up to 1024 characters) goes as text,
    followed by a short question carrying the buttons."""
    buttons = (checkout_button(language), catalog_button(language))
    if len(body) <= MAX_BUTTONS_BODY:
        return (ButtonsMessage(body=body, buttons=buttons),)
    ask = ButtonsMessage(body=say("cart.next_step", language), buttons=buttons)
    return TextMessage(body=body), ask


def choose_buttons(
    body: str, skus: Sequence[str], action: str, shop: Shop, language: Language
) -> ButtonsMessage | ListMessage:
    """Ask which product: up to 3 buttons `commerce:<action>:<sku>`, else a list."""
    titles = [(sku, shop.label(sku, language)) for sku in skus]
    if len(titles) <= MAX_BUTTONS:
        buttons = tuple(
            Button(id=f"commerce:{action}:{sku}", title=_clip(title, MAX_BUTTON))
            for sku, title in titles
        )
        return ButtonsMessage(body=body, buttons=buttons)
    rows = tuple(
        ListRow(id=f"commerce:{action}:{sku}", title=_clip(title, MAX_TITLE))
        for sku, title in titles[:MAX_ROWS]
    )
    return ListMessage(
        body=body,
        button=_clip(say("cart.button", language), MAX_BUTTON),
        sections=(ListSection(title=_clip(say("cart.section", language), MAX_TITLE), rows=rows),),
    )
