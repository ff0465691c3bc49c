"""The conversation around the business facts, through the graph, in EN/ES/PT: goodbyes,
small talk, "are you a bot?", "what can you do?", hours questions with one answer, a "yes"
that follows the question the bot asked, and the reply language after a tapped row.

The classifier is scripted to read several of these messages the way the trained model
did when they were answered wrongly ("I'm back" as a support problem, "am I talking to a
person?" as a request for one): the answer must not depend on it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from desk_support import MemoryDesk
from graph_support import Conversation, context, scripted_router, texts

from graph.messages import ButtonsMessage
from nodes.i18n import TEXTS

LANGS = ["en", "es", "pt"]
SATURDAY_NOON_SAO_PAULO = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


def chat(table: dict[str, tuple[str, float]] | None = None, **kwargs: Any) -> Conversation:
    """A conversation whose classifier reads `table`'s texts as given (others: unsure)."""
    return Conversation(context(scripted_router(table or {}), **kwargs))


def said(key: str, lang: str) -> str:
    """The first words of a sentence of `nodes/i18n.py` (before any placeholder)."""
    return TEXTS[key][lang].split("{")[0]  # type: ignore[index]


def button_ids(result: dict[str, Any]) -> list[str]:
    return [b.id for m in result["outbound"] if isinstance(m, ButtonsMessage) for b in m.buttons]


GOODBYE = {"en": ["bye", "see you later", "ok bye!"], "es": ["adiós", "hasta luego"],
           "pt": ["tchau", "até logo"]}  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "text"), [(lang, text) for lang, items in GOODBYE.items() for text in items]
)
async def test_a_goodbye_is_answered_with_a_goodbye(lang: str, text: str) -> None:
    # a goodbye the model reads as a greeting must still end the chat politely
    result = await chat({text: ("info", 0.9)}).send(text)
    assert texts(result).startswith(said("goodbye", lang)), texts(result)
    assert result["understanding"].intent == "goodbye"


SMALL_TALK = {"en": ["I'm back", "you're great"], "es": ["estoy de vuelta", "eres genial"],
              "pt": ["voltei", "você é demais"]}  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "text"), [(lang, text) for lang, items in SMALL_TALK.items() for text in items]
)
async def test_small_talk_gets_a_friendly_word_and_the_options_not_a_ticket(
    lang: str, text: str
) -> None:
    result = await chat({text: ("support", 0.92)}).send(text)  # misread as a problem
    assert texts(result).startswith(said("small_talk", lang)), texts(result)
    assert button_ids(result) == ["lane:info", "lane:commerce", "lane:support"]
    assert result["session"]["support"]["open_tickets"] == []


THANKS = {"en": "thanks", "es": "gracias", "pt": "obrigado"}


@pytest.mark.parametrize("lang", LANGS)
async def test_an_emoji_that_is_no_acknowledgement_is_not_thanked(lang: str) -> None:
    conversation = chat({THANKS[lang]: ("info", 0.95), "💩": ("info", 0.7)})
    await conversation.send(THANKS[lang])
    result = await conversation.send("💩")
    assert said("thanks", lang) not in texts(result)
    assert texts(result).startswith(said("info.unclear", lang)), texts(result)
    assert button_ids(result) == ["lane:info", "lane:commerce", "lane:support"]
    assert result["understanding"].language == lang


BOT = {
    "en": "am I talking to a person?",
    "es": "¿estoy hablando con una persona?",
    "pt": "estou falando com uma pessoa?",
}
YES = {"en": "yes", "es": "sí", "pt": "sim"}
NO = {"en": "no", "es": "no", "pt": "não"}
HUMAN_ACK = {
    "en": "passed this chat to our team",
    "es": "Pasé este chat a nuestro equipo",
    "pt": "Passei esta conversa para a nossa equipe",
}


@pytest.mark.parametrize("lang", LANGS)
async def test_are_you_a_bot_is_answered_honestly_and_yes_brings_a_person(lang: str) -> None:
    desk = MemoryDesk()
    conversation = chat({BOT[lang]: ("support", 0.98)}, desk=desk)  # misread as a request
    answer = await conversation.send(BOT[lang])
    assert texts(answer).startswith(said("bot_identity", lang))
    assert said("bot_identity.offer", lang) in texts(answer)
    assert button_ids(answer) == ["support:human", "info:declined"]
    assert desk.requests == []  # asking is not requesting
    person = await conversation.send(YES[lang])
    assert HUMAN_ACK[lang] in texts(person)
    assert person["session"]["support"]["handoff"] == "requested"
    assert len(desk.requests) == 1


@pytest.mark.parametrize("lang", LANGS)
async def test_no_to_the_offer_of_a_person_keeps_the_assistant(lang: str) -> None:
    desk = MemoryDesk()
    conversation = chat(desk=desk)
    await conversation.send({"en": "are you a bot?", "es": "¿eres un bot?",
                             "pt": "você é um robô?"}[lang])  # fmt: skip
    declined = await conversation.send(NO[lang])
    assert texts(declined) == TEXTS["declined"][lang]  # type: ignore[index]
    assert desk.requests == []


