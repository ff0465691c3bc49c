"""Order numbers: "order 1234", "pedido #A-1042", "encomenda nº 5521", "#1042".

Normalized to upper case without "#" or spaces ("#a-1042" -> "A-1042"). A bare number of
four or more digits counts too ("it's 1234", "era o 88231") unless it looks like a phone
number or a price; a short number alone is a list position or a quantity, not an order.
"""

from __future__ import annotations

import re

from nodes.text import fold

_ORDER_WORD = (
    r"(?:order|orders|pedido|pedidos|orden|compra|encomenda|purchase|numero de pedido"
    r"|order number|order no|order id|n[uú]mero|no|nro|nr)"
)
_ID = r"#?\s*([a-z]{0,3}-?\d{3,12}|\d{1,3}-\d{3,9})"
_AFTER_WORD = re.compile(rf"\b{_ORDER_WORD}\b\.?\s*(?:(?:number|numero|n[o°º]|#)\.?\s*)?{_ID}\b")
_HASHED = re.compile(r"(?<![\w#])#\s*([a-z]{0,3}-?\d{3,12})\b")
_BARE = re.compile(r"(?<![\w.,$€£-])(\d{4,10})(?![\w.,%])")
_MONEY_BEFORE = re.compile(r"(?:\$|usd|r\$|eur|€|£|brl)\s*$")


def _normalize(raw: str) -> str:
    return re.sub(r"[\s#]", "", raw).upper()


def order_number_in(text: str) -> str | None:
    """The order number the message names, normalized; None when there is none."""
    folded = fold(text)
    for pattern in (_AFTER_WORD, _HASHED):
        match = pattern.search(folded)
        if match:
            return _normalize(match.group(1))
    for match in _BARE.finditer(folded):
        if not _MONEY_BEFORE.search(folded[: match.start()]):
            return match.group(1)
    return None
