"""`extract_entities` on phrasings the entity dev set showed it missed or misread, in English,
Spanish and Portuguese: multiplier counts, "the number 2" after a list, money and years that
are not quantities or order numbers, yes/no forms, and "tonight"."""

from __future__ import annotations

import pytest

from nodes.entities import extract_entities
from nodes.tenants import load_catalog, load_profile

CATALOG = load_catalog(load_profile("demo"))
SHOWN = ("MUG-BLUE", "MUG-RED", "COFFEE-250", "FRENCH-PRESS", "TOTE-BAG")


@pytest.mark.parametrize("text", ["blue mug x2", "taza azul x2", "2x caneca azul"])
def test_a_multiplier_is_the_products_quantity(text: str) -> None:
    products = extract_entities(text, catalog=CATALOG).products
    assert [(m.sku, m.quantity) for m in products] == [("MUG-BLUE", 2)]


@pytest.mark.parametrize("text", ["the number 2", "la número 2", "a número 2"])
def test_the_number_n_picks_from_the_list(text: str) -> None:
    entities = extract_entities(text, catalog=CATALOG, shown=SHOWN)
    assert entities.position == 2
    assert [m.sku for m in entities.products] == ["MUG-RED"]
    assert entities.quantity is None


@pytest.mark.parametrize(
    "text",
    [
        "do you have a mug under $20?",
        "tienen alguna taza por menos de 20 dólares?",
        "tem caneca por menos de 20 reais?",
    ],
)
def test_an_amount_of_money_is_not_a_quantity(text: str) -> None:
    entities = extract_entities(text, catalog=CATALOG)
    assert entities.quantity is None
    assert {m.sku for m in entities.products} == {"MUG-BLUE", "MUG-RED"}
    assert all(m.quantity is None for m in entities.products)


@pytest.mark.parametrize(
    "text",
    [
        "I bought it in 2024 and it broke",
        "lo compré en 2024 y se rompió",
        "comprei em 2024 e quebrou",
    ],
)
def test_a_year_is_neither_an_order_number_nor_a_quantity(text: str) -> None:
    entities = extract_entities(text, catalog=CATALOG)
    assert entities.order_number is None
    assert entities.quantity is None


@pytest.mark.parametrize("text", ["my order 2024 never came", "mi pedido 2024 no llegó",
                                  "meu pedido 2024 não chegou"])  # fmt: skip
def test_an_order_number_that_looks_like_a_year_is_still_an_order_number(text: str) -> None:
    assert extract_entities(text).order_number == "2024"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("yes sure", "yes"),
        ("si claro", "yes"),
        ("sim claro", "yes"),
        ("not now, thanks", "no"),
        ("ahora no, gracias", "no"),
        ("agora não, obrigado", "no"),
        ("nop", "no"),
        ("no i dont want that", "no"),
        ("no no quiero eso", "no"),
        ("não não quero isso", "no"),
    ],
)
def test_yes_and_no_forms(text: str, said: str) -> None:
    assert extract_entities(text).affirmation == said


@pytest.mark.parametrize("text", ["no i dont want that", "no no quiero eso", "não não quero isso"])
def test_no_then_a_refusal_is_also_a_negated_request(text: str) -> None:
    assert extract_entities(text).negated


@pytest.mark.parametrize(
    "text", ["si pago con tarjeta llega hoy?", "no llegó mi pedido", "não chegou nada"]
)
def test_a_sentence_opening_with_si_or_no_is_not_a_yes_or_no(text: str) -> None:
    assert extract_entities(text).affirmation is None


@pytest.mark.parametrize(
    "text",
    ["what time do you close tonight?", "a qué hora cierran esta noche?",
     "que horas fecham esta noite?"],
)  # fmt: skip
def test_tonight_is_today(text: str) -> None:
    entities = extract_entities(text)
    assert entities.relative_day == "today"
    assert entities.hours_edge == "closing"
