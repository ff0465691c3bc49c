"""Text helpers shared by the router and the lanes: accent folding and tokens."""

from __future__ import annotations

import re
import unicodedata

_TOKEN = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lowercase without accents: "¿Están abiertos?" -> "¿estan abiertos?"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """Folded word tokens (letters and digits)."""
    return _TOKEN.findall(fold(text))


def has_phrase(text: str, phrases: tuple[str, ...] | frozenset[str]) -> bool:
    """True when one of `phrases` (folded, whole words) occurs in `text`."""
    padded = f" {' '.join(tokens(text))} "
    return any(f" {phrase} " in padded for phrase in phrases)
