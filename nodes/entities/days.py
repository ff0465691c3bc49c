"""A weekday, or today / tomorrow, asked about in an hours question (EN/ES/PT).

Portuguese weekdays double as ordinals ("a segunda" is "the second one"; "na segunda" is
"on Monday"), and Spanish "mañana" is both "tomorrow" and "morning" ("por la mañana"):
the word before decides.
"""

from __future__ import annotations

from graph.understanding import HoursEdge, RelativeDay, Weekday

WEEKDAY_WORDS: dict[str, Weekday] = {
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
    "saturday": "sat", "sunday": "sun", "mon": "mon", "tue": "tue", "wed": "wed", "thu": "thu",
    "fri": "fri", "sat": "sat", "sun": "sun", "mondays": "mon", "sundays": "sun",
    "saturdays": "sat", "fridays": "fri",
    "lunes": "mon", "martes": "tue", "miercoles": "wed", "jueves": "thu", "viernes": "fri",
    "sabado": "sat", "sabados": "sat", "domingo": "sun", "domingos": "sun",
    "segunda": "mon", "terca": "tue", "quarta": "wed", "quinta": "thu", "sexta": "fri",
}  # fmt: skip
"""Folded weekday names (Portuguese "sábado"/"domingo" are spelled like the Spanish)."""

PT_ORDINAL_DAYS = frozenset({"segunda", "terca", "quarta", "quinta", "sexta"})
DAY_MARKERS = frozenset({"na", "nesta", "nessa", "proxima", "toda", "ate", "de", "feira", "el",
                         "los", "on", "this", "next", "every", "hoje", "amanha"})  # fmt: skip
"""Words around a Portuguese day name that make it a day, not an ordinal ("na segunda")."""

TODAY = frozenset({"today", "tonight", "hoy", "hoje"})
TOMORROW = frozenset({"tomorrow", "manana", "amanha"})
MORNING_BEFORE = frozenset({"la", "las", "por", "esta", "de"})
"""'por la mañana', 'esta mañana', 'de mañana': the morning, not tomorrow."""


def _is_day(words: list[str], index: int) -> bool:
    word = words[index]
    if word not in PT_ORDINAL_DAYS:
        return True
    before = words[index - 1] if index > 0 else ""
    after = words[index + 1] if index + 1 < len(words) else ""
    return before in DAY_MARKERS or after == "feira"


def weekday_in(words: list[str]) -> Weekday | None:
    for index, word in enumerate(words):
        if word in WEEKDAY_WORDS and _is_day(words, index):
            return WEEKDAY_WORDS[word]
    return None


TONIGHT = frozenset({"noche", "noite"})
"""'esta noche', 'esta noite': tonight, so today (like English "tonight")."""


def relative_day_in(words: list[str]) -> RelativeDay | None:
    for index, word in enumerate(words):
        if word in TODAY or (word in TONIGHT and index > 0 and words[index - 1] == "esta"):
            return "today"
        if word in TOMORROW:
            before = words[index - 1] if index > 0 else ""
            if word == "manana" and before in MORNING_BEFORE:
                continue
            return "tomorrow"
    return None


def is_weekday_word(words: list[str], index: int) -> bool:
    """True when the word at `index` names a day here (so it is not a list position)."""
    return words[index] in WEEKDAY_WORDS and _is_day(words, index)


CLOSING_WORDS = frozenset({"close", "closes", "closing", "cierran", "cierra", "cierras",
                           "cerrais", "cerrar", "cierre", "fecham", "fechar", "fechando",
                           "fechamento"})  # fmt: skip
"""Asking when the business closes. Not "closed" ("are you closed on sunday?" asks about the
day) nor "fecha" (Spanish for "date")."""


def hours_edge_in(words: list[str]) -> HoursEdge | None:
    return "closing" if any(word in CLOSING_WORDS for word in words) else None
