"""A turn of the conversation graph runs on the event loop: no thread hand-off (LangGraph
sends plain edge functions to a thread pool; ours are coroutines), counted, not timed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from graph.context import Context
from graph.graph import build_graph
from graph.messages import InboundTurn


async def test_a_turn_hands_nothing_to_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = build_graph(InMemorySaver())
    loop = asyncio.get_running_loop()
    handed: list[Any] = []
    original = loop.run_in_executor

    def counting(executor: Any, func: Any, *args: Any) -> Any:
        handed.append(func)
        return original(executor, func, *args)

    monkeypatch.setattr(loop, "run_in_executor", counting)
    config: Any = {"configurable": {"thread_id": "100200300400500:5511987654321"}}
    for i, text in enumerate(["hola", "do you have blue mugs?", "my order is late"]):
        turn = InboundTurn(
            tenant_id="100200300400500", wa_id="5511987654321", msg_id=f"wamid.{i}", text=text
        )
        result = await graph.ainvoke({"turn": turn}, config, context=Context())
        assert result["outbound"]
    assert handed == []
