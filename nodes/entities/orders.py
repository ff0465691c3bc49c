"""Order numbers: "order 1234", "pedido #A-1042", "encomenda nº 5521", "#1042".

Normalized to upper case without "#" or spaces ("#a-1042" -> "A-1042"). A bare number of
four or more digits counts too ("it's 1234", "era o 88231") unless it looks like a phone
number, a price or a year ("in 2024"); a short number alone is a list position or a
quantity, not an order.
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
_YEAR_BEFORE = re.compile(r"\b(?:in|since|year|en|desde|ano|em|de|of)\s*$")
""""bought it in 2024", "desde 2023", "comprei em 2024": a year, not an order."""


def _is_year(number: str, before: str) -> bool:
    return len(number) == 4 and 1990 <= int(number) <= 2039 and bool(_YEAR_BEFORE.search(before))


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
        before = folded[: match.start()]
        if not _MONEY_BEFORE.search(before) and not _is_year(match.group(1), before):
            return match.group(1)
    return None
