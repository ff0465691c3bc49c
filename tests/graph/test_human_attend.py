"""While a person has the conversation the bot is quiet, yet every turn is still a turn."""

from __future__ import annotations

import pytest
from desk_support import MemoryDesk
from graph_support import TENANT, WA_ID, Conversation, context, scripted_router, texts

from nodes.human.texts import CANCEL_CHOICE

ASK = {
    "en": "I want to talk to a human",
    "es": "quiero hablar con una persona",
    "pt": "quero falar com um atendente",
}
LATER = {
    "en": ("hello?", "is anyone there?"),
    "es": ("¿hola?", "¿hay alguien?"),
    "pt": ("oi?", "tem alguém aí?"),
}
BACK = {"en": "back with the assistant", "es": "vuelves con el asistente", "pt": "voltou para o"}


def chat_with(desk: MemoryDesk, lang: str) -> Conversation:
    router = scripted_router({ASK[lang]: ("support", 0.95)}, default=("info", 0.9))
    return Conversation(context(router, desk=desk))


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_waiting_for_a_person_mutes_the_bot_but_keeps_every_turn(lang: str) -> None:
    desk = MemoryDesk()
    chat = chat_with(desk, lang)
    asked = await chat.send(ASK[lang], msg_id="wamid.ask")
    assert asked["outbound"], "the request is acknowledged"
    versions = [asked["session"]["version"]]
    for index, text in enumerate(LATER[lang]):
        result = await chat.send(text, msg_id=f"wamid.later{index}")
        assert result["outbound"] == [] and result["muted"]
        versions.append(result["session"]["version"])
    assert versions == [1, 2, 3]  # one committed version per turn, muted or not
    assert desk.held == ["wamid.later0", "wamid.later1"]
    user_turns = [t["text"] for t in result["session"]["dialogue"]["turns"] if t["role"] == "user"]
    assert user_turns[-2:] == list(LATER[lang])

    desk.claim(TENANT, WA_ID, "Ana")
    assert (await chat.send("?", msg_id="wamid.while_claimed"))["outbound"] == []
    desk.release(TENANT, WA_ID)
    answered = await chat.send("what are your hours?", msg_id="wamid.after")
    assert answered["outbound"] and not answered["muted"]


async def test_the_request_turn_run_again_is_answered_not_muted() -> None:
    desk = MemoryDesk()
    chat = chat_with(desk, "en")
    first = await chat.send(ASK["en"], msg_id="wamid.ask")
    again = await chat.send(ASK["en"], msg_id="wamid.ask")  # the commit fence refused it
    assert texts(again) == texts(first)
    assert len(desk.requests) == 1


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_a_waiting_customer_can_go_back_to_the_assistant(lang: str) -> None:
    desk = MemoryDesk()
    chat = chat_with(desk, lang)
    asked = await chat.send(ASK[lang])
    [button] = asked["outbound"][0].buttons
    assert button.id == CANCEL_CHOICE
    back = await chat.send(button.title, choice_id=CANCEL_CHOICE)
    assert BACK[lang] in texts(back)
    assert (await desk.handoff_view(TENANT, WA_ID)).state == "bot"
    assert (await chat.send("what are your hours?"))["outbound"]


async def test_the_cancel_button_does_nothing_once_a_person_has_the_chat() -> None:
    desk = MemoryDesk()
    chat = chat_with(desk, "en")
    await chat.send(ASK["en"])
    desk.claim(TENANT, WA_ID, "Ana")
    result = await chat.send("Back to assistant", choice_id=CANCEL_CHOICE)
    assert result["outbound"] == []
    assert (await desk.handoff_view(TENANT, WA_ID)).state == "with_agent"


YES = {"en": "yes", "es": "sí", "pt": "sim"}


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_given_back_naming_a_lane_the_next_turn_is_read_in_that_lane(lang: str) -> None:
    """The agent releases to `commerce` (say, after "want me to show you the mugs?"): the
    customer's "yes" is commerce's, not a bare acknowledgement; once only."""
    from nodes.i18n import TEXTS

    desk = MemoryDesk()
    chat = chat_with(desk, lang)
    await chat.send(ASK[lang], msg_id="wamid.ask")
    desk.claim(TENANT, WA_ID, "Ana")
    desk.release(TENANT, WA_ID, lane="commerce")
    resumed = await chat.send(YES[lang], msg_id="wamid.yes")
    assert texts(resumed).startswith(TEXTS["commerce.go_on"][lang])  # type: ignore[index]
    assert resumed["session"]["meta"]["current_lane"] == "commerce"
    assert (await desk.handoff_view(TENANT, WA_ID)).resume_lane is None  # used once


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_given_back_with_no_lane_a_yes_is_just_acknowledged(lang: str) -> None:
    """The same "yes" without a lane to resume: the control for the test above."""
    from nodes.i18n import TEXTS

    desk = MemoryDesk()
    chat = chat_with(desk, lang)
    await chat.send(ASK[lang], msg_id="wamid.ask")
    desk.claim(TENANT, WA_ID, "Ana")
    desk.release(TENANT, WA_ID)
    answered = await chat.send(YES[lang], msg_id="wamid.yes")
    assert not texts(answered).startswith(TEXTS["commerce.go_on"][lang])  # type: ignore[index]
