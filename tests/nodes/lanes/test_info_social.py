"""Social turns through the graph, in EN/ES/PT: a night salutation that greets at the start
of a chat and says goodbye at its end, "how are you?" answered as such, and the reply
language of short replies (shared words keep it, words only one language has switch it).

The classifier is scripted to misread these messages (a salutation or "how are you?" as a
support problem): the answer must not depend on it.
"""

from __future__ import annotations

from typing import Any

import pytest
from graph_support import Conversation, context, scripted_router, texts

from nodes.i18n import TEXTS

LANGS = ["en", "es", "pt"]


def chat(table: dict[str, tuple[str, float]] | None = None, **kwargs: Any) -> Conversation:
    return Conversation(context(scripted_router(table or {}), **kwargs))


def said(key: str, lang: str) -> str:
    """The first words of a sentence of `nodes/i18n.py` (before any placeholder)."""
    return TEXTS[key][lang].split("{")[0]  # type: ignore[index]


NIGHT = {"en": "good night!", "es": "buenas noches", "pt": "boa noite"}
HOURS = {"en": "what time do you close?", "es": "¿a qué hora cierran?",
         "pt": "que horas vocês fecham?"}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
async def test_a_night_salutation_opening_a_chat_is_a_greeting(lang: str) -> None:
    result = await chat({NIGHT[lang]: ("support", 0.9)}).send(NIGHT[lang])
    assert result["understanding"].intent == "greeting"
    assert texts(result).startswith(said("greeting", lang)), texts(result)
    assert said("goodbye", lang) not in texts(result)


@pytest.mark.parametrize("lang", LANGS)
async def test_a_night_salutation_after_a_conversation_is_a_goodbye(lang: str) -> None:
    conversation = chat({HOURS[lang]: ("info", 0.9), NIGHT[lang]: ("info", 0.9)})
    await conversation.send(HOURS[lang])
    result = await conversation.send(NIGHT[lang])
    assert result["understanding"].intent == "goodbye"
    assert texts(result).startswith(said("goodbye", lang)), texts(result)


@pytest.mark.parametrize("lang", LANGS)
async def test_a_night_salutation_after_a_long_pause_greets_again(lang: str) -> None:
    conversation = chat({HOURS[lang]: ("info", 0.9)})
    await conversation.send(HOURS[lang])
    conversation.advance(hours=5)
    result = await conversation.send(NIGHT[lang])
    assert result["understanding"].intent == "greeting"


HOW_ARE_YOU = {
    "en": ["how are you?", "hi, how's it going?"],
    "es": ["¿qué tal?", "hola, ¿cómo estás?"],
    "pt": ["tudo bem?", "oi, como vai você?"],
}


@pytest.mark.parametrize(
    ("lang", "text"), [(lang, text) for lang, items in HOW_ARE_YOU.items() for text in items]
)
async def test_how_are_you_is_answered_as_such(lang: str, text: str) -> None:
    result = await chat({text: ("support", 0.9)}).send(text)  # misread as a problem
    assert result["understanding"].intent == "small_talk"
    assert texts(result).startswith(said("small_talk.how_are_you", lang)), texts(result)
    assert result["understanding"].language == lang
    assert result["session"]["support"]["open_tickets"] == []


FIRST = {"en": "what time do you close?", "es": "¿a qué hora cierran?",
         "pt": "que horas vocês fecham?"}  # fmt: skip
OTHER_THANKS = {"en": ("gracias", "es"), "es": ("obrigado", "pt"), "pt": ("thanks", "en")}


@pytest.mark.parametrize("lang", LANGS)
async def test_a_short_shared_word_keeps_the_language(lang: str) -> None:
    conversation = chat({FIRST[lang]: ("info", 0.9)})
    await conversation.send(FIRST[lang])
    result = await conversation.send("ok")
    assert result["understanding"].language == lang
    assert result["session"]["meta"]["language"] == lang


@pytest.mark.parametrize("lang", LANGS)
async def test_a_short_word_only_another_language_has_switches_to_it(lang: str) -> None:
    conversation = chat({FIRST[lang]: ("info", 0.9)})
    await conversation.send(FIRST[lang])
    word, switched = OTHER_THANKS[lang]
    result = await conversation.send(word)
    assert result["understanding"].language == switched
    assert texts(result) == TEXTS["thanks"][switched]  # type: ignore[index]
