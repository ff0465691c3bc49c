"""Yes / no, with negation (EN/ES/PT).

"yes", "sure", "dale", "pode ser" are yes; "no", "nope", "não", "no gracias" are no; so are
"no, I don't want it", "not that one", "não quero", "ninguna". A negated request ("I don't
want the blue mug", "no quiero la taza", "não quero a caneca") is flagged `negated`: a lane
must not act on it. "no problem" / "sin problema" / "sem problema" is an acknowledgement.
"""

from __future__ import annotations

import re

from graph.understanding import Affirmation

YES_PHRASES = (
    "yes", "yeah", "yep", "yup", "sure", "ok", "okay", "okey", "oki", "k", "alright",
    "of course", "go ahead", "please do", "sounds good", "perfect", "great", "fine",
    "si", "sip", "claro", "dale", "vale", "bueno", "por supuesto", "de una", "esta bien",
    "perfecto", "listo",
    "sim", "pode ser", "pode", "claro que sim", "isso", "beleza", "blz", "bora", "fechado",
    "com certeza", "perfeito", "certo", "ok pode",
    "no problem", "no worries", "sin problema", "sem problema", "no hay problema",
)  # fmt: skip
"""Folded; matched as whole words at the start of a message."""

NO_PHRASES = (
    "no", "nope", "nah", "not", "never", "no thanks", "no thank you", "neither", "none",
    "not now", "not today",
    "no gracias", "ninguno", "ninguna", "nada", "tampoco", "nunca", "nop", "ahora no",
    "por ahora no",
    "nao", "nao obrigado", "nao obrigada", "nenhum", "nenhuma", "tambem nao", "negativo",
    "agora nao", "por enquanto nao",
)  # fmt: skip

ACKNOWLEDGING_NO = ("no problem", "no worries", "sin problema", "sem problema", "no hay problema")
"""Start with "no" but say yes."""

BOUNDED = frozenset(
    """
    si no not never nunca nada pode vale bueno isso certo fine great k nao ninguno ninguna none
    """.split()  # noqa: SIM905
)
"""Also mean something else at the start of a sentence ("si pago...", "no llegó", "pode me
ajudar?"): a yes/no only when nothing but punctuation or politeness follows."""
POLITE = frozenset({"thanks", "thank", "gracias", "obrigado", "obrigada", "please", "porfa",
                    "por", "favor", "senor", "senora", "moca", "amigo", "amiga"})  # fmt: skip
_LEAD = re.compile(r"^[^a-z0-9]*([a-z ]+?)\s*([,.!;:?]|$)")

NEGATORS = frozenset({"not", "dont", "don", "doesnt", "never", "no", "nao", "nunca", "ni",
                      "without", "sin", "sem", "cant"})  # fmt: skip
WANT_VERBS = frozenset(
    """
    want wanna need like take add buy order get
    quiero quiere queremos necesito quisiera agregues agregar pidas compro llevo gusta
    quero queria preciso adiciona adicionar compro levo coloca gostei
    """.split()  # noqa: SIM905
)
"""Verbs a negation turns into "do not act" ("I don't want", "no quiero", "não quero")."""

TRAILING_NO = frozenset({"no", "nao"})
MAX_TRAILING_NO = 3
"""A short reply ending in no points at something and refuses it ("esa no", "essa não")."""

NEGATION_REACH = 3
"""A negator counts for a want-verb at most this many words after it ("I do not really want")."""


def _starts_with(text: str, words: list[str], phrases: tuple[str, ...]) -> str | None:
    """The longest of `phrases` the message opens with; a `BOUNDED` one must stand alone
    (followed by punctuation, the end, politeness or another of `phrases`: "no, gracias",
    "si por favor", "si claro", "no no quiero")."""
    padded = " ".join(words) + " "
    for phrase in sorted(phrases, key=len, reverse=True):
        if not padded.startswith(phrase + " "):
            continue
        if phrase not in BOUNDED:
            return phrase
        rest = words[len(phrase.split()) :]
        if not rest or rest[0] in POLITE or _stands_alone(text, phrase):
            return phrase
        if any((" ".join(rest) + " ").startswith(other + " ") for other in phrases):
            return phrase
    return None


def _stands_alone(text: str, phrase: str) -> bool:
    """ "no, I don't want it": the phrase is followed by punctuation in the raw text."""
    match = _LEAD.match(text)
    return match is not None and match.group(1).strip() == phrase and bool(match.group(2))


def _normalize(words: list[str]) -> list[str]:
    """ "don't" is tokenized as "don" + "t"; "n't" forms become one word."""
    merged: list[str] = []
    for word in words:
        if word == "t" and merged and merged[-1] in {"don", "doesn", "can", "won", "didn"}:
            merged[-1] = "dont" if merged[-1] in {"don", "won", "didn"} else merged[-1] + "t"
            continue
        merged.append(word)
    return merged


def negated_request(words: list[str]) -> bool:
    """A negator shortly before a want-verb, or "not" before what is pointed at."""
    words = _normalize(words)
    for index, word in enumerate(words):
        if word not in NEGATORS:
            continue
        ahead = words[index + 1 : index + 1 + NEGATION_REACH]
        if any(w in WANT_VERBS for w in ahead):
            return True
        if word == "not" and ahead[:1] in (["that"], ["this"], ["the"], ["those"]):
            return True
    return False


def affirmation_in(text: str, words: list[str]) -> tuple[Affirmation | None, bool]:
    """(yes / no / None, negated request?) of a message (folded text and its words)."""
    words = _normalize(words)
    negated = negated_request(words)
    if not words:
        return None, False
    if _starts_with(text, words, ACKNOWLEDGING_NO):
        return "yes", False
    if _starts_with(text, words, NO_PHRASES):
        return "no", negated
    if _starts_with(text, words, YES_PHRASES):
        return ("no" if negated else "yes"), negated
    if negated and len(words) <= 4:  # "I don't want it", "não quero"
        return "no", True
    if negated and words[0] in TRAILING_NO and negated_request(words[1:]):
        return "no", True  # "no i dont want that": a no, then the refusal itself
    if 1 < len(words) <= MAX_TRAILING_NO and words[-1] in TRAILING_NO:  # "esa no", "essa não"
        return "no", negated
    return None, negated
