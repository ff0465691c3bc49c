"""The shared send-rate limiter, on the real embedded Redis.

Time is passed explicitly (`now_ms`) where refills matter, and the two-process tests use a
refill so slow that only the bucket's capacity decides: counts, never timings, are asserted.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from server.ratelimit import Rate, RateLimited, SendRateLimiter
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
NUMBER = "100200300400500"
USER = "5511987654321"
NEVER = 1e-6
"""A refill rate (tokens/s) too slow to add a token during a test."""


def limiter(redis: aioredis.Redis, *, number: Rate, pair: Rate) -> SendRateLimiter:
    return SendRateLimiter(redis, number=number, pair=pair)


async def test_pair_bucket_allows_a_burst_then_one_message_per_interval(redis_client) -> None:  # type: ignore[no-untyped-def]
    rl = limiter(redis_client, number=Rate(80, 80), pair=Rate(per_second=1 / 6, burst=3))
    t0 = 1_000_000
    assert [await rl.try_acquire(NUMBER, USER, now_ms=t0) for _ in range(3)] == [0, 0, 0]
    assert await rl.try_acquire(NUMBER, USER, now_ms=t0) == pytest.approx(6.0)
    assert await rl.try_acquire(NUMBER, USER, now_ms=t0 + 3_000) == pytest.approx(3.0)
    assert await rl.try_acquire(NUMBER, USER, now_ms=t0 + 6_000) == 0
    assert await rl.try_acquire(NUMBER, USER, now_ms=t0 + 6_000) > 0
    assert await rl.try_acquire(NUMBER, "other-user", now_ms=t0 + 6_000) == 0  # others unaffected


async def test_number_bucket_caps_messages_per_second_across_users(redis_client) -> None:  # type: ignore[no-untyped-def]
    rl = limiter(redis_client, number=Rate(per_second=80, burst=80), pair=Rate(1 / 6, 5))
    t0 = 2_000_000
    admitted = [await rl.try_acquire(NUMBER, f"user{i}", now_ms=t0) == 0 for i in range(100)]
    assert sum(admitted) == 80
    assert await rl.try_acquire(NUMBER, "late", now_ms=t0 + 500) == 0  # 40 tokens back after 0.5 s
    assert await rl.try_acquire("another-number", "user0", now_ms=t0) == 0


async def test_a_denied_pair_does_not_spend_the_numbers_token(redis_client) -> None:  # type: ignore[no-untyped-def]
    rl = limiter(redis_client, number=Rate(NEVER, 2), pair=Rate(NEVER, 1))
    assert await rl.try_acquire(NUMBER, USER) == 0
    for _ in range(5):
        assert await rl.try_acquire(NUMBER, USER) > 0  # pair empty: nothing taken
    assert await rl.try_acquire(NUMBER, "someone-else") == 0  # the number still had its 2nd token
    assert await rl.try_acquire(NUMBER, "third") > 0


async def test_penalties_empty_the_bucket_after_meta_said_too_fast(redis_client) -> None:  # type: ignore[no-untyped-def]
    rl = limiter(redis_client, number=Rate(80, 80), pair=Rate(1 / 6, 5))
    t0 = 3_000_000
    await rl.penalize_pair(NUMBER, USER, now_ms=t0)
    assert await rl.try_acquire(NUMBER, USER, now_ms=t0) == pytest.approx(6.0)
    assert await rl.try_acquire(NUMBER, "other", now_ms=t0) == 0
    await rl.penalize_number(NUMBER, now_ms=t0)
    assert await rl.try_acquire(NUMBER, "other2", now_ms=t0) == pytest.approx(0.013)


async def test_acquire_raises_instead_of_waiting_past_the_bound(redis_client) -> None:  # type: ignore[no-untyped-def]
    rl = limiter(redis_client, number=Rate(80, 80), pair=Rate(1 / 6, 1))
    assert await rl.acquire(NUMBER, USER, max_wait=0) == 0
    with pytest.raises(RateLimited) as caught:
        await rl.acquire(NUMBER, USER, max_wait=1.0)
    assert 5.0 < caught.value.retry_after <= 6.0


async def test_keys_expire_once_the_bucket_would_be_full_again(redis_client) -> None:  # type: ignore[no-untyped-def]
    rl = limiter(redis_client, number=Rate(80, 80), pair=Rate(1 / 6, 5))
    await rl.try_acquire(NUMBER, USER)
    ttl = await redis_client.pttl(rl.pair_key(NUMBER, USER))
    assert 0 < ttl <= 31_000  # 5 tokens x 6 s + 1 s margin


def test_settings_define_the_buckets() -> None:
    settings = Settings(
        WHATSAPP_MESSAGES_PER_SECOND=20, WHATSAPP_PAIR_INTERVAL_SECONDS=6, WHATSAPP_PAIR_BURST=4
    )  # type: ignore[call-arg]
    rl = SendRateLimiter.from_settings(aioredis.Redis(), settings)
    assert rl.number == Rate(per_second=20, burst=20)
    assert rl.pair == Rate(per_second=1 / 6, burst=4)


WORKER = """
import asyncio, json, sys
import redis.asyncio as aioredis
from server.ratelimit import Rate, SendRateLimiter

async def main(url, number_burst, pair_burst, same_user, attempts):
    client = aioredis.Redis.from_url(url)
    rl = SendRateLimiter(client, number=Rate(1e-6, number_burst), pair=Rate(1e-6, pair_burst))
    await client.blpop(["go"], timeout=30)  # start together
    admitted = 0
    for i in range(attempts):
        user = "5511987654321" if same_user else f"user{i}-{id(rl)}"
        admitted += await rl.try_acquire("100200300400500", user) == 0
    await client.aclose()
    print(json.dumps({"admitted": admitted}))

asyncio.run(main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "1", 200))
"""


async def run_two_workers(
    redis_client: aioredis.Redis, url: str, *, number_burst: int, pair_burst: int, same_user: bool
) -> list[int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-c", WORKER, url, str(number_burst), str(pair_burst)]
    procs = [
        await asyncio.create_subprocess_exec(
            *args, "1" if same_user else "0", stdout=asyncio.subprocess.PIPE, env=env
        )
        for _ in range(2)
    ]
    await redis_client.rpush("go", "1", "1")
    outputs = [(await asyncio.wait_for(proc.communicate(), 60))[0] for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    return [json.loads(out)["admitted"] for out in outputs]


async def test_two_processes_share_the_number_limit(redis_client, redis_url) -> None:  # type: ignore[no-untyped-def]
    counts = await run_two_workers(
        redis_client, redis_url, number_burst=25, pair_burst=5, same_user=False
    )
    assert sum(counts) == 25  # 400 attempts, 25 tokens, no double spending


async def test_two_processes_share_the_pair_limit(redis_client, redis_url) -> None:  # type: ignore[no-untyped-def]
    counts = await run_two_workers(
        redis_client, redis_url, number_burst=1000, pair_burst=3, same_user=True
    )
    assert sum(counts) == 3


def test_keys_are_per_number_and_pair_with_a_cluster_hash_tag() -> None:
    rl = limiter(aioredis.Redis(), number=Rate(80, 80), pair=Rate(1 / 6, 5))
    assert rl.number_key(NUMBER) == "ratelimit:whatsapp:{100200300400500}:number"
    assert rl.pair_key(NUMBER, USER) == f"ratelimit:whatsapp:{{{NUMBER}}}:pair:{USER}"
