"""Handoffs between lanes (at most two per turn, loops refused) and adding a fourth lane."""

from __future__ import annotations

from typing import Any

import pytest
import respx
from graph_support import (
    LLM_BASE_URL,
    Conversation,
    chat_model,
    completion,
    context,
    route_json,
    scripted_router,
    texts,
)
from langgraph.runtime import Runtime

from graph.context import Context
from graph.messages import ListMessage, TextMessage
from graph.state import State
from nodes.lanes.common import reply
from nodes.lanes.dispatch import Handlers
from nodes.registry import LaneRegistry, LaneSpec, default_registry


async def test_a_sticky_info_lane_hands_shopping_to_commerce_within_the_turn() -> None:
    table = {
        "what time do you close?": ("info", 0.95),
        "i want to buy the blue mug": ("commerce", 0.6),
    }
    chat = Conversation(context(scripted_router(table)))
    await chat.send("what time do you close?")
    result = await chat.send("i want to buy the blue mug")  # commerce leads by 0.4 < 0.5: sticky
    assert (result["understanding"].lane, result["understanding"].method) == ("info", "sticky")
    assert result["handoffs"] == ["commerce"]
    assert "Added 1 × Blue ceramic mug" in texts(result)
    assert result["session"]["meta"]["current_lane"] == "commerce"  # the lane that answered
    assert result["session"]["version"] == 2


async def test_a_sticky_commerce_lane_hands_problems_to_support_and_questions_to_info() -> None:
    table = {"show me your mugs": ("commerce", 0.95), "it arrived broken": ("support", 0.6),
             "where are you located?": ("info", 0.6)}  # fmt: skip
    for text, target, expected in [("it arrived broken", "support", "ticket"),
                                   ("where are you located?", "info", "Rua Augusta")]:  # fmt: skip
        chat = Conversation(context(scripted_router(table)))
        await chat.send("show me your mugs")
        result = await chat.send(text)
        assert result["handoffs"] == [target] and expected in texts(result)


async def test_a_lane_the_router_chose_on_the_message_itself_does_not_hand_off() -> None:
    """The classifier saw the whole message; the lane's keyword cues do not overrule it."""
    router = scripted_router({"hi, any update on my mug order?": ("commerce", 0.9)})
    result = await Conversation(context(router)).send("hi, any update on my mug order?")
    assert result["handoffs"] == [] and result["session"]["meta"]["current_lane"] == "commerce"


# --- toy lanes that always hand off, to exercise the guard -------------------------------


