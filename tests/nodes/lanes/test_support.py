"""The support lane: a ticket per problem (deterministic number), a human on request, EN/ES/PT."""

from __future__ import annotations

import pytest
from desk_support import MemoryDesk
from graph_support import TENANT, WA_ID, Conversation, context, scripted_router, texts, understand

from graph.messages import ButtonsMessage
from nodes.i18n import TEXTS
from nodes.lanes.support import category_of, ticket_number

PROBLEM = {
    "en": "my package never arrived",
    "es": "mi pedido llegó roto",
    "pt": "meu pedido não chegou",
}
ACK = {"en": "I've opened ticket", "es": "Abrí el ticket", "pt": "Abri o chamado"}
HUMAN = {
    "en": "can I talk to a person?",
    "es": "quiero hablar con una persona",
    "pt": "quero falar com uma pessoa",
}
HUMAN_ACK = {
    "en": "passed this chat to our team",
    "es": "Pasé este chat a nuestro equipo",
    "pt": "Passei esta conversa para a nossa equipe",
}


def helpdesk(*messages: str, desk: MemoryDesk | None = None) -> Conversation:
    router = scripted_router({m: ("support", 0.95) for m in messages})
    return Conversation(context(router, desk=desk or MemoryDesk()))


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_a_problem_becomes_a_ticket_and_a_human_is_offered(lang: str) -> None:
    result = await helpdesk(PROBLEM[lang]).send(PROBLEM[lang], msg_id="wamid.problem")
    [message] = result["outbound"]
    number = ticket_number("wamid.problem")
    assert (
        isinstance(message, ButtonsMessage) and ACK[lang] in message.body and number in message.body
    )
    assert [b.id for b in message.buttons] == ["support:human", "support:no_human"]
    support = result["session"]["support"]
    assert support["handoff"] == "offered"
    assert support["open_tickets"][0]["number"] == number


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_asking_for_a_human_asks_the_desk_and_says_when_the_team_is_on_duty(
    lang: str,
) -> None:
    desk = MemoryDesk()
    result = await helpdesk(HUMAN[lang], desk=desk).send(HUMAN[lang], msg_id="wamid.ask")
    assert HUMAN_ACK[lang] in texts(result)
    assert "18:00" in texts(result)  # Monday noon: the demo team is on duty until 18:00
    assert result["session"]["support"]["handoff"] == "requested"
    [request] = desk.requests
    assert (request.msg_id, request.language) == ("wamid.ask", lang)
    assert (await desk.handoff_view(TENANT, WA_ID)).state == "requested"


@pytest.mark.parametrize(
    ("lang", "back"),
    [("en", "back on Monday at 09:00"), ("es", "vuelven el lunes a las 09:00"),
     ("pt", "voltam na segunda às 09:00")],
)  # fmt: skip
async def test_outside_team_hours_the_customer_is_told_when_they_are_back(
    lang: str, back: str
) -> None:
    chat = helpdesk(HUMAN[lang])
    chat.advance(days=5)  # Saturday noon: the demo team does not work on weekends
    result = await chat.send(HUMAN[lang])
    assert back in texts(result).replace("back Monday", "back on Monday")


@pytest.mark.parametrize(
    ("lang", "says"),
    [("en", "can't bring a person"), ("es", "no puedo traer a una persona"),
     ("pt", "não consigo chamar uma pessoa")],
)  # fmt: skip
async def test_without_a_desk_no_person_is_promised(lang: str, says: str) -> None:
    chat = Conversation(context(scripted_router({HUMAN[lang]: ("support", 0.95)})))
    result = await chat.send(HUMAN[lang])
    assert says in texts(result)
    assert result["session"]["support"]["handoff"] == "none"


async def test_yes_to_the_offer_requests_a_human_and_marks_the_ticket() -> None:
    chat = helpdesk("my package never arrived")
    await chat.send("my package never arrived")
    result = await chat.send("yes")
    support = result["session"]["support"]
    assert support["handoff"] == "requested"
    assert support["open_tickets"][0]["status"] == "pending_human"


async def test_declining_keeps_the_ticket_and_says_so() -> None:
    chat = helpdesk("my package never arrived")
    first = await chat.send("my package never arrived")
    number = first["session"]["support"]["open_tickets"][0]["number"]
    result = await chat.send("No, thanks", choice_id="support:no_human")
    assert number in texts(result) and result["session"]["support"]["handoff"] == "none"


