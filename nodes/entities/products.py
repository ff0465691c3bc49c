"""Products named in a message, resolved against the tenant's catalog in any of its languages.

A product is named by the distinctive words of its names (every language) and keywords:
"blue mug", "la azul", "caneca azul", "french presses". Plurals match their singular
("tazas azules" ~ "taza azul"). A message is read in parts split at "and"/"y"/"e"/commas,
so "2 mugs and a french press" gives two products, each with its own quantity. A list
position ("the second one", "a segunda", "2") picks from the products last shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from graph.understanding import ProductMention
from nodes.entities.numbers import quantities, says_zero
from nodes.tenants import Catalog, Product
from nodes.text import fold

STOPWORDS = frozenset(
    """
    the a an of to for and with my your our me it its this that these those one ones some any
    do you have has got sell want like need please can could would add put take buy get
    el la los las un una unos unas de del al y con mi mis tu su para por que quiero tienen
    tiene venden agrega agregar pon comprar dame lo le se es
    o os um uma uns umas do da dos das no na e com meu minha seu sua pra para quero tem
    vendem adiciona adicionar coloca comprar me ele ela isso essa esse
    cart carrito carrinho cesta basket order pedido
    """.split()  # noqa: SIM905
)
"""Words too common to name a product (they also appear in product names: "Café de la casa")."""

UNIT_WORDS = frozenset(
    """
    bag bags box boxes pack packs bottle bottles can cans piece pieces unit units kilo kilos kg
    bolsa bolsas caja cajas paquete paquetes botella botellas lata latas pieza piezas unidad
    unidades saco sacos pacote pacotes garrafa garrafas peca pecas unidade
    """.split()  # noqa: SIM905
)
"""Containers and units: in "2 bags of coffee" / "2 bolsas de café" the product is the coffee."""
_OF = frozenset({"of", "de", "do", "da", "del"})

_SPLIT = re.compile(r"\s*(?:,|;|\+|&|\band\b|\by\b|\be\b|\bplus\b|\bmas\b)\s*")
_WORD = re.compile(r"[a-z0-9]+")


def stem(word: str) -> str:
    """A crude singular: "presses" -> "press", "azules" -> "azul", "azuis" -> "azul",
    "mugs" -> "mug"."""
    if len(word) > 4 and word.endswith("is") and word[-3] in "aeou":  # pt: azuis, papeis
        return word[:-2] + "l"
    if len(word) > 4 and word.endswith("es") and word[-3] in "slrnzx":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _content_words(text: str) -> set[str]:
    words = _WORD.findall(fold(text))
    return {stem(w) for w in words if w not in STOPWORDS and len(w) > 1 and not w.isdigit()}


def _without_units(part: str, catalog: Catalog) -> set[str]:
    """The part's content words, minus a unit word followed by "of"/"de" and a product, or
    any unit word when the other words still name a product ("coffee bags", "cafés en
    bolsa": the coffee, not the tote bag)."""
    words = _WORD.findall(part)
    for index, word in enumerate(words[:-2]):
        if word in UNIT_WORDS and words[index + 1] in _OF:
            rest = _content_words(" ".join(words[index + 2 :]))
            if _best_matches(rest, catalog):
                return _content_words(" ".join(words[:index] + words[index + 1 :]))
    content = _content_words(part)
    plain = {w for w in content if w not in UNIT_STEMS}
    return plain if plain != content and _best_matches(plain, catalog) else content


UNIT_STEMS = frozenset(stem(word) for word in UNIT_WORDS)


def product_words(product: Product) -> set[str]:
    """The words that can name `product`: its names in every language and its keywords."""
    names = " ".join([*product.name.values(), *product.keywords])
    return _content_words(names)


def _best_matches(words: set[str], catalog: Catalog) -> list[Product]:
    scored = [(len(words & product_words(p)), p) for p in catalog.products]
    best = max((score for score, _ in scored), default=0)
    return [product for score, product in scored if score and score == best]


def _quantity(part: str) -> int | None:
    """The quantity said in the part; 0 when it says none ("0 mugs", "no mugs" is not zero:
    that is a negation)."""
    words = _WORD.findall(fold(part))
    found = quantities(words)
    if found:
        return found[0][1]
    return 0 if says_zero(words) else None


def mentions_in(text: str, catalog: Catalog) -> list[ProductMention]:
    """Every product named in `text`, in text order; an ambiguous part ("mug") gives all of
    its best matches. The quantity said in the same part is attached."""
    found: list[ProductMention] = []
    for part in (p for p in _SPLIT.split(fold(text)) if p.strip()):
        words = _without_units(part, catalog)
        if not words:
            continue
        quantity = _quantity(part)
        for product in _best_matches(words, catalog):
            if all(m.sku != product.sku for m in found):
                found.append(ProductMention(sku=product.sku, quantity=quantity, text=part.strip()))
    return found


def among_shown(
    mentions: list[ProductMention],
    position: int | None,
    shown: Sequence[str],
    text: str,
    *,
    quantity: int | None = None,
) -> list[ProductMention]:
    """Narrow to the products last shown: a position picks one (with the `quantity` said
    beside it: "change the second one to 2"); an ambiguous name keeps its shown matches ("the
    mug" after the blue one was shown); a name with one match stays, shown or not ("two coffee
    bags" after the mugs were shown)."""
    if not shown:
        return mentions
    if position is not None:
        index = len(shown) - 1 if position == -1 else position - 1
        if 0 <= index < len(shown):
            return [ProductMention(sku=shown[index], quantity=quantity, text=text.strip())]
        return mentions
    kept: list[ProductMention] = []
    for part in dict.fromkeys(m.text for m in mentions):  # one name, its matches together
        named = [m for m in mentions if m.text == part]
        narrowed = [m for m in named if m.sku in shown] if len(named) > 1 else named
        kept += narrowed or named
    return kept
