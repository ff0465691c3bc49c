"""The info lane: open now in the tenant timezone, hours, locations, FAQs, greetings (EN/ES/PT)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from graph_support import Conversation, context, scripted_router, texts

from graph.messages import ButtonsMessage
from nodes.lanes.info import open_now_text
from nodes.tenants import load_profile, open_status

PROFILE = load_profile("100200300400500")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        (utc(2026, 11, 23, 11, 59), False),  # Mon 08:59 in Sao Paulo
        (utc(2026, 11, 23, 12, 0), True),  # Mon 09:00 opens
        (utc(2026, 11, 23, 21, 59), True),  # Mon 18:59
        (utc(2026, 11, 23, 22, 0), False),  # Mon 19:00 closes
        (utc(2026, 11, 24, 1, 30), False),  # Tue 01:30 UTC = Mon 22:30 local
        (utc(2026, 11, 28, 16, 59), True),  # Sat 13:59 (Sat 10-14)
        (utc(2026, 11, 29, 15, 0), False),  # Sunday: closed all day
        (utc(2026, 12, 25, 15, 0), False),  # Christmas exception on a Friday
        (utc(2026, 12, 24, 16, 30), False),  # Christmas Eve closes 13:00
    ],
)
def test_open_status_uses_the_tenant_timezone_and_exceptions(now: datetime, is_open: bool) -> None:
    assert open_status(PROFILE, now).is_open is is_open


def test_an_interval_past_midnight_is_open_until_its_close_the_next_day() -> None:
    late = PROFILE.model_copy(update={"hours": {**PROFILE.hours, "fri": [("20:00", "02:00")]}})
    after_midnight = open_status(late, utc(2026, 11, 28, 4, 30))  # Sat 01:30 in Sao Paulo
    assert after_midnight.is_open
    assert after_midnight.closes_at is not None
    assert after_midnight.closes_at.strftime("%a %H:%M") == "Sat 02:00"
    closed = open_status(late, utc(2026, 11, 28, 5, 0))  # Sat 02:00: closed until 10:00
    assert not closed.is_open
    assert closed.opens_at is not None
    assert closed.opens_at.strftime("%a %H:%M") == "Sat 10:00"
    assert open_status(late, utc(2026, 11, 27, 22, 59)).is_open is False  # Fri 19:59


def test_closed_answers_say_when_we_open_next_in_local_time() -> None:
    late_monday = utc(2026, 11, 24, 1, 30)  # Monday 22:30 local, Tuesday in UTC
    assert open_now_text(PROFILE, late_monday, "en") == (
        "We're closed right now. We open again tomorrow at 09:00 (Sao Paulo time)."
    )
    saturday_evening = utc(2026, 11, 28, 20, 0)
    assert "el lunes a las 09:00" in open_now_text(PROFILE, saturday_evening, "es")
    assert "na segunda às 09:00" in open_now_text(PROFILE, saturday_evening, "pt")


OPEN_NOW = {
    "en": "are you open now?",
    "es": "¿están abiertos ahora?",
    "pt": "vocês estão abertos agora?",
}
EXPECTED_OPEN = {
    "en": "Yes, we're open now until 19:00",
    "es": "Sí, estamos abiertos ahora hasta las 19:00",
    "pt": "Sim, estamos abertos agora até as 19:00",
}
QUESTIONS = {
    "hours": {
        "en": "what are your opening hours",
        "es": "¿cuál es su horario?",
        "pt": "qual o horário de vocês?",
    },
    "location": {
        "en": "where are you located?",
        "es": "¿dónde están ubicados?",
        "pt": "onde fica a loja?",
    },
    "shipping": {
        "en": "do you ship to Lima?",
        "es": "¿ustedes hacen envíos a Lima?",
        "pt": "vocês entregam em Campinas?",
    },
    "payment": {
        "en": "do you accept credit cards?",
        "es": "¿aceptan tarjeta?",
        "pt": "vocês aceitam cartão?",
    },
}
ANSWERS = {
    "hours": {
        "en": "Monday: 09:00-19:00",
        "es": "lunes: 09:00-19:00",
        "pt": "segunda: 09:00-19:00",
    },
    "location": {"en": "Rua Augusta 1500", "es": "Rua Augusta 1500", "pt": "Rua Augusta 1500"},
    "shipping": {
        "en": "We ship anywhere",
        "es": "Enviamos a todo Brasil",
        "pt": "Enviamos para todo o Brasil",
    },
    "payment": {"en": "We accept credit", "es": "Aceptamos tarjetas", "pt": "Aceitamos cartões"},
}


def info_chat(*messages: str, **kwargs) -> Conversation:
    return Conversation(context(scripted_router({m: ("info", 0.95) for m in messages}), **kwargs))


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_are_you_open_now_in_three_languages(lang: str) -> None:
    result = await info_chat(OPEN_NOW[lang]).send(OPEN_NOW[lang])
    assert EXPECTED_OPEN[lang] in texts(result)
    assert result["session"]["meta"]["language"] == lang


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
@pytest.mark.parametrize("topic", sorted(QUESTIONS))
async def test_hours_locations_and_faqs_in_three_languages(topic: str, lang: str) -> None:
    question = QUESTIONS[topic][lang]
    result = await info_chat(question).send(question)
    assert ANSWERS[topic][lang] in texts(result), texts(result)


@pytest.mark.parametrize(("text", "hello"), [("hi", "Hi"), ("hola", "¡Hola"), ("oi", "Oi")])
async def test_greeting_welcomes_and_offers_the_other_lanes(text: str, hello: str) -> None:
    result = await info_chat(text).send(text)
    [message] = result["outbound"]
    assert isinstance(message, ButtonsMessage)
    assert message.body.startswith(hello) and "Casa Aurora" in message.body
    assert [b.id for b in message.buttons] == ["info:hours", "lane:commerce", "lane:support"]


async def test_the_hours_button_answers_with_the_hours() -> None:
    result = await info_chat().send("Our opening hours", choice_id="info:hours")
    assert "Saturday: 10:00-14:00" in texts(result)


async def test_an_unknown_tenant_gets_the_default_profile() -> None:
    chat = info_chat("where are you located?")
    chat.tenant_id = "999999999"
    result = await chat.send("where are you located?")
    assert "Casa Aurora Centro" in texts(result)


async def test_unknown_questions_are_not_invented() -> None:
    result = await info_chat("do you have parking for trucks").send(
        "do you have parking for trucks"
    )
    assert texts(result).startswith("I don't have information about parking")
    result = await info_chat("do you rent bicycles").send("do you rent bicycles")
    assert "I don't have that information" in texts(result)
