"""The turn controller against the real embedded Redis: order, exclusion, exactly-once, fencing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio as aioredis

from benchmarks.state_graph import Hook, TurnContext, build_contract_graph
from graph.checkpointer import FencedRedisSaver, redis_checkpointer
from graph.messages import InboundTurn
from graph.session import StaleStateError
from server.controller import Controller, orchestrated_key, processed_key, session_key
from server.locks import acquire_session_lock

TENANT, WA, OTHER_WA = "100200300400500", "5511987654321", "34612345678"
THREAD = f"{TENANT}:{WA}"


def turn(msg_id: str, text: str = "hello", wa_id: str = WA) -> InboundTurn:
    return InboundTurn(tenant_id=TENANT, wa_id=wa_id, msg_id=msg_id, text=text)


@pytest.fixture
async def saver(redis_url: str) -> AsyncIterator[FencedRedisSaver]:
    async with redis_checkpointer(redis_url) as opened:
        yield opened


def make_controller(
    saver: FencedRedisSaver, redis: aioredis.Redis, hook: Hook | None = None
) -> Controller:
    graph = build_contract_graph(saver)
    return Controller(graph, redis, saver=saver, context=TurnContext(hook=hook))


async def committed_state(saver: FencedRedisSaver, thread: str = THREAD) -> dict[str, Any]:
    checkpoint = await saver.aget_tuple({"configurable": {"thread_id": thread}})
    assert checkpoint is not None
    session: dict[str, Any] = checkpoint.checkpoint["channel_values"]["session"]
    return session


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait for a condition the test cannot be notified of (bounded: fails, never hangs)."""
    for _ in range(2000):
        if await check():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


async def test_a_turn_commits_version_one_and_replies(
    saver: FencedRedisSaver, redis_client: aioredis.Redis
) -> None:
    result = await make_controller(saver, redis_client).handle_turn(turn("wamid.1", "buy pizza"))
    assert (result.status, result.lane, result.state_version) == ("completed", "commerce", 1)
    assert [m.body for m in result.messages] == ["[commerce] you said: buy pizza"]
    assert (await committed_state(saver))["version"] == 1
    assert await redis_client.hget(session_key(TENANT, WA), "version") == b"1"  # type: ignore[misc]


async def test_twenty_concurrent_turns_run_once_each_in_arrival_order(
    saver: FencedRedisSaver, redis_client: aioredis.Redis
) -> None:
    ran: list[str] = []

    async def record(t: InboundTurn) -> None:
        ran.append(t.msg_id)

    controller = make_controller(saver, redis_client, hook=record)
    ids = [f"wamid.{i:02d}" for i in range(20)]
    queue = f"session:{TENANT}:{WA}:lock:queue"
    async with acquire_session_lock(redis_client, TENANT, WA):  # hold the door, let them line up
        tasks = []
        for n, msg_id in enumerate(ids, start=1):
            tasks.append(asyncio.create_task(controller.handle_turn(turn(msg_id))))

            async def queued(n: int = n) -> bool:
                return int(await redis_client.zcard(queue)) == n

            await eventually(queued, f"{msg_id} in line")
    results = await asyncio.gather(*tasks)

    assert ran == ids  # one at a time, in arrival order
    assert [r.state_version for r in results] == list(range(1, 21))  # no lost update
    session = await committed_state(saver)
    assert session["version"] == 20
    user_ids = [t["msg_id"] for t in session["dialogue"]["turns"] if t["role"] == "user"]
    assert user_ids == ids[-len(user_ids) :]


async def test_turns_of_different_sessions_overlap(
    saver: FencedRedisSaver, redis_client: aioredis.Redis
) -> None:
    arrived = {WA: asyncio.Event(), OTHER_WA: asyncio.Event()}

    async def meet(t: InboundTurn) -> None:
        arrived[t.wa_id].set()
        other = OTHER_WA if t.wa_id == WA else WA
        await asyncio.wait_for(arrived[other].wait(), timeout=10)  # both inside at once

    controller = make_controller(saver, redis_client, hook=meet)
    first, second = await asyncio.gather(
        controller.handle_turn(turn("wamid.a")),
        controller.handle_turn(turn("wamid.b", wa_id=OTHER_WA)),
    )
    assert first.state_version == second.state_version == 1