async def test_without_a_team_to_bring_in_the_bot_offers_no_person() -> None:
    result = await chat().send("are you a bot?")  # no desk: nobody can be brought in
    assert "not a person" in texts(result)
    assert said("bot_identity.offer", "en") not in texts(result)
    assert button_ids(result) == []


CAPABILITIES = {
    "en": ["what can you do?", "help", "I have a question"],
    "es": ["¿qué puedes hacer?", "ayuda", "tengo una pregunta"],
    "pt": ["o que você pode fazer?", "ajuda", "tenho uma pergunta"],
}


@pytest.mark.parametrize(
    ("lang", "text"), [(lang, text) for lang, items in CAPABILITIES.items() for text in items]
)
async def test_what_can_you_do_says_it_and_offers_the_menu(lang: str, text: str) -> None:
    result = await chat().send(text)
    assert texts(result).startswith(said("capabilities", lang)), texts(result)
    assert said("info.unknown", lang) not in texts(result)
    assert button_ids(result) == ["lane:info", "lane:commerce", "lane:support"]


WHEN_OPEN = {"en": "when are you open?", "es": "¿cuándo abren?", "pt": "quando vocês abrem?"}


@pytest.mark.parametrize("lang", LANGS)
async def test_when_are_you_open_gets_the_hours_not_a_yes(lang: str) -> None:
    result = await chat({WHEN_OPEN[lang]: ("info", 0.9)}).send(WHEN_OPEN[lang])
    assert texts(result).startswith(TEXTS["hours.title"][lang])  # type: ignore[index]
    assert said("open.yes", lang) not in texts(result)


ONE_DAY = {
    "en": ("are you open on sunday?", "On Sunday we're closed."),
    "es": ("¿abren hoy?", "Hoy abrimos 09:00-19:00."),
    "pt": ("vocês abrem sábado?", "No sábado abrimos 10:00-14:00."),
}


@pytest.mark.parametrize("lang", LANGS)
async def test_an_hours_question_about_one_day_gets_that_day_only(lang: str) -> None:
    question, expected = ONE_DAY[lang]
    result = await chat({question: ("info", 0.9)}).send(question)  # Monday noon
    assert texts(result) == expected


CLOSING = {
    "en": [("when do you close today?", "Today we close at 19:00."),
           ("what time do you close on saturday?", "On Saturday we close at 14:00.")],
    "es": [("¿a qué hora cierran hoy?", "Hoy cerramos a las 19:00."),
           ("¿a qué hora cierran el sábado?", "El sábado cerramos a las 14:00.")],
    "pt": [("que horas vocês fecham hoje?", "Hoje fechamos às 19:00."),
           ("que horas vocês fecham no sábado?", "No sábado fechamos às 14:00.")],
}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
async def test_when_do_you_close_gets_the_closing_time(lang: str) -> None:
    for question, expected in CLOSING[lang]:
        result = await chat({question: ("info", 0.9)}).send(question)  # Monday noon
        assert texts(result) == expected, question
    sunday = {"en": "when do you close on sunday?", "es": "¿a qué hora cierran el domingo?",
              "pt": "que horas vocês fecham domingo?"}[lang]  # fmt: skip
    result = await chat({sunday: ("info", 0.9)}).send(sunday)  # a closed day says so
    assert texts(result) == {"en": "On Sunday we're closed.", "es": "El domingo estamos cerrados.",
                             "pt": "No domingo estamos fechados."}[lang]  # fmt: skip


TOMORROW_SUNDAY = {
    "en": ("are you open on sunday?", "Tomorrow (Sunday) we're closed."),
    "es": ("¿abren el domingo?", "Mañana (domingo) estamos cerrados."),
    "pt": ("vocês abrem domingo?", "Amanhã (domingo) estamos fechados."),
}


@pytest.mark.parametrize("lang", LANGS)
async def test_a_named_day_that_is_tomorrow_says_both(lang: str) -> None:
    question, expected = TOMORROW_SUNDAY[lang]
    conversation = chat({question: ("info", 0.9)}, now=SATURDAY_NOON_SAO_PAULO)
    assert texts(await conversation.send(question)) == expected


@pytest.mark.parametrize("lang", LANGS)
async def test_yes_after_anything_else_shows_what_the_bot_can_do(lang: str) -> None:
    conversation = chat({THANKS[lang]: ("info", 0.95)})
    thanked = await conversation.send(THANKS[lang])
    assert texts(thanked) == TEXTS["thanks"][lang]  # type: ignore[index]
    yes = await conversation.send(YES[lang])
    assert texts(yes).startswith(said("capabilities", lang)), texts(yes)
    assert said("thanks", lang) not in texts(yes)


@pytest.mark.parametrize("lang", LANGS)
async def test_no_after_anything_else_says_goodbye(lang: str) -> None:
    conversation = chat({THANKS[lang]: ("info", 0.95)})
    await conversation.send(THANKS[lang])
    no = await conversation.send(NO[lang])
    assert texts(no).startswith(said("goodbye", lang)), texts(no)


