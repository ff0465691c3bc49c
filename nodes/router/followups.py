"""Short follow-ups ("ok", "yes", "2", "the blue one", "sí", "dale", "pode ser").

They carry no lane of their own: while a lane is sticky they belong to it.
"""

from __future__ import annotations

import re

from nodes.text import fold, tokens

FOLLOWUP_WORDS = frozenset(
    """
    ok okay okey k kk yes yep yeah yup sure no nope fine great cool perfect please thanks
    thank you ty that this one ones the a first second third last other another more si sí
    claro dale vale bueno listo perfecto gracias ese esa este esta el la uno una primero
    primera segundo segunda tercero tercera ultimo ultima otro otra mas sim nao não pode ser
    beleza blz isso esse essa o um uma primeiro segunda terceiro obrigado obrigada valeu
    certo quero blue red green black white azul rojo roja verde negro negra blanco blanca
    vermelho vermelha preto preta branco branca
    """.split()  # noqa: SIM905
)
_NUMBER = re.compile(r"^#?\d{1,2}$")
MAX_FOLLOWUP_WORDS = 4


def is_followup(text: str) -> bool:
    """True for a short reply made only of acknowledgements, ordinals, numbers or colours."""
    words = tokens(text)
    if not words:
        return bool(fold(text).strip())  # an emoji or "👍" alone
    if len(words) > MAX_FOLLOWUP_WORDS:
        return False
    return all(word in FOLLOWUP_WORDS or _NUMBER.match(word) for word in words)
