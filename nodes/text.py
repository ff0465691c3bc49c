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


_WHITE_SPACES = re.compile(r"\s\s+")


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """Character `low`-`high`-grams inside each space-padded, lowercased word (a word shorter
    than n counted once): what scikit-learn's ``analyzer="char_wb"`` makes of `text`, so a
    model fitted with it predicts without importing scikit-learn."""
    grams: list[str] = []
    append = grams.append
    for word in _WHITE_SPACES.sub(" ", text.lower()).split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, high + 1):
            offset = 0
            append(padded[:n])
            while offset + n < size:
                offset += 1
                append(padded[offset : offset + n])
            if offset == 0:
                break
    return grams


def join_terms(terms: list[str]) -> bytes:
    """Terms (none holding a newline) as one UTF-8 buffer, to store in an ``.npz``."""
    if any("\n" in term for term in terms):
        raise ValueError("a term holds a newline: the terms cannot be stored joined")
    return "\n".join(terms).encode("utf-8")


def split_terms(buffer: bytes) -> dict[str, int]:
    """The inverse of `join_terms`: term -> its position."""
    return {term: column for column, term in enumerate(buffer.decode("utf-8").split("\n"))}
