"""Which language a turn is answered in: short replies keep the conversation's language."""

from __future__ import annotations

import pytest

from nodes.language import choose_language


@pytest.mark.parametrize(
    ("text", "previous", "expected"),
    [
        ("ok", "es", "es"),  # too short to tell: keep the conversation's language
        ("2", "pt", "pt"),
        ("sí", "en", "es"),  # only Spanish answers "sí": the customer switched
        ("obrigado", "en", "pt"),
        ("tudo bem?", "es", "pt"),
        ("thanks", "pt", "en"),
        ("gracias!", "pt", "es"),
        ("no", "pt", "pt"),  # English and Spanish both say "no": keep the conversation's
        ("okay 👍", "es", "es"),
        ("la azul", "pt", "pt"),  # a pick among what was shown: no word only one language has
        ("pix", "en", "en"),
        ("¿tienen café?", "en", "es"),  # short, but only Spanish writes "¿"
        ("mañana", "en", "es"),
        ("não", "es", "pt"),
        ("obrigado, até amanhã", "en", "pt"),  # longer: detected
        ("where is my order?", "es", "en"),
        ("hola", None, "es"),  # first message: detected even when short
    ],
)
def test_reply_language(text: str, previous: str | None, expected: str) -> None:
    assert choose_language(text, previous) == expected  # type: ignore[arg-type]
