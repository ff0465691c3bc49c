"""Elliptical follow-ups: "and the french press too" right after an add is another add.

Said on its own, "the french press" names a product, so it reads as a question about it.
Right after the customer added (or removed) something, a product joined on with "and" or
"too" without a verb of its own continues that request: the same intent, for the new
product. A question ("and the french press?") stays a question.
"""

from __future__ import annotations

import itertools

from graph.understanding import Understanding
from nodes.text import tokens

CONTINUED = frozenset({"add_to_cart", "remove_from_cart"})
"""Requests a product joined on with "and ... too" repeats."""
READ_AS = frozenset({"product_question", "browse_catalog"})
"""What a product named without a verb reads as on its own."""
JOINING_FIRST = frozenset({"and", "y", "e", "plus", "also", "tambien", "tambem", "ademas"})
"""A first word that joins the message to the last one."""
ALSO = frozenset({"too", "also", "tambien", "tambem", "ademas"})
"""Anywhere in the message: "the french press too", "la prensa también"."""
ALSO_PHRASES = (("as", "well"),)


def _joined(words: list[str]) -> bool:
    if words[0] in JOINING_FIRST or set(words) & ALSO:
        return True
    pairs = set(itertools.pairwise(words))
    return any(phrase in pairs for phrase in ALSO_PHRASES)


def continued(understanding: Understanding, text: str, last_intent: str | None) -> Understanding:
    """`understanding`, or the last request's intent when the message continues it."""
    if last_intent not in CONTINUED or understanding.intent not in READ_AS:
        return understanding
    words = tokens(text)
    if not words or not understanding.entities.products or "?" in text or "¿" in text:
        return understanding
    if not _joined(words):
        return understanding
    return understanding.model_copy(update={"intent": last_intent})
