"""The shared send-rate limiter: cost per check, and whether several processes respect it.

    python -m benchmarks.send_limiter --seconds 3 --processes 2

On a private embedded Redis (or `--redis-url`, an otherwise idle Redis), prints:

- the latency of one `try_acquire` (one Lua call checking both buckets), p50 / p99;
- pacing: `--processes` worker processes hammer one business number as fast as they can
  for `--seconds`; the messages admitted must stay within 80/s (+ the 80-message burst),
  and to one user within the pair rate (5 burst + 1 per 6 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import redis.asyncio as aioredis

from server.embedded_redis import EmbeddedRedis
from server.ratelimit import Rate, SendRateLimiter

NUMBER = "100200300400500"
PER_SECOND, PAIR_INTERVAL, PAIR_BURST = 80.0, 6.0, 5
ROOT = Path(__file__).resolve().parents[1]


def make_limiter(client: aioredis.Redis) -> SendRateLimiter:
    return SendRateLimiter(
        client,
        number=Rate(PER_SECOND, PER_SECOND),
        pair=Rate(1 / PAIR_INTERVAL, PAIR_BURST),
        prefix="bench:ratelimit",
    )


async def latency(url: str, calls: int = 2000) -> tuple[float, float]:
    client = aioredis.Redis.from_url(url)
    rl = SendRateLimiter(client, number=Rate(1e6, 1e6), pair=Rate(1e6, 1e6), prefix="bench:lat")
    samples = []
    for i in range(calls):
        started = time.perf_counter()
        await rl.try_acquire(NUMBER, f"user{i}")
        samples.append((time.perf_counter() - started) * 1e6)
    await client.aclose()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99)]


async def child(url: str, seconds: float, same_user: bool) -> None:
    """One worker process: try as fast as possible until the deadline; print the counts."""
    client = aioredis.Redis.from_url(url)
    rl = make_limiter(client)
    await client.blpop(["bench:go"], timeout=30)
    started = time.time()
    deadline, tries, admitted = started + seconds, 0, 0
    while time.time() < deadline:
        user = "5511987654321" if same_user else f"user{tries}-{id(rl)}"
        tries += 1
        admitted += await rl.try_acquire(NUMBER, user) == 0
    await client.aclose()
    window = {"started": started, "ended": time.time()}
    print(json.dumps({"tries": tries, "admitted": admitted, **window}))


async def pacing(
    url: str, processes: int, seconds: float, same_user: bool
) -> tuple[int, int, float]:
    """(tries, admitted, wall-clock seconds from the first start to the last end)."""
    client = aioredis.Redis.from_url(url)
    await client.delete(*[k async for k in client.scan_iter("bench:ratelimit*")] or ["-"])
    args = [
        sys.executable, "-m", "benchmarks.send_limiter", "--child", "--redis-url", url,
        "--seconds", str(seconds), *(["--same-user"] if same_user else []),
    ]  # fmt: skip
    procs = [
        await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE, cwd=ROOT)
        for _ in range(processes)
    ]
    await asyncio.sleep(1.0)  # let every child import and connect before the start signal
    await client.rpush("bench:go", *["1"] * processes)
    results = [json.loads((await proc.communicate())[0]) for proc in procs]
    await client.aclose()
    window = max(r["ended"] for r in results) - min(r["started"] for r in results)
    return sum(r["tries"] for r in results), sum(r["admitted"] for r in results), window


async def main(args: argparse.Namespace) -> None:
    if args.child:
        await child(args.redis_url, args.seconds, args.same_user)
        return
    server = None if args.redis_url else EmbeddedRedis().start()
    url = args.redis_url or server.url  # type: ignore[union-attr]
    try:
        p50, p99 = await latency(url)
        print(f"try_acquire latency: p50 {p50:.0f} us, p99 {p99:.0f} us")
        tries, admitted, window = await pacing(url, args.processes, args.seconds, False)
        bound = PER_SECOND * window + PER_SECOND
        print(
            f"per number: {args.processes} processes, {tries} tries in {window:.2f} s -> "
            f"{admitted} admitted (bound {bound:.0f}: {PER_SECOND:g}/s + a burst of {PER_SECOND:g})"
        )
        tries, admitted, window = await pacing(url, args.processes, args.seconds, True)
        pair_bound = PAIR_BURST + int(window // PAIR_INTERVAL)
        print(
            f"one user:   {args.processes} processes, {tries} tries in {window:.2f} s -> "
            f"{admitted} admitted (bound {pair_bound}: {PAIR_BURST} + 1 per {PAIR_INTERVAL:g} s)"
        )
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--same-user", action="store_true", help=argparse.SUPPRESS)
    asyncio.run(main(parser.parse_args()))
