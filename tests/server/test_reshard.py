"""Changing the number of session shards loses no session (`server.reshard`).

Customers talk with the sessions on two shards, then the service restarts on three
(`REDIS_SESSION_URLS_PREVIOUS` = the two) and they go on: the conversations that now hash
to another shard are moved there on their next turn, with their cart, lane and version,
and nothing of them stays on the old shard. Real app and worker, embedded Redis servers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from fastapi import FastAPI
from webhook_support import post_webhook, running_app

from benchmarks.deployment import session_state
from graph.checkpointer import redis_checkpointer
from graph.context import Context
from graph.graph import build_graph
from graph.messages import InboundTurn
from server.chat_payloads import DEMO_PHONE_NUMBER_ID, ChatUser, reply_payload, text_payload
from server.controller import Controller, SessionShard, processed_key, session_key
from server.embedded_redis import EmbeddedRedis
from server.reshard import previous_shards
from server.shards import shard_index, thread_id
from server.worker import build_worker

TENANT = DEMO_PHONE_NUMBER_ID
PEOPLE = [f"5511{n:09d}" for n in range(100, 112)]


@pytest.fixture(scope="module")
def three_shards() -> Iterator[list[EmbeddedRedis]]:
    servers = [EmbeddedRedis().start() for _ in range(3)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def shards(three_shards: list[EmbeddedRedis]) -> list[str]:
    for server in three_shards:
        client = redis.Redis.from_url(server.url)
        client.flushall()
        client.close()
    return [server.url for server in three_shards]


async def _drain(app: FastAPI) -> None:
    worker = build_worker(app.state.resources, burst=True, handle_signals=False)
    try:
        await worker.async_run()
    finally:
        await worker.close()


async def _tap(client: Any, wa_id: str, wamid: str, choice_id: str, title: str) -> None:
    user = ChatUser(wa_id=wa_id, name="Reshard Test")
    payload = reply_payload(
        user, wamid, kind="button", choice_id=choice_id, title=title, replying_to="wamid.out1"
    )
    assert (await post_webhook(client, payload)).status_code == 200


async def _say(client: Any, wa_id: str, wamid: str, text: str) -> None:
    user = ChatUser(wa_id=wa_id, name="Reshard Test")
    assert (await post_webhook(client, text_payload(user, wamid, text))).status_code == 200


async def _state(url: str, wa_id: str) -> dict[str, Any] | None:
    return await asyncio.to_thread(session_state, url, wa_id, TENANT)


def _cart(session: dict[str, Any] | None) -> dict[str, int]:
    lines = ((session or {}).get("commerce") or {}).get("cart") or []
    return {line["sku"]: line["quantity"] for line in lines}


def _lane(session: dict[str, Any] | None) -> str | None:
    return ((session or {}).get("meta") or {}).get("current_lane")


async def test_a_conversation_moved_to_a_new_shard_goes_on_with_its_state(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, shards: list[str]
) -> None:
    env = {"ENABLE_ORCHESTRATION": "true", "REDIS_SESSION_URLS": ",".join(shards[:2])}
    async with running_app(monkeypatch, redis_url, **env) as (client, app):
        for wa_id in PEOPLE:
            await _say(client, wa_id, f"wamid.{wa_id}.1", "what do you sell?")
            await _tap(client, wa_id, f"wamid.{wa_id}.2", "commerce:add:MUG-BLUE", "Add")
        await _drain(app)
    before = {wa_id: await _state(shards[shard_of(wa_id, 2)], wa_id) for wa_id in PEOPLE}
    moved = [wa_id for wa_id in PEOPLE if shard_of(wa_id, 3) == 2]
    assert moved and len(moved) < len(PEOPLE)  # some move to the new shard, the rest stay
    for wa_id in PEOPLE:
        assert _cart(before[wa_id]) == {"MUG-BLUE": 1}

    env = {
        "ENABLE_ORCHESTRATION": "true",
        "REDIS_SESSION_URLS": ",".join(shards),
        "REDIS_SESSION_URLS_PREVIOUS": ",".join(shards[:2]),
    }
    async with running_app(monkeypatch, redis_url, **env) as (client, app):
        for wa_id in PEOPLE:
            await _tap(client, wa_id, f"wamid.{wa_id}.3", "commerce:add:COFFEE-250", "Add")
        await _drain(app)

    clients = [redis.Redis.from_url(url) for url in shards]
    moves = 0
    try:
        for wa_id in PEOPLE:
            home, old = shard_of(wa_id, 3), shard_of(wa_id, 2)
            after = await _state(shards[home], wa_id)
            assert _cart(after) == {"MUG-BLUE": 1, "COFFEE-250": 1}, wa_id
            assert _lane(after) == _lane(before[wa_id]) == "commerce"
            assert clients[home].hget(session_key(TENANT, wa_id), "version") == b"3"
            if home != old:  # moved: nothing of it is left on its old shard
                left = [k for k in clients[old].keys(f"*{wa_id}*") if b":lock" not in k]
                assert not left, left  # (the lock line's counter lives 95 s)
                moves += 1
        assert moves == len(moved)
    finally:
        for redis_client in clients:
            redis_client.close()


def shard_of(wa_id: str, shards: int) -> int:
    return shard_index(thread_id(TENANT, wa_id), shards)


async def test_a_turn_committed_before_the_change_is_not_run_again_after_it(
    shards: list[str],
) -> None:
    """A turn committed on the old shard whose replies had not reached the outbox (its
    `turn:processed` marker holds them) is a duplicate after the move, with its replies:
    exactly once across the change. Also covers going from one Redis to shards."""
    clients = [aioredis.Redis.from_url(url) for url in shards]
    try:
        async with (
            redis_checkpointer(client=clients[0]) as first,
            redis_checkpointer(client=clients[1]) as second,
        ):
            one = SessionShard(build_graph(first), clients[0], first)
            two = SessionShard(build_graph(second), clients[1], second)
            before = Controller(one.graph, one.redis, saver=first, context=Context())
            wa_id = next(
                w for w in (f"5511{n:09d}" for n in range(500, 600)) if shard_of(w, 2) == 1
            )
            turn = InboundTurn(tenant_id=TENANT, wa_id=wa_id, msg_id=f"wamid.{wa_id}", text="hola")
            done = await before.handle_turn(turn)  # on the one Redis (shard list: just it)
            assert (done.status, done.state_version) == ("completed", 1)
            moved_from = previous_shards(
                shards[:2], shards[:1], {shards[0]: clients[0], shards[1]: clients[1]}
            )
            after = Controller(
                one.graph, one.redis, saver=first, context=Context(), shards=[one, two],
                moved_from=moved_from,
            )  # fmt: skip
            again = await after.handle_turn(turn)
            assert again.status == "duplicate" and again.messages == done.messages
            assert await clients[1].exists(processed_key(turn.msg_id))
            assert not await clients[0].exists(processed_key(turn.msg_id))
            later = InboundTurn(
                tenant_id=TENANT, wa_id=wa_id, msg_id=f"wamid.{wa_id}.2", text="hola"
            )
            next_turn = await after.handle_turn(later)
            assert (next_turn.status, next_turn.state_version) == ("completed", 2)
    finally:
        for client in clients:
            await client.aclose()
