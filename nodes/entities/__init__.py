"""Entities of one message: products, quantities, positions, order numbers, yes/no, days.

`extract_entities(text, catalog=..., shown=...)` is the one function the understanding
step and the evals call. Pure and fast (regular expressions and set lookups, no model):

    >>> extract_entities("add 2 blue mugs to my cart", catalog=demo).products
    (ProductMention(sku='MUG-BLUE', quantity=2, text='add 2 blue mugs to my cart'),)

A lone small number after a list ("2", "la número 2") is a position, not a quantity. A
product named with a quantity ("2 blue mugs", "blue mug x2") carries it; a quantity said alone
("make it 3", "dos") is `quantity`; an amount of money ("$45", "45 reais") or a year ("in
2024") is neither.
"""

from __future__ import annotations

from collections.abc import Sequence

from graph.understanding import Entities
from nodes.entities.days import hours_edge_in, is_weekday_word, relative_day_in, weekday_in
from nodes.entities.numbers import (
    lone_number,
    position_in,
    quantities,
    says_zero,
    without_amounts,
    words_of,
)
from nodes.entities.orders import order_number_in
from nodes.entities.products import among_shown, mentions_in
from nodes.entities.yesno import affirmation_in
from nodes.tenants import Catalog
from nodes.text import fold

__all__ = ["extract_entities"]

EMPTY_CATALOG = Catalog(products=[])


def _position(text: str, words: list[str]) -> int | None:
    lone = lone_number(text)
    if lone is not None:
        return lone
    kept = [w for i, w in enumerate(words) if not is_weekday_word(words, i)]
    return position_in(kept)


def _free_quantity(words: list[str], order_number: str | None, position: int | None) -> int | None:
    """A quantity not tied to a product ("make it 3", "dos"), unless it is the order number."""
    if position is not None and lone_number(" ".join(words)) is not None:
        return None
    for _, value in quantities(words):
        if order_number is None or str(value) not in order_number:
            return value
    return None


def extract_entities(
    text: str, *, catalog: Catalog | None = None, shown: Sequence[str] = ()
) -> Entities:
    """Everything concrete `text` says; `shown` are the SKUs the bot listed last (in order)."""
    folded = fold(text)
    counted = without_amounts(text)  # "$45", "in 2024": not how many
    words = words_of(counted)
    order_number = order_number_in(text)
    position = _position(text, words)
    free = _free_quantity(words, order_number, position)
    named = mentions_in(counted, catalog or EMPTY_CATALOG)
    mentions = among_shown(named, position, shown, text, quantity=free)
    affirmation, negated = affirmation_in(folded, words)
    quantity = None if mentions else free
    zero = free is None and not any(m.quantity for m in mentions) and says_zero(words)
    return Entities(
        products=tuple(mentions),
        quantity=quantity,
        position=position,
        order_number=order_number,
        affirmation=affirmation,
        zero_quantity=zero,
        negated=negated,
        weekday=weekday_in(words),
        relative_day=relative_day_in(words),
        hours_edge=hours_edge_in(words),
    )
