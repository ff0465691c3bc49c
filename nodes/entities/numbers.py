"""Quantities and list positions, in digits and in words (EN/ES/PT).

"2", "two", "dos", "dois", "duas", "a couple", "un par", "um par" are quantities; "the
second one", "la segunda", "o último", "#2" or a lone "2" after a list are positions.
"""

from __future__ import annotations

import re

from nodes.text import fold

MAX_QUANTITY_DIGITS = 6
"""A number of up to this many digits next to a product is how many the customer asked for,
however many that is ("add 500 mugs"): the cart caps it at the stock or the per-order
maximum and says so. Longer numbers are phone numbers, codes or order numbers."""

NUMBER_WORDS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12,
    "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "doce": 12, "docena": 12,
    "um": 1, "uma": 1, "dois": 2, "duas": 2, "quatro": 4, "sete": 7, "oito": 8,
    "nove": 9, "dez": 10, "onze": 11, "duzia": 12,
}  # fmt: skip
"""Number words; "one"/"uno"/"um" only count next to a product ("one mug", not "the blue one")."""

ARTICLE_ONE = frozenset({"one", "uno", "una", "um", "uma", "a", "an"})

ORDINALS: dict[str, int] = {
    "first": 1, "primero": 1, "primera": 1, "primer": 1, "primeiro": 1, "primeira": 1,
    "second": 2, "segundo": 2, "segunda": 2,
    "third": 3, "tercero": 3, "tercera": 3, "tercer": 3, "terceiro": 3, "terceira": 3,
    "fourth": 4, "cuarto": 4, "cuarta": 4, "quarto": 4, "quarta": 4,
    "fifth": 5, "quinto": 5, "quinta": 5,
    "sixth": 6, "sexto": 6, "sexta": 6,
    "last": -1, "ultimo": -1, "ultima": -1,
}  # fmt: skip
"""Ordinals as list positions (-1 is the last)."""

_ORDINAL_DIGITS = re.compile(r"^(\d{1,2})(?:st|nd|rd|th|o|a|º|ª)$")
_ONLY_NUMBER = re.compile(
    r"^\s*(?:(?:the|el|la|o|a)\s+)?"
    r"(?:#|n[o°º]\.?\s*|number\s+|numero\s+|opcion\s+|opcao\s+|option\s+)?(\d{1,2})\s*[.!?]?\s*$"
)
_NUMBER_TOKEN = re.compile(r"[a-z0-9]+")
_TIMES = re.compile(r"^(?:x(\d{1,3})|(\d{1,3})x)$")
"""A count written as a multiplier: "blue mug x2", "2x tote bag"."""
_MONEY = re.compile(
    r"(?:us\$|r\$|\$|€|£)\s*\d+(?:[.,]\d+)?"
    r"|\d+(?:[.,]\d+)?\s*(?:dollars?|dolares|dolar|bucks|reais|real|euros?|pesos?|usd|brl|eur)\b"
)
"""An amount of money ("$45", "45 dólares", "R$ 30"): a price, never a quantity."""
_YEAR = re.compile(r"\b(?:in|since|year|en|desde|ano|em|de|of)\s+(?:199\d|20[0-3]\d)\b")
"""A year ("bought it in 2024", "comprei em 2024"): never a quantity."""


def without_amounts(text: str) -> str:
    """`text` folded, with amounts of money and years blanked out, for counting in it."""
    return _YEAR.sub(" ", _MONEY.sub(" ", fold(text)))


def lone_number(text: str) -> int | None:
    """A message that is only a small number ("2", "#3", "opción 2"): a pick from a list."""
    match = _ONLY_NUMBER.match(fold(text))
    return int(match.group(1)) if match else None


def position_in(words: list[str]) -> int | None:
    """The first ordinal ("the second one", "o último", "3rd") as a 1-based position."""
    for word in words:
        if word in ORDINALS:
            return ORDINALS[word]
        match = _ORDINAL_DIGITS.match(word)
        if match:
            return int(match.group(1))
    return None


def number_at(words: list[str], index: int) -> int | None:
    """The quantity the word at `index` says, if it is one ("2", "dos", "couple")."""
    word = words[index]
    if word.isdigit():
        value = int(word)
        return value if value > 0 and len(word) <= MAX_QUANTITY_DIGITS else None
    times = _TIMES.match(word)
    if times:
        value = int(times.group(1) or times.group(2))
        return value if value > 0 else None
    if word in {"couple", "par", "pair"} and index > 0 and words[index - 1] in {"a", "un", "um"}:
        return 2
    if word in NUMBER_WORDS and word not in ARTICLE_ONE:
        return NUMBER_WORDS[word]
    return None


ZERO_WORDS = frozenset({"0", "zero", "cero"})
"""Zero in digits or words (English and Portuguese "zero", Spanish "cero")."""


def says_zero(words: list[str]) -> bool:
    """Whether a quantity of zero is said ("add 0 mugs"): number_at never returns 0."""
    return any(word in ZERO_WORDS or (word.isdigit() and int(word) == 0) for word in words)


def quantities(words: list[str]) -> list[tuple[int, int]]:
    """(word index, quantity) of every quantity in `words`, in order."""
    found = []
    for index in range(len(words)):
        value = number_at(words, index)
        if value is not None:
            found.append((index, value))
    return found


def words_of(text: str) -> list[str]:
    """Folded word tokens, keeping ordinal digits ("2nd") whole."""
    return _NUMBER_TOKEN.findall(fold(text).replace("º", "o").replace("ª", "a"))
