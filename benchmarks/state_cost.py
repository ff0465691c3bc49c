"""What a turn costs Redis, and what a session weighs, as a conversation grows.

    python -m benchmarks.state_cost --turns 100

Runs N turns on one session for each configuration, on a private embedded Redis (or
`--redis-url`, which must be an otherwise idle Redis 8 / Redis Stack), and prints per turn
the Redis commands (from `INFO commandstats` deltas, commands run inside Lua scripts
included) and round trips (requests written by the clients, `benchmarks.redis_count`), as
p50/max over the last 10 turns, then the session's keys and bytes (`MEMORY USAGE`) after
20 and after N turns, against the latest session state as JSON. A session's keys are its
thread's keys plus the per-message keys of its turns (`turn:processed:*`,
`orchestrated:*`). Configurations:

- `minimal Redis turn` (baseline): idempotency check, lock (SET NX PX), load (GET), save
  and mark processed (MULTI/SET/SET/EXEC), unlock (compare-and-delete script), with the
  state kept as one JSON string; no graph.
- `library default`: `AsyncRedisSaver()`, default durability, no TTL, no pruning.
- `exit + TTL`:      durability "exit", TTL 24 h, no pruning.
- `chosen`:          the production path, `Controller.handle_turn` (idempotency, claim,
                     FIFO session lock, fenced commit) on `redis_checkpointer()` with the
                     session as the only carried channel, after each turn the job's
                     `forget_replies` (the outbox has them), not counted in the turn;
                     once with the minimal contract graph (`benchmarks/state_graph.py`),
                     once with the real conversation graph (offline router, demo tenant).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from langgraph.checkpoint.redis.aio import AsyncRedisSaver

from benchmarks.redis_count import RoundTrips, command_count, counting_client
from benchmarks.results import add_json_option, write_json
from benchmarks.state_graph import TurnContext, build_contract_graph
from graph.checkpointer import redis_checkpointer
from graph.context import Context
from graph.graph import build_graph
from graph.messages import InboundTurn
from graph.state import CARRIED_CHANNELS
from server.controller import Controller, forget_replies, orchestrated_key, processed_key
from server.embedded_redis import EmbeddedRedis

TENANT = "100200300400500"
"""The tenant of every benchmark turn (the demo tenant)."""
SNAPSHOT_AT = 20
"""Bytes are also taken after this many turns: flat means the same at turn N."""

Run = Callable[[InboundTurn], Awaitable[object]]


async def session_keys(
    redis: aioredis.Redis, tenant_id: str, wa_id: str, msg_ids: list[str] | None = None
) -> list[bytes]:
    """Every key of one session: checkpoints, pointer, writes, fence and lock keys, and the
    per-message keys of `msg_ids` that still exist."""
    thread = f"{tenant_id}:{wa_id}"
    keys = [key async for key in redis.scan_iter(match=f"*{thread}*", count=1000)]
    for msg_id in msg_ids or []:
        for key in (processed_key(msg_id), orchestrated_key(msg_id)):
            if await redis.exists(key):
                keys.append(key.encode())
    return keys


async def session_bytes(
    redis: aioredis.Redis, tenant_id: str, wa_id: str, msg_ids: list[str] | None = None
) -> tuple[int, int]:
    """(number of keys, total MEMORY USAGE in bytes) of one session."""
    keys = await session_keys(redis, tenant_id, wa_id, msg_ids)
    sizes = [int(await redis.memory_usage(k, samples=0) or 0) for k in keys]
    return len(keys), sum(sizes)


@dataclass
class Measurement:
    name: str
    commands: list[int]
    round_trips: list[int]
    keys: int
    bytes_at_20: int
    bytes: int
    state_json: int = 0
    sizes: dict[str, int] = field(default_factory=dict)

    def row(self) -> str:
        last_c, last_r = self.commands[-10:], self.round_trips[-10:]
        p50 = statistics.median
        ratio = f"{self.bytes / self.state_json:.1f}×" if self.state_json else "—"
        state = f"{self.state_json:,}" if self.state_json else "—"
        trips = f"{p50(last_r):.0f} / {max(last_r)}" if any(self.round_trips) else "—"
        return (
            f"| {self.name} | {p50(last_c):.0f} / {max(last_c)} | {trips} | {self.keys}"
            f" | {self.bytes_at_20:,} | {self.bytes:,} | {state} | {ratio} |"
        )


def make_turn(wa_id: str, i: int) -> InboundTurn:
    return InboundTurn(tenant_id=TENANT, wa_id=wa_id, msg_id=f"wamid.{wa_id}.{i}", text=f"hi {i}")


@dataclass
class TurnCounts:
    commands: list[int] = field(default_factory=list)
    round_trips: list[int] = field(default_factory=list)
    msg_ids: list[str] = field(default_factory=list)


async def measure_turns(
    redis: aioredis.Redis,
    turns: int,
    wa_id: str,
    run: Run,
    *,
    counter: RoundTrips | None = None,
    after: Run | None = None,
    first: int = 0,
    counts: TurnCounts | None = None,
) -> tuple[TurnCounts, int, int]:
    """Run turns `first`..`first + turns - 1`; count each (`after`, the job's step, is not
    counted); return the counts and the session's (keys, bytes) at the end."""
    counts = counts or TurnCounts()
    for i in range(first, first + turns):
        turn = make_turn(wa_id, i)
        before = await command_count(redis)
        trips = counter.total if counter else 0
        await run(turn)
        if counter:
            counts.round_trips.append(counter.total - trips)
        counts.commands.append(await command_count(redis) - before)
        counts.msg_ids.append(turn.msg_id)
        if after is not None:
            await after(turn)
    keys, size = await session_bytes(redis, TENANT, wa_id, counts.msg_ids)
    return counts, keys, size