def forwarding_lane(name: str, target: str) -> LaneSpec:
    async def forward(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        return {"handoff_to": target}

    return LaneSpec(name=name, handlers=Handlers(table={}, fallback=forward),
                    description=name, labels={"en": name})  # fmt: skip


async def test_a_handoff_loop_is_detected_and_the_user_still_gets_a_reply() -> None:
    registry = LaneRegistry([forwarding_lane("a", "b"), forwarding_lane("b", "a")])
    router = scripted_router({"go": ("a", 0.9)}, registry=registry)
    result = await Conversation(context(router), registry=registry).send("go")
    assert result["handoffs"] == ["b"]  # b -> a refused: a already ran this turn
    assert len(result["outbound"]) == 1 and "What do you need?" in texts(result)


async def test_at_most_two_handoffs_per_turn() -> None:
    lanes = [forwarding_lane("a", "b"), forwarding_lane("b", "c"),
             forwarding_lane("c", "d"), forwarding_lane("d", "a")]  # fmt: skip
    registry = LaneRegistry(lanes)
    router = scripted_router({"go": ("a", 0.9)}, registry=registry)
    result = await Conversation(context(router), registry=registry).send("go")
    assert result["handoffs"] == ["b", "c"]
    assert len(result["outbound"]) == 1


async def test_a_handoff_to_an_unknown_lane_is_refused() -> None:
    registry = LaneRegistry([forwarding_lane("a", "nowhere"), *default_registry()])
    router = scripted_router({"go": ("a", 0.9)}, registry=registry)
    result = await Conversation(context(router), registry=registry).send("go")
    assert result["handoffs"] == [] and len(result["outbound"]) == 1


# --- adding a fourth lane: one module-worth of code + one registry entry -------------------


async def book(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    return reply(state, TextMessage(body="Table booked for tonight."))


async def cancel_booking(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    return reply(state, TextMessage(body="Booking cancelled."))


RESERVATIONS = LaneSpec(
    name="reservations",
    handlers=Handlers(table={"cancel_booking": cancel_booking}, fallback=book),
    description="Booking, changing or cancelling a table reservation.",
    labels={"en": "Reservations", "es": "Reservas", "pt": "Reservas"},
    offer={"en": "table reservations", "es": "reservas de mesa", "pt": "reservas de mesa"},
    intents={"book_table": "book a table", "cancel_booking": "cancel a reservation"},
    default_intent="book_table",
    vocabulary={"cancel_booking": ("cancel", "cancelar")},
    examples={"en": ("book a table for 4",), "es": ("quiero reservar",), "pt": ("reservar mesa",)},
    keywords=("book a table", "reservation", "reserva", "reservar"),
)


async def test_a_fourth_lane_is_routed_by_its_keywords() -> None:
    registry = default_registry().with_lane(RESERVATIONS)
    chat = Conversation(context(scripted_router({}, registry=registry)), registry=registry)
    result = await chat.send("quiero reservar para esta noche")
    assert (result["understanding"].lane, result["understanding"].method) == (
        "reservations",
        "keyword",
    )
    assert texts(result) == "Table booked for tonight."
    assert result["session"]["meta"]["current_lane"] == "reservations"
    follow_up = await chat.send("ok")
    assert follow_up["understanding"].lane == "reservations"  # sticky like any lane


@respx.mock(base_url=LLM_BASE_URL)
async def test_a_fourth_lane_is_known_to_the_llm_router(respx_mock) -> None:
    api = respx_mock.post("/chat/completions").mock(
        return_value=completion(route_json("reservations"))
    )
    registry = default_registry().with_lane(RESERVATIONS)
    router = scripted_router({}, mode="llm", chat_model=chat_model(), registry=registry)
    result = await Conversation(context(router), registry=registry).send("table for two at 8?")
    assert (result["understanding"].lane, result["understanding"].method) == ("reservations", "llm")
    assert "`reservations`: Booking, changing" in api.calls.last.request.content.decode()


async def test_a_fourth_lane_dispatches_its_own_intents_from_its_vocabulary() -> None:
    registry = default_registry().with_lane(RESERVATIONS)
    chat = Conversation(context(scripted_router({}, registry=registry)), registry=registry)
    result = await chat.send("quiero cancelar mi reserva")
    assert result["understanding"].intent == "cancel_booking"
    assert texts(result) == "Booking cancelled."


@pytest.mark.parametrize(
    ("text", "offer"),
    [("hmm", "table reservations"), ("mmm no sé", "reservas de mesa"),
     ("hum, não sei bem", "reservas de mesa")],
)  # fmt: skip
async def test_a_fourth_lane_shows_up_in_the_clarifying_question_and_the_menu(
    text: str, offer: str
) -> None:
    registry = default_registry().with_lane(RESERVATIONS)
    chat = Conversation(context(scripted_router({}, registry=registry)), registry=registry)
    asked = await chat.send(text)  # unsure: the clarifying question
    [question] = asked["outbound"]
    assert isinstance(question, ListMessage) and offer in question.body
    rows = [row.id for section in question.sections for row in section.rows]
    assert rows == ["lane:info", "lane:commerce", "lane:support", "lane:reservations"]
    picked = await chat.send("Reservas", choice_id="lane:reservations")
    assert texts(picked) == "Table booked for tonight."
