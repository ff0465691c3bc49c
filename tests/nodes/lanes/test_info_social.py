"""Social turns through the graph, in EN/ES/PT: a night salutation that greets at the start
of a chat and says goodbye at its end, "how are you?" answered as such, and the reply
language of short replies (shared words keep it, words only one language has switch it).

The classifier is scripted to misread these messages (a salutation or "how are you?" as a
support problem): the answer must not depend on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from graph_support import Conversation, context, scripted_router, texts

from nodes.i18n import TEXTS
from nodes.tenants import DEFAULT_TENANTS_DIR

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


THANKS = {"en": "thanks", "es": "gracias", "pt": "obrigado"}
NOTHING_ELSE = {"en": "no, I don't need anything else", "es": "no, nada más por ahora",
                "pt": "não, obrigado, é só isso"}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
async def test_a_longer_no_to_anything_else_says_goodbye_not_a_ticket(lang: str) -> None:
    conversation = chat({THANKS[lang]: ("info", 0.95), NOTHING_ELSE[lang]: ("support", 0.9)})
    await conversation.send(THANKS[lang])
    result = await conversation.send(NOTHING_ELSE[lang])
    assert texts(result).startswith(said("goodbye", lang)), texts(result)
    assert result["session"]["support"]["open_tickets"] == []


PARKING = {"en": "is there parking?", "es": "¿hay estacionamiento?",
           "pt": "tem estacionamento?"}  # fmt: skip
ADDRESS = "Rua Augusta 1500"


@pytest.mark.parametrize("lang", LANGS)
async def test_parking_without_a_faq_says_so_and_gives_the_addresses(lang: str) -> None:
    result = await chat({PARKING[lang]: ("info", 0.9)}).send(PARKING[lang])
    assert result["understanding"].intent == "location"
    assert texts(result).startswith(TEXTS["locations.no_detail"][lang])  # type: ignore[index]
    assert ADDRESS in texts(result)


def parking_tenant(tmp_path: Path) -> str:
    """The demo shop with a FAQ entry about parking."""
    profile = yaml.safe_load((DEFAULT_TENANTS_DIR / "demo.yaml").read_text())
    profile["faqs"].append({
        "id": "parking",
        "keywords": ["parking", "estacionamiento", "estacionamento"],
        "answer": {"en": "Free parking behind the Centro shop.",
                   "es": "Estacionamiento gratis detrás de la tienda Centro.",
                   "pt": "Estacionamento grátis atrás da loja Centro."},
    })  # fmt: skip
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump(profile))
    catalog = DEFAULT_TENANTS_DIR / profile["catalog"]
    (tmp_path / profile["catalog"]).write_text(catalog.read_text())
    return str(tmp_path)


@pytest.mark.parametrize("lang", LANGS)
async def test_parking_with_a_faq_answers_from_it(lang: str, tmp_path: Path) -> None:
    conversation = chat({PARKING[lang]: ("info", 0.9)}, tenants_dir=parking_tenant(tmp_path))
    result = await conversation.send(PARKING[lang])
    assert {"en": "Free parking", "es": "Estacionamiento gratis",
            "pt": "Estacionamento grátis"}[lang] in texts(result)  # fmt: skip
    assert TEXTS["locations.no_detail"][lang] not in texts(result)  # type: ignore[index]