async def test_a_retried_message_does_not_open_a_second_ticket() -> None:
    chat = helpdesk("my package never arrived")
    await chat.send("my package never arrived", msg_id="wamid.same")
    again = await chat.send("my package never arrived", msg_id="wamid.same")
    assert len(again["session"]["support"]["open_tickets"]) == 1


async def test_a_follow_up_is_added_to_the_open_ticket_not_a_new_one() -> None:
    desk = MemoryDesk()
    chat = helpdesk("my package never arrived", desk=desk)
    await chat.send("my package never arrived")
    await chat.send("No, thanks", choice_id="support:no_human")
    thanks = await chat.send("ok, thanks")
    assert texts(thanks) == "You're welcome! Anything else I can do for you?"
    result = await chat.send("the second one")
    assert "added that to ticket" in texts(result)
    assert len(result["session"]["support"]["open_tickets"]) == 1
    [number] = desk.attached
    assert desk.attached[number] == ["the second one"]


@pytest.mark.parametrize(
    ("text", "category"),
    [("it arrived broken", "damaged"), ("me cobraron dos veces", "payment"),
     ("não consigo entrar na minha conta", "account"), ("quero um reembolso", "refund"),
     ("where's my package, it's late", "delivery"), ("hmm", "other")],
)  # fmt: skip
async def test_ticket_categories_follow_the_understood_intent(text: str, category: str) -> None:
    understanding = await understand(text, lane="support")
    assert category_of(understanding.intent) == category


def test_every_button_title_fits_whatsapps_20_characters() -> None:
    for key, variants in TEXTS.items():
        if key.startswith(("button.", "lane.", "catalog.button")):
            assert all(len(text) <= 20 for text in variants.values()), key


@pytest.mark.parametrize(
    ("lang", "title", "ask"),
    [("en", "Help", "Tell me what happened"), ("es", "Ayuda", "Cuéntame qué pasó"),
     ("pt", "Ajuda", "Conte o que aconteceu")],
)  # fmt: skip
async def test_the_help_menu_button_asks_for_the_problem_instead_of_opening_a_ticket(
    lang: str, title: str, ask: str
) -> None:
    chat = helpdesk(PROBLEM[lang])
    asked = await chat.send(title, choice_id="lane:support")
    assert ask in texts(asked)
    assert [b.id for b in asked["outbound"][0].buttons] == ["support:human"]
    assert asked["session"]["support"]["open_tickets"] == []
    told = await chat.send(PROBLEM[lang], msg_id="wamid.told")
    assert told["session"]["support"]["open_tickets"][0]["number"] == ticket_number("wamid.told")


NO_PERSON = {
    "en": "can't bring a person into this chat",
    "es": "no puedo traer a una persona a este chat",
    "pt": "não consigo chamar uma pessoa para esta conversa",
}
ARE_YOU_A_BOT = {"en": "are you a bot?", "es": "¿eres un bot?", "pt": "você é um robô?"}


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_when_nobody_would_hear_a_request_no_person_is_promised_or_offered(
    lang: str,
) -> None:
    """A desk with nobody behind it (no agent, webhook or Chatwoot): the request is not
    made, the problem's ticket offers no person, "are you a bot?" offers none either."""
    desk = MemoryDesk(has_people=False)
    asked = await helpdesk(HUMAN[lang], desk=desk).send(HUMAN[lang], msg_id="wamid.ask")
    assert NO_PERSON[lang] in texts(asked).lower() and HUMAN_ACK[lang] not in texts(asked)
    assert desk.requests == [] and asked["session"]["support"]["handoff"] == "none"

    problem = await helpdesk(PROBLEM[lang], desk=desk).send(PROBLEM[lang], msg_id="wamid.p")
    [message] = problem["outbound"]
    assert not isinstance(message, ButtonsMessage)
    assert ticket_number("wamid.p") in texts(problem) and NO_PERSON[lang] in texts(problem).lower()
    assert problem["session"]["support"]["handoff"] == "none"
    assert problem["session"]["support"]["open_tickets"][0]["number"] == ticket_number("wamid.p")

    identity = await Conversation(context(scripted_router({}), desk=desk)).send(ARE_YOU_A_BOT[lang])
    bot_identity = TEXTS["bot_identity"][lang].format(business="Casa Aurora")  # type: ignore[index]
    assert texts(identity).startswith(bot_identity)
    assert not any(isinstance(m, ButtonsMessage) for m in identity["outbound"])
    assert desk.requests == []
