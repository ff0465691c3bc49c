"""CPU per turn: the full controller turn (real graph + Redis) against the same graph on
`InMemorySaver`, and a bare LangGraph graph, measured in the same run.

    python -m benchmarks.turn_cpu --turns 200

Baselines: the conversation graph on `InMemorySaver`, and a bare LangGraph graph of the same
shape with no work in it (a keyword router and three one-node lane subgraphs, the message
reply as state, on `InMemorySaver`): what LangGraph itself costs per turn. The first two
run the conversation graph (offline router, demo tenant) on one session, in this
process, after 20 warm-up turns; CPU is `time.process_time()` of this process (the
embedded Redis server runs in its own process and is not counted). Reported: the median
over `--repeat` runs of CPU ms per turn, and the ratio. Absolute numbers move with the
machine's load; the ratio is what to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypedDict

import redis.asyncio as aioredis
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

from benchmarks.results import add_json_option, write_json
from graph.checkpointer import redis_checkpointer
from graph.context import Context
from graph.graph import build_graph
from graph.messages import InboundTurn
from graph.state import CARRIED_CHANNELS
from server.controller import Controller, forget_replies
from server.embedded_redis import EmbeddedRedis

TENANT = "100200300400500"
WARM_UP = 20
TEXTS = ("hola", "do you have blue mugs?", "add 2", "what time do you open?", "my order is late")


def make_turn(wa_id: str, i: int) -> InboundTurn:
    text = TEXTS[i % len(TEXTS)]
    return InboundTurn(tenant_id=TENANT, wa_id=wa_id, msg_id=f"wamid.{wa_id}.{i}", text=text)


async def cpu_per_turn(
    run: Callable[[InboundTurn], Awaitable[object]], wa_id: str, turns: int
) -> float:
    for i in range(WARM_UP):
        await run(make_turn(wa_id, i))
    started = time.process_time()
    for i in range(WARM_UP, WARM_UP + turns):
        await run(make_turn(wa_id, i))
    return (time.process_time() - started) * 1000 / turns


async def in_memory(turns: int, wa_id: str) -> float:
    graph = build_graph(InMemorySaver())
    context = Context()

    async def run(turn: InboundTurn) -> object:
        config = {"configurable": {"thread_id": turn.thread_id}}
        return await graph.ainvoke({"turn": turn}, config, context=context, durability="exit")

    return await cpu_per_turn(run, wa_id, turns)


class BareState(TypedDict, total=False):
    text: str
    lane: str
    reply: str


def bare_langgraph() -> Any:
    """Router + three lane subgraphs, nothing else: LangGraph's own cost per turn."""

    def lane_graph(name: str) -> Any:
        def answer(state: BareState) -> dict[str, Any]:
            return {"reply": f"[{name}] {state['text']}"}

        builder = StateGraph(BareState)
        builder.add_node("answer", answer)
        builder.add_edge(START, "answer")
        builder.add_edge("answer", END)
        return builder.compile()

    def route(state: BareState) -> dict[str, Any]:
        text = state["text"]
        lane = (
            "commerce"
            if "mug" in text or "add" in text
            else "support"
            if "late" in text
            else "info"
        )
        return {"lane": lane}

    builder = StateGraph(BareState)
    builder.add_node("route", route)
    for name in ("info", "commerce", "support"):
        builder.add_node(name, lane_graph(name))
        builder.add_edge(name, END)
    builder.add_edge(START, "route")
    builder.add_conditional_edges("route", lambda state: state["lane"])
    return builder.compile(checkpointer=InMemorySaver())


async def bare(turns: int, wa_id: str) -> float:
    graph = bare_langgraph()

    async def run(turn: InboundTurn) -> object:
        config = {"configurable": {"thread_id": turn.thread_id}}
        return await graph.ainvoke({"text": turn.text}, config, durability="exit")

    return await cpu_per_turn(run, wa_id, turns)


async def controller_turn(url: str, turns: int, wa_id: str) -> float:
    redis = aioredis.Redis.from_url(url)
    try:
        async with redis_checkpointer(url, carried_channels=CARRIED_CHANNELS) as saver:
            controller = Controller(build_graph(saver), redis, saver=saver, context=Context())

            async def run(turn: InboundTurn) -> object:
                result = await controller.handle_turn(turn)
                await forget_replies(redis, turn.msg_id)  # the job's step, once stored
                return result

            return await cpu_per_turn(run, wa_id, turns)
    finally:
        await redis.aclose()


async def run_all(url: str, turns: int, repeat: int) -> dict[str, list[float]]:
    runs: dict[str, list[float]] = {"bare": [], "memory": [], "full": []}
    for r in range(repeat):  # interleaved, so all see the same machine load
        runs["bare"].append(await bare(turns, f"55000000030{r:02d}"))
        runs["memory"].append(await in_memory(turns, f"55000000010{r:02d}"))
        runs["full"].append(await controller_turn(url, turns, f"55000000020{r:02d}"))
    return runs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    add_json_option(parser)
    args = parser.parse_args(argv)
    with EmbeddedRedis() as server:
        runs = asyncio.run(run_all(server.url, args.turns, args.repeat))
    bare_ms, memory, full = runs["bare"], runs["memory"], runs["full"]
    b, m, f = statistics.median(bare_ms), statistics.median(memory), statistics.median(full)

    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):.1f} [{min(values):.1f}–{max(values):.1f}]"

    print(
        f"CPU per turn, conversation graph, {args.turns} turns × {args.repeat} (median [min–max])"
    )
    print()
    print("| what | CPU ms per turn | vs graph on InMemorySaver | vs bare LangGraph |")
    print("|---|---|---|---|")
    print(
        "| bare LangGraph: router + 3 lane subgraphs, `InMemorySaver` (baseline)"
        f" | {spread(bare_ms)} | {b / m:.2f}× | 1.00× |"
    )
    print(f"| graph on `InMemorySaver` (baseline) | {spread(memory)} | 1.00× | {m / b:.2f}× |")
    print(
        f"| full controller turn (graph + Redis, lock, fenced commit) | {spread(full)}"
        f" | {f / m:.2f}× | {f / b:.2f}× |"
    )
    write_json(args.json, "turn_cpu", {"turns": args.turns, "repeat": args.repeat, **runs})


if __name__ == "__main__":
    main()
