"""Integration: multi-turn conversations through the compiled graph on the real embedded
Redis (the fenced Redis saver) with the real offline classifier - lanes, stickiness,
one version per turn, and state surviving a restart of the graph."""

from __future__ import annotations

from graph_support import Conversation, context, texts

from graph.checkpointer import redis_checkpointer
from graph.graph import build_graph
from nodes.router import build_router

CONVERSATION = [
    # (message, lane that must answer)
    ("hola, ¿a qué hora cierran hoy?", "info"),
    ("quiero comprar una taza", "commerce"),
    ("la azul", "commerce"),  # sticky follow-up
    ("sí", "commerce"),  # adds it to the cart
    ("my package never arrived and nobody answers", "support"),
    ("ok", "support"),
]


async def test_a_multi_turn_conversation_on_redis(redis_url: str) -> None:
    async with redis_checkpointer(redis_url) as saver:
        chat = Conversation(context(build_router("offline")), checkpointer=saver)
        versions = []
        for text, lane in CONVERSATION:
            result = await chat.send(text)
            assert result["session"]["meta"]["current_lane"] == lane, (
                text,
                result["understanding"],
            )
            versions.append(result["session"]["version"])
            assert result["outbound"], text
        assert versions == list(range(1, len(CONVERSATION) + 1))
        assert result["session"]["commerce"]["cart"][0]["sku"] == "MUG-BLUE"
        assert result["session"]["support"]["open_tickets"]
        state = await chat.graph.aget_state(chat.config)
        assert state.values["session"]["version"] == len(CONVERSATION)


async def test_the_session_survives_a_new_graph_and_saver(redis_url: str) -> None:
    router = build_router("offline")
    async with redis_checkpointer(redis_url) as saver:
        first = Conversation(context(router), checkpointer=saver)
        await first.send("quiero comprar una taza")
    async with redis_checkpointer(redis_url, keep_last=2) as saver:
        second = Conversation(context(router), checkpointer=saver)
        assert second.graph is not first.graph
        result = await second.send("2")  # still sticky: resolves against the stored list
        assert result["understanding"].method == "sticky"
        assert "Taza roja" in texts(result)
        assert result["session"]["version"] == 2
        history = [s async for s in second.graph.aget_state_history(second.config)]
        stored = sorted(s.values["session"]["version"] for s in history if s.values.get("session"))
        assert stored[-2:] == [1, 2]  # one checkpoint per turn (durability="exit")


async def test_a_studio_style_graph_without_checkpointer_runs_a_turn() -> None:
    result = await build_graph().ainvoke(
        {"turn": {"tenant_id": "100200300400500", "wa_id": "1", "msg_id": "m", "text": "hi"}},
        context=context(build_router("offline")),
    )
    assert result["session"]["version"] == 1 and "Casa Aurora" in texts(result)