@pytest.mark.parametrize("lang", LANGS)
async def test_a_yes_answers_only_the_question_just_asked(lang: str) -> None:
    conversation = chat({THANKS[lang]: ("info", 0.95), WHEN_OPEN[lang]: ("info", 0.9)})
    await conversation.send(THANKS[lang])  # asks "anything else?"
    await conversation.send(WHEN_OPEN[lang])  # answers, asks nothing
    yes = await conversation.send(YES[lang])
    assert said("capabilities", lang) not in texts(yes)
    assert said("thanks", lang) not in texts(yes)
    assert texts(yes) == TEXTS["ack"][lang]  # type: ignore[index]


BROWSE = {"en": "show me your products", "es": "quiero ver los productos",
          "pt": "quero ver os produtos"}  # fmt: skip
TAPPED = {
    "en": ("Blue ceramic mug", "commerce:sku:MUG-BLUE", "in stock"),
    "es": ("Prensa francesa 600 ml", "commerce:sku:FRENCH-PRESS", "Quedan"),
    "pt": ("Caneca azul de cerâmica", "commerce:sku:MUG-BLUE", "em estoque"),
}
CART = {"en": ("my cart", "Your cart"), "es": ("mi carrito", "Tu carrito"),
        "pt": ("meu carrinho", "Seu carrinho")}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
async def test_a_tapped_row_title_does_not_change_the_reply_language(lang: str) -> None:
    conversation = chat({BROWSE[lang]: ("commerce", 0.95), CART[lang][0]: ("commerce", 0.95)})
    await conversation.send(BROWSE[lang])
    title, choice, stock_words = TAPPED[lang]
    detail = await conversation.send(title, choice_id=choice)
    assert stock_words in texts(detail)
    assert detail["session"]["meta"]["language"] == lang
    cart = await conversation.send(CART[lang][0])
    assert CART[lang][1] in texts(cart)
    assert cart["session"]["meta"]["language"] == lang


PROBLEM = {"en": "my order arrived damaged", "es": "mi pedido llegó roto",
           "pt": "meu pedido chegou quebrado"}  # fmt: skip
ORDER = {"en": "it's order 1234", "es": "es el pedido 1234", "pt": "era do pedido 1234"}
NOTED = {"en": "added that to ticket", "es": "lo agregué al ticket",
         "pt": "adicionei isso ao chamado"}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
async def test_an_order_number_and_an_ok_stay_with_the_problem(lang: str) -> None:
    desk = MemoryDesk()
    # the classifier reads the bare order number as an order-status question (commerce)
    table = {PROBLEM[lang]: ("support", 0.95), ORDER[lang]: ("commerce", 0.9)}
    conversation = chat(table, desk=desk)
    opened = await conversation.send(PROBLEM[lang])
    number = opened["session"]["support"]["open_tickets"][0]["number"]
    given = await conversation.send(ORDER[lang])
    assert (given["understanding"].lane, given["understanding"].intent) == (
        "support",
        "provide_info",
    )
    assert NOTED[lang] in texts(given)
    assert desk.attached[number] == [ORDER[lang]]
    ok = await conversation.send("ok")
    assert ok["understanding"].lane == "support"
    assert texts(ok) == TEXTS["support.ack"][lang].format(number=number)  # type: ignore[index]
    assert desk.requests == []  # "ok" to "added to the ticket" is not "yes, a person"
    assert len(ok["session"]["support"]["open_tickets"]) == 1


FAQ = {
    "returns": {"en": "what is your returns policy?", "es": "¿cuál es la política de devoluciones?",
                "pt": "qual a política de troca?"},
    "contact": {"en": "how can I contact you by phone?", "es": "¿cuál es su teléfono?",
                "pt": "qual o telefone de vocês?"},
}  # fmt: skip
FAQ_ANSWER = {
    "returns": {"en": "within 30 days", "es": "dentro de 30 días", "pt": "em até 30 dias"},
    "contact": {"en": "+55 11 5555 0100", "es": "+55 11 5555 0100", "pt": "+55 11 5555 0100"},
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("topic", sorted(FAQ))
async def test_faq_topics_are_answered_from_the_profile(topic: str, lang: str) -> None:
    question = FAQ[topic][lang]
    result = await chat({question: ("info", 0.9)}).send(question)
    assert FAQ_ANSWER[topic][lang] in texts(result), texts(result)
    assert result["understanding"].intent == f"faq_{topic}"


UNKNOWN = {
    "en": "do you rent bicycles?",
    "es": "¿alquilan bicicletas?",
    "pt": "vocês alugam bicicletas?",
}


@pytest.mark.parametrize("lang", LANGS)
async def test_an_unknown_question_says_so_and_what_the_bot_can_do(lang: str) -> None:
    result = await chat({UNKNOWN[lang]: ("info", 0.9)}).send(UNKNOWN[lang])
    assert texts(result).startswith(TEXTS["info.unknown"][lang])  # type: ignore[index]
    assert button_ids(result) == ["lane:commerce", "lane:support"]
