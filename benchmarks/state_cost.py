"""What a turn costs Redis, and what a session weighs, as a conversation grows.

    python -m benchmarks.state_cost --turns 100

Runs N turns on one session for each configuration, on a private embedded Redis (or
`--redis-url`, which must be an otherwise idle Redis 8 / Redis Stack), and prints:
Redis commands per turn (from `INFO commandstats` deltas, commands run inside Lua
scripts included) as p50/max over the first and last 10 turns, and the session's keys
and bytes (`MEMORY USAGE`) after N turns. Configurations:

- `library default`: `AsyncRedisSaver()`, default durability, no TTL, no pruning.
- `exit + TTL`:      durability "exit", TTL 24 h refreshed on read, no pruning.
- `chosen`:          the production path, `Controller.handle_turn` (idempotency keys,
                     FIFO session lock, fenced commit) on `redis_checkpointer()`:
                     durability "exit", TTL 24 h refreshed on read, `keep_last=5`;
                     once with the minimal contract graph (`benchmarks/state_graph.py`),
                     once with the real conversation graph (`graph.graph.build_graph`,
                     offline router, demo tenant).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as aioredis
from langgraph.checkpoint.redis.aio import AsyncRedisSaver

from benchmarks.state_graph import TurnContext, build_contract_graph
from graph.checkpointer import redis_checkpointer
from graph.context import Context
from graph.graph import build_graph
from graph.messages import InboundTurn
from server.controller import Controller
from server.embedded_redis import EmbeddedRedis

TENANT = "100200300400500"
"""The tenant of every benchmark turn (the demo tenant)."""


async def command_count(redis: aioredis.Redis) -> int:
    """Commands the server has run so far, not counting INFO itself."""
    stats = await redis.info("commandstats")
    return sum(int(v["calls"]) for k, v in stats.items() if k != "cmdstat_info")


async def session_keys(redis: aioredis.Redis, tenant_id: str, wa_id: str) -> list[bytes]:
    """Every key of one session: checkpoints, pointer, writes, fence and lock keys."""
    thread = f"{tenant_id}:{wa_id}"
    return [key async for key in redis.scan_iter(match=f"*{thread}*", count=1000)]


async def session_bytes(redis: aioredis.Redis, tenant_id: str, wa_id: str) -> tuple[int, int]:
    """(number of keys, total MEMORY USAGE in bytes) of one session."""
    keys = await session_keys(redis, tenant_id, wa_id)
    sizes = [int(await redis.memory_usage(k, samples=0) or 0) for k in keys]
    return len(keys), sum(sizes)


@dataclass
class Measurement:
    name: str
    per_turn: list[int]
    keys: int
    bytes: int

    def row(self) -> str:
        first, last = self.per_turn[:10], self.per_turn[-10:]
        p50 = statistics.median
        return (
            f"| {self.name} | {p50(first):.0f} / {max(first)} | {p50(last):.0f} / {max(last)}"
            f" | {self.keys} | {self.bytes:,} |"
        )


def make_turn(wa_id: str, i: int) -> InboundTurn:
    return InboundTurn(tenant_id=TENANT, wa_id=wa_id, msg_id=f"wamid.{wa_id}.{i}", text=f"hi {i}")


async def measure_turns(
    redis: aioredis.Redis, turns: int, wa_id: str, run: Callable[[InboundTurn], Awaitable[object]]
) -> tuple[list[int], int, int]:
    per_turn: list[int] = []
    for i in range(turns):
        before = await command_count(redis)
        await run(make_turn(wa_id, i))
        per_turn.append(await command_count(redis) - before)
    keys, size = await session_bytes(redis, TENANT, wa_id)
    return per_turn, keys, size


async def graph_only(
    url: str, redis: aioredis.Redis, turns: int, wa_id: str, **saver_options: object
) -> tuple[list[int], int, int]:
    durability = saver_options.pop("durability", None)
    async with AsyncRedisSaver(url, **saver_options) as saver:  # type: ignore[arg-type]
        graph = build_contract_graph(saver)

        async def run(turn: InboundTurn) -> object:
            config = {"configurable": {"thread_id": turn.thread_id}}
            if durability:
                return await graph.ainvoke({"turn": turn}, config, durability=durability)
            return await graph.ainvoke({"turn": turn}, config)

        return await measure_turns(redis, turns, wa_id, run)


async def chosen(
    url: str, redis: aioredis.Redis, turns: int, wa_id: str, *, conversation: bool = False
) -> tuple[list[int], int, int]:
    async with redis_checkpointer(url) as saver:
        if conversation:
            controller = Controller(build_graph(saver), redis, saver=saver, context=Context())
        else:
            graph = build_contract_graph(saver)
            controller = Controller(graph, redis, saver=saver, context=TurnContext())
        return await measure_turns(redis, turns, wa_id, controller.handle_turn)


async def run_all(url: str, turns: int) -> list[Measurement]:
    redis = aioredis.Redis.from_url(url)
    try:
        ttl = {"default_ttl": 1440, "refresh_on_read": True}
        runs = [
            ("library default: graph.ainvoke only", graph_only(url, redis, turns, "5500000000001")),
            (
                "exit + TTL 24h: graph.ainvoke only",
                graph_only(url, redis, turns, "5500000000002", ttl=ttl, durability="exit"),
            ),
            (
                "chosen (exit + TTL + keep_last=5): full controller turn",
                chosen(url, redis, turns, "5500000000003"),
            ),
            (
                "chosen, real conversation graph: full controller turn",
                chosen(url, redis, turns, "5500000000004", conversation=True),
            ),
        ]
        results = []
        for name, job in runs:
            per_turn, keys, size = await job
            results.append(Measurement(name, per_turn, keys, size))
        return results
    finally:
        await redis.aclose()


def print_table(results: list[Measurement], turns: int) -> None:
    print(f"Redis commands per turn and session size after {turns} turns on one session")
    print(
        "| configuration | commands/turn, turns 1-10 (p50 / max) | last 10 turns (p50 / max)"
        f" | keys after {turns} | bytes after {turns} |"
    )
    print("|---|---|---|---|---|")
    for result in results:
        print(result.row())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--redis-url", default=None, help="an idle Redis 8; default: embedded")
    args = parser.parse_args(argv)
    if args.turns < 20:
        parser.error("--turns must be at least 20 (first and last 10 turns are compared)")
    if args.redis_url:
        print_table(asyncio.run(run_all(args.redis_url, args.turns)), args.turns)
        return
    with EmbeddedRedis() as server:
        print_table(asyncio.run(run_all(server.url, args.turns)), args.turns)


if __name__ == "__main__":
    main()
