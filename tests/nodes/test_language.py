"""detect_language on the short, informal messages WhatsApp users actually send."""

from __future__ import annotations

import pytest

from nodes.language import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi", "en"),
        ("hello", "en"),
        ("thanks", "en"),
        ("where is my order?", "en"),
        ("i cant remember my password help", "en"),
        ("hola", "es"),
        ("gracias", "es"),
        ("buenas tardes", "es"),
        ("¿dónde está mi pedido?", "es"),
        ("quiero hablar con una persona", "es"),
        ("necesito cambiar la dirección de envío", "es"),
        ("oi", "pt"),
        ("olá", "pt"),
        ("obrigado", "pt"),
        ("obrigada!", "pt"),
        ("valeu", "pt"),
        ("cadê meu pedido?", "pt"),
        ("quero falar com um atendente", "pt"),
        ("não consigo entrar na minha conta", "pt"),
        ("vocês aceitam pix?", "pt"),
        ("bom dia", "pt"),
    ],
)
def test_short_messages_get_the_right_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_undecidable_text_falls_back_to_the_default() -> None:
    assert detect_language("12345", default="es") == "es"
    assert detect_language("👍", default="pt") == "pt"


def test_portuguese_and_spanish_near_twins_are_told_apart() -> None:
    assert detect_language("quiero cancelar mi pedido") == "es"
    assert detect_language("quero cancelar meu pedido") == "pt"
