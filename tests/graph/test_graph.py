"""The compiled graph, turn by turn (InMemorySaver, scripted router): routes, clarifying
questions, button choices, per-turn resets, stickiness and versions."""

from __future__ import annotations

import httpx
import pytest
import respx
from graph_support import LLM_BASE_URL, Conversation, chat_model, context, scripted_router, texts

from graph.graph import build_graph
from graph.messages import ButtonsMessage, ListMessage

TABLE = {
    "what time do you close?": ("info", 0.95),
    "¿a qué hora cierran?": ("info", 0.95),
    "show me your mugs": ("commerce", 0.9),
    "quiero una taza": ("commerce", 0.9),
    "my package never arrived": ("support", 0.97),
    "where are you located?": ("info", 0.9),
    "hmm": ("commerce", 0.4),
    "tengo una duda rara": ("support", 0.4),
}


def conversation(**kwargs) -> Conversation:
    return Conversation(context(scripted_router(TABLE), **kwargs))


@pytest.mark.parametrize(
    ("text", "lane", "expected"),
    [
        ("what time do you close?", "info", "we close at 19:00"),
        ("show me your mugs", "commerce", "Blue ceramic mug"),
        ("my package never arrived", "support", "ticket T-"),
    ],
)
async def test_each_lane_answers_its_messages(text: str, lane: str, expected: str) -> None:
    result = await conversation().send(text)
    assert result["understanding"].lane == lane
    assert result["session"]["meta"]["current_lane"] == lane
    assert expected in texts(result)
    assert result["handoffs"] == []


async def test_an_unsure_router_asks_one_question_with_lane_buttons_in_the_users_language() -> None:
    chat = conversation()
    result = await chat.send("tengo una duda rara")
    assert result["understanding"].method == "clarify"
    [question] = result["outbound"]
    assert isinstance(question, ButtonsMessage)
    assert [b.id for b in question.buttons] == ["lane:info", "lane:commerce", "lane:support"]
    assert [b.title for b in question.buttons] == ["Información", "Compras", "Ayuda"]
    assert result["session"]["meta"]["current_lane"] is None  # nothing decided yet


async def test_a_button_choice_routes_directly_without_the_router() -> None:
    chat = conversation()
    await chat.send("hmm")
    result = await chat.send("Shopping", choice_id="lane:commerce")
    assert (result["understanding"].lane, result["understanding"].method) == ("commerce", "choice")
    assert isinstance(result["outbound"][0], ListMessage)


async def test_per_turn_fields_are_reset_and_the_version_advances_once_per_turn() -> None:
    chat = conversation()
    first = await chat.send("my package never arrived")
    second = await chat.send("where are you located?")
    assert len(second["outbound"]) == 1 and "Rua Augusta" in texts(second)
    assert "ticket" not in texts(second)
    assert (first["session"]["version"], second["session"]["version"]) == (1, 2)
    assert second["base_version"] == 1
    turns = second["session"]["dialogue"]["turns"]
    assert [t["role"] for t in turns] == ["user", "assistant", "user", "assistant"]


async def test_a_follow_up_stays_in_the_sticky_lane_until_sticky_until() -> None:
    chat = conversation()
    await chat.send("show me your mugs")
    stay = await chat.send("2")
    assert (stay["understanding"].lane, stay["understanding"].method) == ("commerce", "sticky")
    chat.advance(seconds=chat.context.sticky_seconds + 1)
    expired = await chat.send("2")
    assert expired["understanding"].method == "clarify"


async def test_no_ping_pong_between_lanes_on_vague_messages() -> None:
    chat = conversation()
    await chat.send("my package never arrived")
    lanes = [(await chat.send(text))["understanding"].lane for text in ("hmm", "ok", "hmm", "yes")]
    assert lanes == ["support"] * 4


async def test_a_clear_winner_takes_over_a_sticky_lane() -> None:
    chat = conversation()
    await chat.send("show me your mugs")
    result = await chat.send("my package never arrived")
    assert result["understanding"].lane == "support"
    assert result["session"]["meta"]["current_lane"] == "support"


async def test_the_sticky_window_is_stored_in_the_session() -> None:
    chat = conversation()
    result = await chat.send("what time do you close?")
    sticky_until = result["session"]["meta"]["sticky_until"]
    assert sticky_until.startswith("2026-11-23T15:15:00")  # now + 900 s


async def test_the_default_graph_compiles_without_a_checkpointer_and_draws_every_lane() -> None:
    from graph.graph import graph

    assert graph.checkpointer is None
    diagram = build_graph().get_graph(xray=1).draw_mermaid()
    for node in ("load", "route", "clarify", "handoff", "finalize", "info", "commerce", "support"):
        assert node in diagram


async def test_an_old_schema_checkpoint_is_upcast_by_the_first_node() -> None:
    import json
    from pathlib import Path

    stored_v1 = json.loads((Path(__file__).parents[1] / "data/state/v1_minimal.json").read_text())
    chat = conversation()
    chat.wa_id = stored_v1["wa_id"]
    await chat.graph.aupdate_state(chat.config, {"session": stored_v1}, as_node="finalize")
    result = await chat.send("what time do you close?")
    session = result["session"]
    assert (session["schema_version"], session["version"]) == (3, stored_v1["version"] + 1)
    assert session["dialogue"]["turns"][0]["text"] == "hola"  # the v1 history was kept


@respx.mock(base_url=LLM_BASE_URL)
async def test_a_failing_llm_never_breaks_a_turn_in_hybrid_mode(respx_mock) -> None:
    api = respx_mock.post("/chat/completions").mock(return_value=httpx.Response(503))
    router = scripted_router(TABLE, mode="hybrid", chat_model=chat_model())
    chat = Conversation(context(router))
    sure = await chat.send("my package never arrived")  # confident offline: no LLM call
    assert api.call_count == 0 and sure["understanding"].method == "offline"
    unsure = await chat.send("tengo una duda rara")
    assert api.call_count == 1
    decision = unsure["understanding"]
    assert (decision.lane, decision.method, decision.fallback_reason) == (
        "support",
        "fallback",
        "server_error",
    )
    assert unsure["outbound"] and unsure["session"]["version"] == 2


async def test_an_unreadable_stored_session_is_replaced_not_fatal(caplog) -> None:
    chat = conversation()
    broken = {"version": 7, "schema_version": 99, "meta": "???"}
    await chat.graph.aupdate_state(chat.config, {"session": broken}, as_node="finalize")
    caplog.set_level("ERROR", logger="nodes.turn.load")
    result = await chat.send("what time do you close?")
    assert "we close at 19:00" in texts(result)
    assert result["session"]["version"] == 8  # continues, never goes backwards
    assert [r.getMessage() for r in caplog.records] == ["session.unreadable"]
