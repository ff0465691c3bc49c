"""The turn controller with the real conversation graph on the real embedded Redis:
arrival order, exclusion, exactly-once, and fenced commits.

`HookedSaver` lets a test pause or record a turn at the checkpointer seam (when the turn
loads its session, and just before it commits), without changing the graph.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from langchain_core.runnables import RunnableConfig

from graph.checkpointer import FENCE_CONFIG_KEY, CommitFence, FencedRedisSaver
from graph.context import Context
from graph.graph import build_graph
from graph.messages import InboundTurn
from graph.session import StaleStateError
from server.controller import (
    Controller,
    forget_replies,
    orchestrated_key,
    processed_key,
    session_key,
)
from server.locks import acquire_session_lock

TENANT, WA, OTHER_WA = "100200300400500", "5511987654321", "34612345678"
THREAD = f"{TENANT}:{WA}"
TTL = {"default_ttl": 24 * 60, "refresh_on_read": True}

Hook = Callable[[str], Awaitable[None]]


class HookedSaver(FencedRedisSaver):
    """Calls `on_load(msg_id)` (each session read of a controller-run turn) and
    `on_commit(msg_id)` (once per turn: durability "exit" writes one checkpoint)."""

    on_load: Hook | None = None
    on_commit: Hook | None = None

    async def aget_tuple(self, config: RunnableConfig) -> Any:
        await _call(self.on_load, config)
        return await super().aget_tuple(config)

    async def aput(self, config: RunnableConfig, *args: Any, **kwargs: Any) -> RunnableConfig:
        await _call(self.on_commit, config)
        return await super().aput(config, *args, **kwargs)


async def _call(hook: Hook | None, config: RunnableConfig) -> None:
    fence = config["configurable"].get(FENCE_CONFIG_KEY)
    if hook is not None and isinstance(fence, CommitFence) and fence.processed_key:
        await hook(fence.processed_key.removeprefix("turn:processed:"))


def turn(msg_id: str, text: str = "hello", wa_id: str = WA) -> InboundTurn:
    return InboundTurn(tenant_id=TENANT, wa_id=wa_id, msg_id=msg_id, text=text)


@pytest.fixture
async def saver(redis_client: aioredis.Redis) -> AsyncIterator[HookedSaver]:
    opened = HookedSaver(redis_client=redis_client, ttl=TTL)
    async with opened:
        yield opened


def make_controller(
    saver: FencedRedisSaver, redis: aioredis.Redis, context: Context | None = None
) -> Controller:
    return Controller(build_graph(saver), redis, saver=saver, context=context or Context())


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
    saver: HookedSaver, redis_client: aioredis.Redis
) -> None:
    result = await make_controller(saver, redis_client).handle_turn(
        turn("wamid.1", "my package never arrived")
    )
    assert (result.status, result.lane, result.state_version) == ("completed", "support", 1)
    assert result.messages and result.understanding is not None
    assert (await committed_state(saver))["version"] == 1
    assert await redis_client.hget(session_key(TENANT, WA), "version") == b"1"  # type: ignore[misc]


async def test_twenty_concurrent_turns_run_once_each_in_arrival_order(
    saver: HookedSaver, redis_client: aioredis.Redis
) -> None:
    ran: list[str] = []

    async def record(msg_id: str) -> None:
        ran.append(msg_id)

    saver.on_commit = record
    controller = make_controller(saver, redis_client)
    ids = [f"wamid.{i:02d}" for i in range(20)]
    queue = f"session:{TENANT}:{WA}:lock:queue"
    async with acquire_session_lock(redis_client, TENANT, WA):  # hold the door, let them line up
        tasks = []
        for n, msg_id in enumerate(ids, start=1):
            tasks.append(asyncio.create_task(controller.handle_turn(turn(msg_id, "hola"))))

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
    saver: HookedSaver, redis_client: aioredis.Redis
) -> None:
    inside = {"wamid.a": asyncio.Event(), "wamid.b": asyncio.Event()}

    async def meet(msg_id: str) -> None:
        inside[msg_id].set()
        other = "wamid.b" if msg_id == "wamid.a" else "wamid.a"
        await asyncio.wait_for(inside[other].wait(), timeout=10)  # both mid-turn at once

    saver.on_load = meet
    controller = make_controller(saver, redis_client)
    first, second = await asyncio.gather(
        controller.handle_turn(turn("wamid.a")),
        controller.handle_turn(turn("wamid.b", wa_id=OTHER_WA)),
    )
    assert first.state_version == second.state_version == 1


async def test_a_duplicate_message_is_processed_once(
    saver: HookedSaver, redis_client: aioredis.Redis
) -> None:
    ran: list[str] = []

    async def record(msg_id: str) -> None:
        ran.append(msg_id)

    saver.on_commit = record
    controller = make_controller(saver, redis_client)
    together = await asyncio.gather(*(controller.handle_turn(turn("wamid.dup")) for _ in range(3)))
    later = await controller.handle_turn(turn("wamid.dup"))
    assert sorted(r.status for r in together) == ["completed", "duplicate", "duplicate"]
    assert later.status == "duplicate"
    assert ran == ["wamid.dup"]
    assert (await committed_state(saver))["version"] == 1
    assert await redis_client.pttl(processed_key("wamid.dup")) > 6 * 24 * 3600 * 1000


async def test_a_duplicate_after_the_commit_replays_the_same_replies(
    saver: HookedSaver, redis_client: aioredis.Redis
) -> None:
    """A worker that dies between the commit and the outbox loses nothing: the retry
    gets the committed turn's replies back instead of running the turn again."""
    controller = make_controller(saver, redis_client)
    first = await controller.handle_turn(turn("wamid.replay", "what time do you open?"))
    again = await controller.handle_turn(turn("wamid.replay", "what time do you open?"))
    assert first.status == "completed" and first.messages
    assert again.status == "duplicate"
    assert again.messages == first.messages
    assert (await committed_state(saver))["version"] == 1


async def test_a_redelivery_after_the_outbox_took_the_replies_is_still_a_duplicate(
    saver: HookedSaver, redis_client: aioredis.Redis
) -> None:
    """Once the job stored the replies it drops the marker; the session's version hash still
    knows the message was committed, so a run that raced past the job's check does not
    run the turn a second time."""
    ran: list[str] = []

    async def record(msg_id: str) -> None:
        ran.append(msg_id)

    saver.on_commit = record
    controller = make_controller(saver, redis_client)
    first = await controller.handle_turn(turn("wamid.sent", "what time do you open?"))
    await forget_replies(redis_client, "wamid.sent")
    assert not await redis_client.exists(processed_key("wamid.sent"))
    again = await controller.handle_turn(turn("wamid.sent", "what time do you open?"))
    assert first.status == "completed"
    assert (again.status, again.committed, again.messages) == ("duplicate", True, [])
    assert ran == ["wamid.sent"]
    assert (await committed_state(saver))["version"] == 1


async def test_a_committed_turn_leaves_no_lock_and_no_claim_behind(
    saver: HookedSaver, redis_client: aioredis.Redis
) -> None:
    """The commit itself releases the lock and drops the in-flight claim (same script)."""
    controller = make_controller(saver, redis_client)
    await controller.handle_turn(turn("wamid.clean", "hola"))
    assert not await redis_client.exists(f"session:{TENANT}:{WA}:lock")
    assert not await redis_client.exists(orchestrated_key("wamid.clean"))
    assert await redis_client.exists(processed_key("wamid.clean"))
    second = await controller.handle_turn(turn("wamid.next", "hola"))  # the lock is free
    assert second.state_version == 2


async def test_a_claim_left_by_a_crashed_worker_does_not_block_the_retry(
    saver: HookedSaver, redis_client: aioredis.Redis
) -> None:
    controller = make_controller(saver, redis_client)
    # The crashed run claimed the message and died before committing; its claim expires
    # (made to expire once the first try has seen it: a busy machine may take longer than
    # any fixed claim time to get there).
    await redis_client.set(orchestrated_key("wamid.crashed"), "1", px=60_000)
    assert (await controller.handle_turn(turn("wamid.crashed"))).status == "duplicate"
    await redis_client.pexpire(orchestrated_key("wamid.crashed"), 1)
    while await redis_client.exists(orchestrated_key("wamid.crashed")):  # noqa: ASYNC110 (Redis expiry)
        await asyncio.sleep(0.01)
    result = await controller.handle_turn(turn("wamid.crashed"))
    assert result.status == "completed"
    assert controller.config.orchestrated_ttl_s <= 300  # a retry is not held off for an hour


async def test_a_lock_lost_mid_turn_is_a_detected_conflict(
    saver: HookedSaver, redis_client: aioredis.Redis
) -> None:
    slow_ready, let_slow_commit = asyncio.Event(), asyncio.Event()

    async def pause_slow(msg_id: str) -> None:
        if msg_id == "wamid.slow":
            slow_ready.set()
            await asyncio.wait_for(let_slow_commit.wait(), timeout=10)

    saver.on_commit = pause_slow
    controller = make_controller(saver, redis_client)
    slow = asyncio.create_task(controller.handle_turn(turn("wamid.slow", "hola")))
    await asyncio.wait_for(slow_ready.wait(), timeout=10)  # computed, about to commit
    await redis_client.delete(f"session:{TENANT}:{WA}:lock")  # its lock expired meanwhile
    fast = await controller.handle_turn(turn("wamid.fast", "what time do you close"))
    let_slow_commit.set()

    with pytest.raises(StaleStateError, match="commit refused"):
        await slow
    session = await committed_state(saver)
    assert (fast.state_version, session["version"]) == (1, 1)
    user_texts = [t["text"] for t in session["dialogue"]["turns"] if t["role"] == "user"]
    assert user_texts == ["what time do you close"]  # the slow turn wrote nothing
    assert not await redis_client.exists(processed_key("wamid.slow"))
    assert not await redis_client.exists(orchestrated_key("wamid.slow"))  # a retry may run it

    saver.on_commit = None
    retried = await controller.handle_turn(turn("wamid.slow", "hola"))
    assert retried.state_version == 2


class ExplodingRouter:
    async def route(self, text: str, **_: Any) -> Any:
        raise RuntimeError("router exploded")


async def test_a_failed_turn_commits_no_version_and_can_be_retried(
    saver: HookedSaver, redis_client: aioredis.Redis
) -> None:
    failing = make_controller(saver, redis_client, Context(router=ExplodingRouter()))  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="router exploded"):
        await failing.handle_turn(turn("wamid.x"))
    assert not await redis_client.exists(processed_key("wamid.x"))
    result = await make_controller(saver, redis_client).handle_turn(turn("wamid.x"))
    assert (result.status, result.state_version) == ("completed", 1)


class LeakyRouter:
    """Fails like a database error does: its text quotes a customer's message and number;
    the connection error it wraps makes it transient."""

    async def route(self, text: str, **_: Any) -> Any:
        try:
            raise ConnectionResetError("reset by peer")
        except ConnectionResetError as lost:
            raise RuntimeError(f"INSERT failed [parameters: ({WA!r}, {text!r})]") from lost


async def test_a_failed_turns_log_line_names_the_error_without_its_text(
    saver: HookedSaver, redis_client: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    from server.logging import JsonLinesFormatter

    failing = make_controller(saver, redis_client, Context(router=LeakyRouter()))  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        await failing.handle_turn(turn("wamid.leak", "my address is Rua Augusta 1500"))
    (record,) = [r for r in caplog.records if getattr(r, "at", "") == "orchestrate_turn.completed"]
    line = json.loads(JsonLinesFormatter().format(record))
    assert "Rua Augusta" not in json.dumps(line) and WA not in json.dumps(line)
    assert line["reason"] == "RuntimeError <- ConnectionResetError: reset by peer"
    assert line["transient"] is True  # retried, like the job's retry policy says


async def test_every_key_of_a_session_has_a_ttl(
    saver: HookedSaver, redis_client: aioredis.Redis
) -> None:
    failing = make_controller(saver, redis_client, Context(router=ExplodingRouter()))  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):  # a failed run leaves pending-write keys behind
        await failing.handle_turn(turn("wamid.fails"))
    controller = make_controller(saver, redis_client)
    for i, text in enumerate(["hola", "quiero 2 pizzas", "add one more", "where is my order"] * 2):
        await controller.handle_turn(turn(f"wamid.{i}", text))
    keys = await redis_client.keys("*")
    prefixes = {k.split(b":")[0] for k in keys if isinstance(k, bytes)}
    assert {b"checkpoint", b"checkpoint_latest", b"session", b"turn"} <= prefixes
    assert b"orchestrated" not in prefixes  # each commit deleted its in-flight claim
    without_ttl = [k for k in keys if await redis_client.pttl(k) < 0]
    assert without_ttl == []


async def test_create_controller_wires_the_production_pieces(redis_url: str) -> None:
    from server.controller import create_controller
    from server.resources import open_resources
    from server.settings import get_settings

    async with open_resources(get_settings(), redis_url=redis_url) as resources:
        controller = await create_controller(resources)
        try:
            result = await controller.handle_turn(turn("wamid.prod", "quiero 2 pizzas"))
            assert (result.status, result.lane, result.state_version) == (
                "completed",
                "commerce",
                1,
            )
            assert isinstance(controller.saver, FencedRedisSaver)
            assert await resources.redis.exists(processed_key("wamid.prod"))
        finally:
            await controller.aclose()


@pytest.mark.parametrize("fixture", ["v1_minimal.json", "v2_support_tickets.json"])
async def test_a_stored_older_schema_is_upcast_by_the_next_turn(
    saver: HookedSaver, redis_client: aioredis.Redis, fixture: str
) -> None:
    raw = json.loads((Path(__file__).parents[1] / "data" / "state" / fixture).read_text())
    wa_id = raw.get("meta", raw)["wa_id"]
    controller = make_controller(saver, redis_client)
    thread = {"configurable": {"thread_id": f"{TENANT}:{wa_id}"}}
    await controller.graph.aupdate_state(thread, {"session": raw}, as_node="finalize")

    result = await controller.handle_turn(turn("wamid.after-upgrade", "hola", wa_id=wa_id))

    session = await committed_state(saver, f"{TENANT}:{wa_id}")
    assert (result.state_version, session["version"]) == (raw["version"] + 1,) * 2
    assert session["schema_version"] == 3
    assert await redis_client.exists(processed_key("wamid.after-upgrade"))


class ListBacklog:
    """A backlog of earlier waiting turns given by the test; records what happened."""

    def __init__(self, earlier: list[InboundTurn]) -> None:
        self.waiting = earlier
        self.delivered: list[tuple[str, str, int | None]] = []
        self.failures: list[str] = []

    async def earlier(self, own: InboundTurn) -> list[InboundTurn]:
        return list(self.waiting)

    async def coalesced(self, own: InboundTurn) -> InboundTurn:
        return own

    async def done(self, earlier: InboundTurn, result: Any) -> None:
        self.delivered.append((earlier.msg_id, result.status, result.state_version))

    async def failed(self, earlier: InboundTurn, error: Exception) -> None:
        self.failures.append(earlier.msg_id)


async def test_earlier_waiting_messages_run_first_under_the_same_lock(
    saver: HookedSaver, redis_client: aioredis.Redis
) -> None:
    ran: list[str] = []

    async def record(msg_id: str) -> None:
        ran.append(msg_id)

    saver.on_commit = record
    controller = make_controller(saver, redis_client)
    await controller.handle_turn(turn("wamid.e1", "hola"))  # committed before: replayed, not run
    backlog = ListBacklog([turn("wamid.e1", "hola"), turn("wamid.e2", "what time do you open?")])
    result = await controller.handle_turn(
        turn("wamid.own", "do you ship to Lima?"), backlog=backlog
    )
    assert ran == ["wamid.e1", "wamid.e2", "wamid.own"]
    assert backlog.delivered == [("wamid.e1", "duplicate", None), ("wamid.e2", "completed", 2)]
    assert (result.status, result.state_version) == ("completed", 3)
    # The earlier message's own job comes later: its turn is a duplicate with its replies.
    again = await controller.handle_turn(turn("wamid.e2", "what time do you open?"))
    assert again.status == "duplicate" and again.messages


async def test_an_earlier_message_that_fails_for_good_does_not_block_the_next(
    saver: HookedSaver, redis_client: aioredis.Redis
) -> None:
    async def poison(msg_id: str) -> None:
        if msg_id == "wamid.bad":
            raise ValueError("a bug in a lane")

    saver.on_load = poison
    backlog = ListBacklog([turn("wamid.bad", "hola")])
    controller = make_controller(saver, redis_client)
    result = await controller.handle_turn(turn("wamid.next", "hola"), backlog=backlog)
    assert backlog.failures == ["wamid.bad"] and backlog.delivered == []
    assert (result.status, result.state_version) == ("completed", 1)
