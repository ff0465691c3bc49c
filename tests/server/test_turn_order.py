"""A customer's messages are answered in the order they were sent, once each, by real
worker processes: the web app and two `convo worker` processes (each running up to 10
jobs at once) on a Redis of their own, signed webhooks posted over HTTP.

Jobs of one conversation reach the session lock in whatever order the workers schedule
them; the turn that gets the lock first runs the conversation's earlier waiting messages
before its own (by WhatsApp timestamp), so each session version is the message's rank.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis

from benchmarks.deployment import TENANT, Deployment, body
from server.embedded_redis import EmbeddedRedis
from server.locks import acquire_session_lock

pytestmark = pytest.mark.timeout(600)

TEXTS = [
    "hola",
    "what time do you open?",
    "do you ship to Lima?",
    "¿aceptan tarjeta?",
    "where is your store?",
    "what is your returns policy?",
    "vocês abrem no domingo?",
    "how can I pay?",
]
"""Eight questions for the info lane: none asks for a person (a handoff would mute the bot)."""

RUNS = range(3)


@pytest.fixture(scope="module")
def order_redis() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        yield server


@pytest.fixture(scope="module")
def deployment(order_redis: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory):
    work: Path = tmp_path_factory.mktemp("order")
    with Deployment(work, redis_env={"REDIS_URL": order_redis.url}, workers=2) as running:
        yield running


def _messages(run: int) -> tuple[str, list[tuple[str, str, int]]]:
    """A new customer and their 8 messages, one second apart, in the order sent."""
    wa_id = f"55119{random.randint(10**7, 10**8 - 1)}"
    tag = uuid.uuid4().hex[:10]
    t0 = 1_760_000_000 + run * 100
    return wa_id, [(f"wamid.ORD{tag}{i}", TEXTS[i], t0 + i) for i in range(8)]


def _assert_answered_in_order(
    deployment: Deployment, redis_url: str, wa_id: str, sent: list[tuple[str, str, int]]
) -> None:
    wamids = [wamid for wamid, _, _ in sent]
    statuses = deployment.wait_answered(wamids, timeout_s=240)
    assert statuses == dict.fromkeys(wamids, "answered"), deployment.logs("worker")[-4000:]
    assert all(count >= 1 for count in deployment.replies(wamids).values())
    turns = [t for t in deployment.completed_turns() if t.get("msg_id") in set(wamids)]
    assert Counter(t["msg_id"] for t in turns) == Counter(wamids)  # each turn committed once
    version_of = {t["msg_id"]: t["state_version"] for t in turns}
    assert [version_of[w] for w in wamids] == list(range(1, 9))  # in the order sent
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.hget(f"session:{TENANT}:{wa_id}", "version") == b"8"
    finally:
        client.close()


@pytest.mark.parametrize("run", RUNS)
def test_eight_messages_in_one_post_are_answered_once_in_the_order_sent(
    deployment: Deployment, order_redis: EmbeddedRedis, run: int
) -> None:
    wa_id, sent = _messages(run)
    shuffled = random.Random(run).sample(sent, len(sent))  # Meta does not promise order
    assert deployment.post(body(wa_id, shuffled)) == 200
    _assert_answered_in_order(deployment, order_redis.url, wa_id, sent)


@pytest.mark.parametrize("run", RUNS)
async def test_eight_messages_over_four_posts_arriving_shuffled_are_answered_in_order(
    deployment: Deployment, order_redis: EmbeddedRedis, run: int
) -> None:
    """The four POSTs arrive in a shuffled order while the conversation is busy (this test
    holds its session lock, as a long turn would). A message that arrives after a later
    one was already answered cannot go before it; every message waiting when the session
    frees up is answered in the order sent."""
    wa_id, sent = _messages(run)
    rng = random.Random(100 + run)
    posts = [rng.sample(sent[i : i + 2], 2) for i in range(0, 8, 2)]
    rng.shuffle(posts)
    client = aioredis.Redis.from_url(order_redis.url)
    try:
        async with acquire_session_lock(client, TENANT, wa_id):
            for messages in posts:
                assert await asyncio.to_thread(deployment.post, body(wa_id, messages)) == 200
    finally:
        await client.aclose()
    await asyncio.to_thread(_assert_answered_in_order, deployment, order_redis.url, wa_id, sent)