async def measure(
    name: str, redis: aioredis.Redis, turns: int, wa_id: str, run: Run, **options: object
) -> Measurement:
    counts, _, at_20 = await measure_turns(redis, SNAPSHOT_AT, wa_id, run, **options)  # type: ignore[arg-type]
    counts, keys, size = await measure_turns(
        redis,
        turns - SNAPSHOT_AT,
        wa_id,
        run,
        first=SNAPSHOT_AT,
        counts=counts,
        **options,  # type: ignore[arg-type]
    )
    rts = counts.round_trips or [0] * len(counts.commands)
    return Measurement(name, counts.commands, rts, keys, at_20, size)


async def minimal_turn(url: str, redis: aioredis.Redis, turns: int, wa_id: str) -> Measurement:
    """The baseline: the least a locked, idempotent load-and-save turn asks of Redis."""
    counter = RoundTrips()
    client = counting_client(url, counter)
    release = client.register_script(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end"
        " return 0"
    )
    state_key, lock_key = f"minimal:{TENANT}:{wa_id}", f"minimal:{TENANT}:{wa_id}:lock"

    async def run(turn: InboundTurn) -> object:
        if await client.exists(processed_key(turn.msg_id)):
            return None
        await client.set(lock_key, "token", nx=True, px=30_000)
        raw = await client.get(state_key)
        state = json.loads(raw) if raw else {"version": 0, "turns": []}
        state = {"version": state["version"] + 1, "turns": [*state["turns"][-19:], turn.text]}
        async with client.pipeline(transaction=True) as pipe:
            pipe.set(state_key, json.dumps(state), ex=86_400)
            pipe.set(processed_key(turn.msg_id), "1", ex=86_400)
            await pipe.execute()
        return await release(keys=[lock_key], args=["token"])

    try:
        return await measure(
            "minimal Redis turn (baseline)", redis, turns, wa_id, run, counter=counter
        )
    finally:
        await client.aclose()


async def graph_only(
    name: str, url: str, redis: aioredis.Redis, turns: int, wa_id: str, **saver_options: object
) -> Measurement:
    durability = saver_options.pop("durability", None)
    async with AsyncRedisSaver(url, **saver_options) as saver:  # type: ignore[arg-type]
        graph = build_contract_graph(saver)

        async def run(turn: InboundTurn) -> object:
            config = {"configurable": {"thread_id": turn.thread_id}}
            if durability:
                return await graph.ainvoke({"turn": turn}, config, durability=durability)
            return await graph.ainvoke({"turn": turn}, config)

        return await measure(name, redis, turns, wa_id, run)


