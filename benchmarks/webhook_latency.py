"""Webhook latency: a signed message POST (stored + enqueued before the 200) vs baselines.

    python -m benchmarks.webhook_latency --requests 300

Runs the real app in-process (httpx ASGI transport, no sockets) on a private embedded
Redis and a throwaway SQLite file, with orchestration off so only the webhook is timed.
In the same run, as baselines: `GET /readyz` (framework + Redis ping and module probes + a
SQL query) and a POST refused for its signature (framework + reading and hashing the body,
no store).
Meta asks for a median under 250 ms; the numbers are for this machine only.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from server.app import create_app
from server.embedded_redis import EmbeddedRedis
from server.settings import DEFAULT_APP_SECRET, get_settings
from server.whatsapp.signature import sign

PAYLOAD = Path(__file__).resolve().parents[1] / "tests" / "data" / "webhooks" / "text.json"


def message_body(index: int) -> bytes:
    payload: dict[str, Any] = json.loads(PAYLOAD.read_text("utf-8"))
    payload = copy.deepcopy(payload)
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["id"] = f"wamid.BENCH{index:06d}"
    message["text"]["body"] = f"benchmark message {index}: ¿a qué hora abren?"
    return json.dumps(payload, separators=(",", ":")).encode()


Call = Callable[[int], Awaitable[httpx.Response]]


async def timed(n: int, call: Call, status: int) -> list[float]:
    samples = []
    for index in range(n):
        started = time.perf_counter()
        response = await call(index)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != status:
            raise SystemExit(f"unexpected {response.status_code}: {response.text[:200]}")
    return samples


def summary(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    median = statistics.median(ordered)
    return f"| {name} | {len(samples)} | {median:.1f} | {p95:.1f} | {p99:.1f} |"


async def measure(client: httpx.AsyncClient, requests: int) -> list[str]:
    bodies = [message_body(i) for i in range(requests)]

    def post(body: bytes, secret: str = DEFAULT_APP_SECRET) -> Awaitable[httpx.Response]:
        headers = {"X-Hub-Signature-256": sign(body, secret), "Content-Type": "application/json"}
        return client.post("/webhooks/whatsapp", content=body, headers=headers)

    cases: list[tuple[str, Call, int]] = [
        ("GET /readyz (baseline)", lambda i: client.get("/readyz"), 200),
        ("POST, bad signature (baseline)", lambda i: post(bodies[i], "wrong"), 403),
        ("POST, new message (stored + enqueued)", lambda i: post(bodies[i]), 200),
        ("POST, duplicate delivery", lambda i: post(bodies[i]), 200),
    ]
    await timed(10, cases[0][1], 200)  # warm-up
    return [summary(name, await timed(requests, call, status)) for name, call, status in cases]


async def run(requests: int) -> None:
    with tempfile.TemporaryDirectory() as data_dir, EmbeddedRedis() as redis_server:
        os.environ.update(
            {"REDIS_URL": redis_server.url, "CONVO_DATA_DIR": data_dir, "CONVO_ENV": "development"}
        )
        os.environ.pop("ENABLE_ORCHESTRATION", None)
        get_settings.cache_clear()
        app = create_app()
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                rows = await measure(client, requests)
    print("| request | n | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(run(args.requests))


if __name__ == "__main__":
    main()
