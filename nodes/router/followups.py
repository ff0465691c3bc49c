"""Short follow-ups ("ok", "yes", "2", "the blue one", "sí", "dale", "pode ser", "thx").

They carry no lane of their own: while a lane is sticky they belong to it. Measured on the
conversation eval, acknowledgements ("ok ya quedó?", "perfeito", "thx") were the largest
group of follow-ups the classifier sent to `info` (small talk) out of the sticky lane.
"""

from __future__ import annotations

import re

from nodes.text import fold, tokens

ACK_WORDS = frozenset(
    """
    ok okay okey oki okk k kk yes yep yeah yup ya sure alright fine great cool nice awesome
    perfect got it done thanks thank you ty thx tks wait ill i ll will
    si sip sipi claro dale vale bueno buenisimo listo perfecto genial excelente gracias grcias
    grax muchas quedo espero entendido entiendo
    sim pode ser beleza blz isso certo otimo perfeito show top joia massa obrigado obrigada
    obg brigado valeu vlw foi ja vou aguardar aguardo entendi combinado tranquilo
    no nope nao
    """.split()  # noqa: SIM905
)
"""Acknowledgements, thanks, yes/no: a reply to what the lane just said."""

REFERENCE_WORDS = frozenset(
    """
    please that this one ones the a first second third last other another more quero
    ese esa este esta el la uno una primero primera segundo segunda tercero tercera ultimo
    ultima otro otra mas esse essa o um uma primeiro terceiro
    blue red green black white azul rojo roja verde negro negra blanco blanca vermelho
    vermelha preto preta branco branca
    """.split()  # noqa: SIM905
)
"""Pointing at something the lane showed: "the second one", "la azul", "o primeiro"."""

FOLLOWUP_WORDS = ACK_WORDS | REFERENCE_WORDS
_NUMBER = re.compile(r"^#?\d{1,2}$")
MAX_FOLLOWUP_WORDS = 4


def _short_words(text: str) -> list[str] | None:
    words = tokens(text)
    return words if len(words) <= MAX_FOLLOWUP_WORDS else None


def is_followup(text: str) -> bool:
    """True for a short reply made only of acknowledgements, ordinals, numbers or colours."""
    words = _short_words(text)
    if words is None:
        return False
    if not words:
        return bool(fold(text).strip())  # an emoji or "👍" alone
    return all(word in FOLLOWUP_WORDS or _NUMBER.match(word) for word in words)


def is_acknowledgement(text: str) -> bool:
    """ "ok", "thx", "perfeito", "ok ya quedó?": nothing to act on, just a reply."""
    words = _short_words(text)
    if words is None:
        return False
    if not words:
        return bool(fold(text).strip())
    return all(word in ACK_WORDS for word in words)
