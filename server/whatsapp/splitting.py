"""Split a long text into WhatsApp-sized messages at natural boundaries.

A text body may have at most 4096 characters. Longer replies are cut, in order of
preference, at a paragraph break, a line break, the end of a sentence, a space, and only
as a last resort inside a word. Parts keep the original order and, joined, say the same
thing (only the whitespace at the cut is dropped).
"""

from __future__ import annotations

import re

from server.whatsapp.limits import TEXT_BODY_MAX

_SENTENCE_END = re.compile(r"[.!?…。！？](?:[\"'”’)\]]*)\s+")
_MIN_FILL = 0.5
"""A cut is accepted only after at least half of the allowed length, so parts stay large."""


def _last_match(pattern: re.Pattern[str], window: str, floor: int) -> int | None:
    cut = None
    for match in pattern.finditer(window):
        if match.end() > floor:
            cut = match.end()
    return cut


def _cut_point(text: str, limit: int) -> int:
    """Where to end the next part: the best boundary within the first `limit` characters."""
    window = text[: limit + 1]  # a boundary right after the limit still counts
    floor = int(limit * _MIN_FILL)
    for separator in ("\n\n", "\n"):
        index = window.rfind(separator, floor, limit + 1)
        if index > 0:
            return index
    sentence = _last_match(_SENTENCE_END, window, floor)
    if sentence is not None and sentence <= limit + 1:
        return min(sentence, limit)
    space = window.rfind(" ", floor, limit + 1)
    if space > 0:
        return space
    return limit


def split_text(text: str, limit: int = TEXT_BODY_MAX) -> list[str]:
    """`text` as parts of at most `limit` characters each (one part if it already fits)."""
    if limit < 2:
        raise ValueError("limit must be at least 2")
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        part = rest[:cut].rstrip()
        if not part:  # only whitespace before the cut: take a hard slice instead
            part, cut = rest[:limit], limit
        parts.append(part)
        rest = rest[cut:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts
