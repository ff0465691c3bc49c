"""The session lock against the real Redis: exclusive, FIFO, bounded, and self-healing."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable

import pytest
import redis.asyncio as aioredis
import redis.exceptions

from server.locks import LockConfig, LockError, SessionLock, acquire_session_lock
from server.logging import JsonLinesFormatter

TENANT, WA = "100200300400500", "5511987654321"
KEY = f"session:{TENANT}:{WA}:lock"


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait for a condition the test cannot be notified of (bounded: fails, never hangs)."""
    for _ in range(2000):
        if await check():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


async def queue_length(redis: aioredis.Redis) -> int:
    return int(await redis.zcard(f"{KEY}:queue"))


async def test_turns_get_the_lock_in_arrival_order(redis_client: aioredis.Redis) -> None:
    order: list[int] = []
    inside = 0

    async def turn(i: int) -> None:
        nonlocal inside
        async with acquire_session_lock(redis_client, TENANT, WA):
            inside += 1
            assert inside == 1, "two turns of one session ran at once"
            order.append(i)
            await asyncio.sleep(0)
            inside -= 1

    async with acquire_session_lock(redis_client, TENANT, WA):
        tasks = []
        for i in range(15):
            tasks.append(asyncio.create_task(turn(i)))
            await eventually(functools.partial(_has, redis_client, i + 1), f"turn {i} queued")
    await asyncio.gather(*tasks)
    assert order == list(range(15))


async def _has(redis: aioredis.Redis, n: int) -> bool:
    return await queue_length(redis) == n


async def test_waiting_too_long_is_a_clear_lock_error(redis_client: aioredis.Redis) -> None:
    quick = LockConfig(wait_timeout_s=0.05)
    async with acquire_session_lock(redis_client, TENANT, WA):
        with pytest.raises(LockError, match=r"is busy: waited .* number 1 in line") as caught:
            async with acquire_session_lock(redis_client, TENANT, WA, config=quick):
                pass
    assert WA not in str(caught.value)  # personal data stays masked
    assert await queue_length(redis_client) == 0  # the loser left the queue


async def test_a_dead_holder_does_not_block_forever(redis_client: aioredis.Redis) -> None:
    await redis_client.set(KEY, "token-of-a-crashed-worker", px=200)
    async with acquire_session_lock(redis_client, TENANT, WA) as lock:
        assert await lock.is_held()


async def test_a_dead_waiter_is_skipped(redis_client: aioredis.Redis) -> None:
    config = LockConfig(waiter_ttl_ms=100)
    holder = SessionLock(redis_client, TENANT, WA, config)
    await holder.acquire()
    ghost = SessionLock(redis_client, TENANT, WA, config)
    assert await ghost._try() == (False, 0)  # queued first, then its process "dies"
    waiter = asyncio.create_task(_take(redis_client, config))
    await eventually(functools.partial(_has, redis_client, 2), "second waiter queued")
    await holder.release()
    assert await waiter is True


async def _take(redis: aioredis.Redis, config: LockConfig) -> bool:
    async with acquire_session_lock(redis, TENANT, WA, config=config) as lock:
        return await lock.is_held()


async def test_the_watchdog_keeps_a_slow_turn_locked(redis_client: aioredis.Redis) -> None:
    config = LockConfig(ttl_ms=300)
    async with acquire_session_lock(redis_client, TENANT, WA, config=config) as lock:
        for _ in range(3):  # several extensions, observed (no fixed sleep): the TTL goes up
            await eventually(functools.partial(_extended, redis_client), "the TTL extended")
            assert await lock.is_held()
        assert not lock.lost
    assert await redis_client.exists(KEY) == 0


async def test_a_failed_extension_does_not_stop_the_watchdog(redis_client: aioredis.Redis) -> None:
    config = LockConfig(ttl_ms=300)
    async with acquire_session_lock(redis_client, TENANT, WA, config=config) as lock:
        real_extend, failures = lock._extend, [0]

        async def blip(**kwargs: object) -> object:
            if failures[0] == 0:
                failures[0] += 1
                raise redis.exceptions.ConnectionError("connection reset")
            return await real_extend(**kwargs)  # type: ignore[arg-type]

        lock._extend = blip  # type: ignore[assignment]
        for _ in range(2):
            await eventually(functools.partial(_extended, redis_client), "the TTL extended")
        assert failures == [1]
        assert await lock.is_held()
        assert not lock.lost


async def _extended(redis: aioredis.Redis) -> bool:
    """True once the lock's TTL is back above where it was (a PEXPIRE happened)."""
    before = await redis.pttl(KEY)
    await asyncio.sleep(0.005)
    return bool(await redis.pttl(KEY) > before)


async def test_release_never_deletes_someone_elses_lock(redis_client: aioredis.Redis) -> None:
    async with acquire_session_lock(redis_client, TENANT, WA) as lock:
        await redis_client.set(KEY, "another-worker")  # ours expired, someone took it
    assert lock.lost
    assert await redis_client.get(KEY) == b"another-worker"


async def test_every_lock_key_has_a_ttl(redis_client: aioredis.Redis) -> None:
    async with acquire_session_lock(redis_client, TENANT, WA):
        waiter = asyncio.create_task(_take(redis_client, LockConfig()))
        await eventually(functools.partial(_has, redis_client, 1), "waiter queued")
        keys = await redis_client.keys(f"{KEY}*")
        assert len(keys) == 4
        assert all([await redis_client.pttl(k) > 0 for k in keys])
    await waiter


async def test_contention_is_logged_with_the_customer_masked(
    redis_client: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="server.locks")
    async with acquire_session_lock(redis_client, TENANT, WA):
        waiter = asyncio.create_task(_take(redis_client, LockConfig()))
        await eventually(functools.partial(_has, redis_client, 1), "waiter queued")
    assert await waiter is True
    events = {r.getMessage(): getattr(r, "fields", {}) for r in caplog.records}
    assert events["session_lock.contended"]["position"] == 0
    assert "waited_ms" in events["session_lock.acquired"]
    written = [JsonLinesFormatter().format(r) for r in caplog.records]
    assert any("5511*****4321" in line for line in written)
    assert not any(WA in line for line in written)
