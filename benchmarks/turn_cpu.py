"""CPU per turn: the full controller turn (real graph + Redis) against the same graph on
`InMemorySaver`, measured in the same run.

    python -m benchmarks.turn_cpu --turns 200

Both run the conversation graph (offline router, demo tenant) on one session, in this
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

import redis.asyncio as aioredis
from langgraph.checkpoint.memory import InMemorySaver

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


async def run_all(url: str, turns: int, repeat: int) -> tuple[list[float], list[float]]:
    memory, full = [], []
    for r in range(repeat):  # interleaved, so both see the same machine load
        memory.append(await in_memory(turns, f"55000000010{r:02d}"))
        full.append(await controller_turn(url, turns, f"55000000020{r:02d}"))
    return memory, full


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with EmbeddedRedis() as server:
        memory, full = asyncio.run(run_all(server.url, args.turns, args.repeat))
    m, f = statistics.median(memory), statistics.median(full)

    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):.1f} [{min(values):.1f}–{max(values):.1f}]"

    print(
        f"CPU per turn, conversation graph, {args.turns} turns × {args.repeat} (median [min–max])"
    )
    print()
    print("| what | CPU ms per turn | vs graph on InMemorySaver |")
    print("|---|---|---|")
    print(f"| graph on `InMemorySaver` (baseline) | {spread(memory)} | 1.00× |")
    print(
        f"| full controller turn (graph + Redis, lock, fenced commit) | {spread(full)}"
        f" | {f / m:.2f}× |"
    )


if __name__ == "__main__":
    main()
