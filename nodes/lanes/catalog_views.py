"""How the commerce lane shows products and carts (WhatsApp list limits respected)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from graph.messages import Button, ButtonsMessage, ListMessage, ListRow, ListSection, TextMessage
from graph.session.contract import CartLine, Language
from nodes.i18n import money, say
from nodes.tenants import Catalog, Product
from nodes.text import tokens

MAX_ROWS, MAX_TITLE, MAX_DESCRIPTION, MAX_BUTTON = 10, 24, 72, 20
ORDINALS = {
    "first": 1, "primero": 1, "primera": 1, "primeiro": 1, "primeira": 1,
    "second": 2, "segundo": 2, "segunda": 2,
    "third": 3, "tercero": 3, "tercera": 3, "terceiro": 3, "terceira": 3,
    "fourth": 4, "cuarto": 4, "cuarta": 4, "quarto": 4, "quarta": 4,
    "fifth": 5, "quinto": 5, "quinta": 5,
    "last": -1, "ultimo": -1, "ultima": -1,
}  # fmt: skip
_ONLY_NUMBER = re.compile(
    r"^\s*(?:#|n[o°º]\.?\s*|number\s+|numero\s+|opcion\s+|opcao\s+)?(\d{1,2})\s*$"
)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def product_list(products: Sequence[Product], catalog: Catalog, language: Language) -> ListMessage:
    """An interactive list of up to 10 products (row ids `commerce:sku:<sku>`)."""
    rows = []
    for product in products[:MAX_ROWS]:
        stock = f"{product.stock} ✓" if product.stock else "0 ✗"
        detail = f"{money(product.price, catalog.currency)} · {stock}"
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
    product: Product, catalog: Catalog, language: Language
) -> TextMessage | ButtonsMessage:
    values = {"name": product.label(language), "price": money(product.price, catalog.currency)}
    if not product.stock:
        return TextMessage(body=say("product.out_of_stock", language, **values))
    body = say("product.in_stock", language, stock=product.stock, **values)
    buttons = (
        Button(id=f"commerce:add:{product.sku}", title=say("button.add", language)),
        Button(id="commerce:catalog", title=say("button.catalog", language)),
    )
    return ButtonsMessage(body=body, buttons=buttons)


def cart_text(cart: Sequence[CartLine], language: Language, catalog: Catalog) -> str:
    """The cart with product names in the customer's language (stored lines keep English)."""
    if not cart:
        return say("cart.empty", language)
    lines = [say("cart.summary", language)]
    for line in cart:
        product = catalog.get(line.sku)
        name = product.label(language) if product is not None else line.name
        amount = money(line.unit_price * line.quantity, line.currency)
        lines.append(f"• {line.quantity} × {name}: {amount}")
    total = sum(line.unit_price * line.quantity for line in cart)
    lines.append(say("cart.total", language, total=money(total, cart[0].currency)))
    return "\n".join(lines)


def referenced_index(text: str) -> int | None:
    """ "2", "#2", "the second one", "el segundo", "o último" -> 1-based index (-1 = last)."""
    match = _ONLY_NUMBER.match(text.lower())
    if match:
        return int(match.group(1))
    return next((ORDINALS[word] for word in tokens(text) if word in ORDINALS), None)


def resolve_reference(text: str, shown: Sequence[str], catalog: Catalog) -> Product | None:
    """The product `text` points at among the last shown ones (by position or by words)."""
    if not shown:
        return None
    index = referenced_index(text)
    if index is not None:
        position = len(shown) - 1 if index == -1 else index - 1
        return catalog.get(shown[position]) if 0 <= position < len(shown) else None
    matches = [p for p in catalog.search(text) if p.sku in shown]
    return matches[0] if len(matches) == 1 else None


def quantity_in(text: str) -> int:
    """ "quiero 2 tazas" -> 2; no number -> 1 (a lone number is a position, not a quantity)."""
    if _ONLY_NUMBER.match(text.lower()):
        return 1
    numbers = [int(w) for w in tokens(text) if w.isdigit() and 0 < int(w) <= 20]
    return numbers[0] if numbers else 1
