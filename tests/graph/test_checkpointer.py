"""The fenced Redis saver: same documents as the library, TTL everywhere, bounded history,
and a commit that is refused (and leaves nothing visible) when its fence does not hold."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.redis.aio import AsyncRedisSaver

from graph.checkpointer import (
    FENCE_CONFIG_KEY,
    CommitFence,
    FencedRedisSaver,
    redis_checkpointer,
)
from graph.session import StaleStateError

THREAD = "100200300400500:5511987654321"
LOCK, VERSION = f"session:{THREAD}:lock", f"session:{THREAD}"


@pytest.fixture
async def saver(redis_url: str) -> AsyncIterator[FencedRedisSaver]:
    async with redis_checkpointer(redis_url, keep_last=3) as opened:
        yield opened


def checkpoint(version: int) -> Any:
    cp = empty_checkpoint()
    cp["channel_values"] = {"session": {"version": version}}
    cp["channel_versions"] = {"session": version}
    return cp


def config(fence: CommitFence | None = None, parent: str | None = None) -> Any:
    conf: dict[str, Any] = {"thread_id": THREAD, "checkpoint_ns": ""}
    if fence is not None:
        conf[FENCE_CONFIG_KEY] = fence
    if parent is not None:
        conf["checkpoint_id"] = parent
    return {"configurable": conf}


def fence(expected: int | None, token: str = "tok", marker: str | None = None) -> CommitFence:
    return CommitFence(
        lock_key=LOCK,
        lock_token=token,
        version_key=VERSION,
        expected_version=expected,
        baseline_version=expected or 0,
        processed_key=marker,
    )


async def latest_version(saver: FencedRedisSaver) -> int | None:
    found = await saver.aget_tuple(config())
    return None if found is None else int(found.checkpoint["channel_values"]["session"]["version"])


META: Any = {"source": "loop", "step": 1, "parents": {}}


async def test_a_fenced_document_reads_back_like_the_librarys_own(
    saver: FencedRedisSaver, redis_client: aioredis.Redis, redis_url: str
) -> None:
    cp = checkpoint(1)
    await redis_client.set(LOCK, "tok")
    await saver.aput(config(fence(None)), cp, META, {})
    key = f"checkpoint:{THREAD}:__empty__:{cp['id']}"
    packed: dict[str, Any] = await redis_client.json().get(key)  # type: ignore[assignment,misc]
    assert isinstance(packed["checkpoint"], str)  # one JSON string, not a RedisJSON tree
    ours = await saver.aget_tuple(config())
    await redis_client.flushall()
    async with AsyncRedisSaver(redis_url) as plain:
        await plain.asetup()
        await plain.aput(config(), cp, META, {})
    library = await saver.aget_tuple(config())  # a document in the library's format
    theirs = await plain_tuple(redis_url)
    assert ours is not None and library is not None and theirs is not None
    for read in (ours, library):
        assert read.checkpoint == theirs.checkpoint
        assert read.metadata == theirs.metadata
        assert read.config == theirs.config


async def plain_tuple(redis_url: str) -> Any:
    async with AsyncRedisSaver(redis_url) as plain:
        return await plain.aget_tuple(config())


async def test_only_the_carried_channels_are_stored(
    redis_client: aioredis.Redis, redis_url: str
) -> None:
    cp = checkpoint(1)
    cp["channel_values"]["outbound"] = [{"kind": "text", "body": "hi"}]
    await redis_client.set(LOCK, "tok")
    async with redis_checkpointer(redis_url, carried_channels=["session"]) as carrying:
        await carrying.aput(config(fence(None)), cp, META, {})
        read = await carrying.aget_tuple(config())
    assert read is not None
    assert read.checkpoint["channel_values"] == {"session": {"version": 1}}


async def test_a_commit_moves_pointer_version_and_marker_together(
    saver: FencedRedisSaver, redis_client: aioredis.Redis
) -> None:
    await redis_client.set(LOCK, "tok")
    await saver.aput(config(fence(None, marker="turn:processed:m1")), checkpoint(1), META, {})
    assert await latest_version(saver) == 1
    assert await redis_client.hget(VERSION, "version") == b"1"  # type: ignore[misc]
    assert await redis_client.pttl("turn:processed:m1") > 0
    assert await redis_client.pttl(VERSION) > 0


@pytest.mark.parametrize(
    ("holder", "expected", "reason"),
    [
        ("someone-else", 1, "lock was lost"),
        (None, 1, "lock was lost"),
        ("tok", 0, "moved from version 0 to 1"),
    ],
)
async def test_a_commit_that_breaks_the_fence_is_refused_and_invisible(
    saver: FencedRedisSaver,
    redis_client: aioredis.Redis,
    holder: str | None,
    expected: int,
    reason: str,
) -> None:
    await redis_client.set(LOCK, "tok")
    await saver.aput(config(fence(None)), checkpoint(1), META, {})
    await redis_client.delete(LOCK)
    if holder:
        await redis_client.set(LOCK, holder)
    stale = checkpoint(2)
    with pytest.raises(StaleStateError, match=reason):
        await saver.aput(config(fence(expected, marker="turn:processed:m2")), stale, META, {})
    assert await latest_version(saver) == 1
    assert not await redis_client.exists(f"checkpoint:{THREAD}:__empty__:{stale['id']}")
    assert not await redis_client.exists("turn:processed:m2")
    assert await redis_client.hget(VERSION, "version") == b"1"  # type: ignore[misc]


async def test_history_is_pruned_to_keep_last_and_every_key_expires(
    saver: FencedRedisSaver, redis_client: aioredis.Redis
) -> None:
    await redis_client.set(LOCK, "tok", px=60_000)
    parent = None
    for version in range(1, 9):
        cp = checkpoint(version)
        expected = None if version == 1 else version - 1
        await saver.aput(config(fence(expected), parent), cp, META, {})
        parent = cp["id"]
    kept = [
        t.checkpoint["channel_values"]["session"]["version"] async for t in saver.alist(config())
    ]
    assert kept == [8, 7, 6]
    keys = set(await redis_client.keys(f"*{THREAD}*")) - {LOCK.encode()}
    assert len(keys) == 3 + 2  # 3 checkpoints, the latest pointer, the version hash
    assert all([await redis_client.pttl(k) > 0 for k in keys])


async def test_an_unfenced_put_still_works_and_is_pruned(
    saver: FencedRedisSaver, redis_client: aioredis.Redis
) -> None:
    for version in range(1, 6):
        await saver.aput(config(), checkpoint(version), META, {})
    assert await latest_version(saver) == 5
    assert len(await redis_client.keys(f"checkpoint:{THREAD}:*")) == 3


def test_keep_last_must_keep_the_current_checkpoint() -> None:
    with pytest.raises(ValueError, match="keep_last"):
        FencedRedisSaver(redis_url="redis://unused", keep_last=0)
