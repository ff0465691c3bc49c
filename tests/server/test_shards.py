"""Sessions sharded over two Redis servers (`REDIS_SESSION_URLS`), on the embedded binaries.

Each conversation's lock, turn markers, committed version and checkpoints live on the shard
its thread id hashes to, and nowhere else; the job queue stays on `REDIS_URL`.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis

from benchmarks.deployment import TENANT, Deployment, body
from graph.checkpointer import redis_checkpointer
from graph.context import Context
from graph.graph import build_graph
from graph.messages import InboundTurn
from server.controller import Controller, SessionShard, processed_key, session_key
from server.embedded_redis import EmbeddedRedis
from server.shards import shard_index, thread_id


def test_a_session_stays_on_its_shard_and_a_new_shard_only_takes_sessions() -> None:
    threads = [thread_id(TENANT, f"5511{n:09d}") for n in range(2000)]
    on_two = [shard_index(t, 2) for t in threads]
    assert on_two == [shard_index(t, 2) for t in threads]  # stable (no salted hash)
    assert 800 < on_two.count(0) < 1200  # spread
    on_three = [shard_index(t, 3) for t in threads]
    moved = [(a, b) for a, b in zip(on_two, on_three, strict=True) if a != b]
    assert moved and all(b == 2 for _, b in moved)  # only to the new shard
    assert 450 < len(moved) < 900  # about a third


@pytest.fixture(scope="module")
def second_redis() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        yield server


@pytest.fixture
async def shard_clients(
    redis_url: str, second_redis: EmbeddedRedis
) -> AsyncIterator[list[aioredis.Redis]]:
    second = aioredis.Redis.from_url(second_redis.url)
    await second.flushall()
    clients = [aioredis.Redis.from_url(redis_url), second]
    yield clients
    for client in clients:
        await client.aclose()


async def test_the_controller_keeps_each_session_on_its_shard(
    shard_clients: list[aioredis.Redis],
) -> None:
    async with (
        redis_checkpointer(client=shard_clients[0]) as first,
        redis_checkpointer(client=shard_clients[1]) as second,
    ):
        shards = [
            SessionShard(build_graph(saver), client, saver)
            for saver, client in ((first, shard_clients[0]), (second, shard_clients[1]))
        ]
        controller = Controller(
            shards[0].graph, shards[0].redis, saver=first, context=Context(), shards=shards
        )
        people = [f"5511{n:09d}" for n in range(12)]
        for wa_id in people:
            for index in range(2):
                turn = InboundTurn(
                    tenant_id=TENANT, wa_id=wa_id, msg_id=f"wamid.{wa_id}.{index}", text="hola"
                )
                result = await controller.handle_turn(turn)
                assert (result.status, result.state_version) == ("completed", index + 1)
        homes = {wa_id: shard_index(thread_id(TENANT, wa_id), 2) for wa_id in people}
        assert set(homes.values()) == {0, 1}  # both shards hold sessions
        for wa_id, home in homes.items():
            own, other = shard_clients[home], shard_clients[1 - home]
            assert await own.hget(session_key(TENANT, wa_id), "version") == b"2"  # type: ignore[misc]
            assert not await other.exists(session_key(TENANT, wa_id))
            assert await own.exists(processed_key(f"wamid.{wa_id}.1"))
            assert not await other.exists(processed_key(f"wamid.{wa_id}.1"))
            assert await own.exists(f"checkpoint_latest:{TENANT}:{wa_id}:__empty__")
            assert not await other.keys(f"*{wa_id}*")


@pytest.fixture(scope="module")
def three_redis() -> Iterator[list[EmbeddedRedis]]:
    servers = [EmbeddedRedis().start() for _ in range(3)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.mark.timeout(600)
def test_two_workers_answer_each_message_once_with_sessions_on_two_shards(
    three_redis: list[EmbeddedRedis], tmp_path: Path
) -> None:
    queue, *shards = three_redis
    redis_env = {
        "REDIS_URL": queue.url,
        "REDIS_SESSION_URLS": ",".join(server.url for server in shards),
    }
    people = [f"55319{random.randint(10**7, 10**8 - 1)}" for _ in range(12)]
    sent: dict[str, list[str]] = {}
    with Deployment(tmp_path, redis_env=redis_env, workers=2) as deployment:
        for wa_id in people:  # three messages each: two in one POST, one in another
            tag = uuid.uuid4().hex[:10]
            messages = [(f"wamid.SH{tag}{i}", "hola", 1_760_000_000 + i) for i in range(3)]
            sent[wa_id] = [wamid for wamid, _, _ in messages]
            assert deployment.post(body(wa_id, messages[:2])) == 200
            assert deployment.post(body(wa_id, messages[2:])) == 200
        wamids = [w for ws in sent.values() for w in ws]
        statuses = deployment.wait_answered(wamids, timeout_s=240)
        assert statuses == dict.fromkeys(wamids, "answered"), deployment.logs("worker")[-4000:]
        turns = [t for t in deployment.completed_turns() if t.get("msg_id") in set(wamids)]
        assert Counter(t["msg_id"] for t in turns) == Counter(wamids)
        version_of = {t["msg_id"]: t["state_version"] for t in turns}
    clients = [redis.Redis.from_url(server.url) for server in three_redis]
    try:
        homes = {wa_id: shard_index(thread_id(TENANT, wa_id), 2) for wa_id in people}
        assert set(homes.values()) == {0, 1}
        for wa_id, home in homes.items():
            assert [version_of[w] for w in sent[wa_id]] == [1, 2, 3]
            own, other = clients[1 + home], clients[2 - home]
            assert own.hget(session_key(TENANT, wa_id), "version") == b"3"
            assert not other.keys(f"*{wa_id}*") and not clients[0].keys(f"*{wa_id}*")
            # committed on its shard (the markers are gone once the outbox has the replies)
            recent = own.hget(session_key(TENANT, wa_id), "recent") or b""
            assert set(recent.decode().split("\n")) == set(sent[wa_id])
        assert clients[0].exists("arq:queue") or clients[0].keys("arq:*")  # the queue's Redis
        assert not clients[1].keys("arq:*") and not clients[2].keys("arq:*")
    finally:
        for client in clients:
            client.close()