async def chosen(
    name: str, url: str, redis: aioredis.Redis, turns: int, wa_id: str, *, conversation: bool
) -> Measurement:
    counter = RoundTrips()
    client, saver_client = counting_client(url, counter), counting_client(url, counter)
    try:
        async with redis_checkpointer(
            url, carried_channels=CARRIED_CHANNELS, client=saver_client
        ) as saver:
            if conversation:
                controller = Controller(build_graph(saver), client, saver=saver, context=Context())
            else:
                graph = build_contract_graph(saver)
                controller = Controller(graph, client, saver=saver, context=TurnContext())

            async def after(turn: InboundTurn) -> object:
                return await forget_replies(redis, turn.msg_id)

            result = await measure(
                name, redis, turns, wa_id, controller.handle_turn, counter=counter, after=after
            )
            stored = await saver.aget_tuple({"configurable": {"thread_id": f"{TENANT}:{wa_id}"}})
            assert stored is not None
            session = stored.checkpoint["channel_values"]["session"]
            result.state_json = len(json.dumps(session, separators=(",", ":")))
            return result
    finally:
        await client.aclose()
        await saver_client.aclose()


async def run_all(url: str, turns: int) -> list[Measurement]:
    redis = aioredis.Redis.from_url(url)
    try:
        ttl = {"default_ttl": 1440, "refresh_on_read": True}
        return [
            await minimal_turn(url, redis, turns, "5500000000000"),
            await graph_only(
                "library default: graph.ainvoke only", url, redis, turns, "5500000000001"
            ),
            await graph_only(
                "exit + TTL 24h: graph.ainvoke only",
                *(url, redis, turns, "5500000000002"),
                ttl=ttl,
                durability="exit",
            ),
            await chosen(
                "chosen, contract graph: full controller turn",
                *(url, redis, turns, "5500000000003"),
                conversation=False,
            ),
            await chosen(
                "**chosen, real conversation graph: full controller turn**",
                *(url, redis, turns, "5500000000004"),
                conversation=True,
            ),
        ]
    finally:
        await redis.aclose()


def print_table(results: list[Measurement], turns: int) -> None:
    print(
        f"Redis per turn (last 10 of {turns} turns on one session) and the session's size;"
        " round trips counted for the baseline and the controller only"
    )
    print()
    print(
        "| configuration | commands/turn (p50 / max) | round trips/turn (p50 / max)"
        f" | keys after {turns} | bytes after {SNAPSHOT_AT} | bytes after {turns}"
        " | latest state as JSON | bytes ÷ state |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for result in results:
        print(result.row())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--redis-url", default=None, help="an idle Redis 8; default: embedded")
    add_json_option(parser)
    args = parser.parse_args(argv)
    if args.turns < SNAPSHOT_AT + 10:
        parser.error(f"--turns must be at least {SNAPSHOT_AT + 10}")
    if args.redis_url:
        results = asyncio.run(run_all(args.redis_url, args.turns))
    else:
        with EmbeddedRedis() as server:
            results = asyncio.run(run_all(server.url, args.turns))
    print_table(results, args.turns)
    write_json(args.json, "state_cost", as_json(results, args.turns))


def as_json(results: list[Measurement], turns: int) -> dict[str, object]:
    """Per configuration: commands and round trips per turn (p50 / max of the last 10 turns),
    keys, bytes after `SNAPSHOT_AT` and after `turns` turns, the latest state as JSON."""
    rows = {}
    for result in results:
        last_c, last_r = result.commands[-10:], result.round_trips[-10:]
        key = result.name.strip("*").split(" (")[0]
        rows[key] = {
            "commands_p50": statistics.median(last_c),
            "commands_max": max(last_c),
            "round_trips_p50": statistics.median(last_r) if any(result.round_trips) else None,
            "round_trips_max": max(last_r) if any(result.round_trips) else None,
            "keys": result.keys,
            "bytes_at_snapshot": result.bytes_at_20,
            "bytes": result.bytes,
            "state_json": result.state_json or None,
        }
    return {"turns": turns, "snapshot_at": SNAPSHOT_AT, "configurations": rows}


if __name__ == "__main__":
    main()