async def test_a_duplicate_message_is_processed_once(
    saver: FencedRedisSaver, redis_client: aioredis.Redis
) -> None:
    ran: list[str] = []

    async def record(t: InboundTurn) -> None:
        ran.append(t.msg_id)

    controller = make_controller(saver, redis_client, hook=record)
    together = await asyncio.gather(*(controller.handle_turn(turn("wamid.dup")) for _ in range(3)))
    later = await controller.handle_turn(turn("wamid.dup"))
    assert sorted(r.status for r in together) == ["completed", "duplicate", "duplicate"]
    assert later.status == "duplicate"
    assert ran == ["wamid.dup"]
    assert (await committed_state(saver))["version"] == 1
    assert await redis_client.pttl(processed_key("wamid.dup")) > 6 * 24 * 3600 * 1000


async def test_a_lock_lost_mid_turn_is_a_detected_conflict(
    saver: FencedRedisSaver, redis_client: aioredis.Redis
) -> None:
    slow_inside, let_slow_finish = asyncio.Event(), asyncio.Event()

    async def pause_first(t: InboundTurn) -> None:
        if t.msg_id == "wamid.slow":
            slow_inside.set()
            await asyncio.wait_for(let_slow_finish.wait(), timeout=10)

    controller = make_controller(saver, redis_client, hook=pause_first)
    slow = asyncio.create_task(controller.handle_turn(turn("wamid.slow", "slow")))
    await asyncio.wait_for(slow_inside.wait(), timeout=10)
    await redis_client.delete(f"session:{TENANT}:{WA}:lock")  # its lock expired
    fast = await controller.handle_turn(turn("wamid.fast", "fast"))  # another worker's turn
    let_slow_finish.set()

    with pytest.raises(StaleStateError, match="commit refused"):
        await slow
    session = await committed_state(saver)
    assert (fast.state_version, session["version"]) == (1, 1)
    assert [t["text"] for t in session["dialogue"]["turns"]] == ["fast", "[info] you said: fast"]
    assert not await redis_client.exists(processed_key("wamid.slow"))
    assert not await redis_client.exists(orchestrated_key("wamid.slow"))  # a retry may run it

    retried = await make_controller(saver, redis_client).handle_turn(turn("wamid.slow", "slow"))
    assert retried.state_version == 2


async def test_a_failed_turn_commits_nothing_and_can_be_retried(
    saver: FencedRedisSaver, redis_client: aioredis.Redis
) -> None:
    async def fail(t: InboundTurn) -> None:
        raise RuntimeError("lane exploded")

    with pytest.raises(RuntimeError, match="lane exploded"):
        await make_controller(saver, redis_client, hook=fail).handle_turn(turn("wamid.x"))
    assert not await redis_client.exists(processed_key("wamid.x"))
    result = await make_controller(saver, redis_client).handle_turn(turn("wamid.x"))
    assert (result.status, result.state_version) == ("completed", 1)


async def test_every_key_of_a_session_has_a_ttl(
    saver: FencedRedisSaver, redis_client: aioredis.Redis
) -> None:
    async def fail_once(t: InboundTurn) -> None:
        if t.msg_id == "wamid.fails":
            raise RuntimeError("leaves pending writes behind")

    controller = make_controller(saver, redis_client, hook=fail_once)
    with pytest.raises(RuntimeError):
        await controller.handle_turn(turn("wamid.fails"))
    for i in range(8):
        await controller.handle_turn(turn(f"wamid.{i}"))
    keys = await redis_client.keys("*")
    prefixes = {k.split(b":")[0] for k in keys}
    assert {b"checkpoint", b"checkpoint_latest", b"session", b"turn", b"orchestrated"} <= prefixes
    without_ttl = [k for k in keys if await redis_client.pttl(k) < 0]
    assert without_ttl == []
