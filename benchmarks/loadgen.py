"""A small HTTP/1.1 load generator, run as its own process by the webhook benchmark.

    python -m benchmarks.loadgen --port 8801 --path /webhooks/whatsapp \\
        --bodies bodies.jsonl --mode closed --connections 32 --seconds 4
    python -m benchmarks.loadgen ... --mode rate --rate 320 --seconds 6

Prints one JSON object: requests, errors, status counts, requests/s, latency percentiles
(ms), requests over 1 s, and the generator's own CPU seconds (so a reader can see what
share of the 2 cores it took from the server).

Why not httpx: an httpx client spends more CPU per request than a bare FastAPI route, so
on a 2-core machine it would measure itself. This one writes pre-built request bytes on
keep-alive connections and reads the response by `Content-Length` (`asyncio.Protocol`,
uvloop when installed): about 30 µs of CPU per request.

Modes:
- `closed`: `--connections` clients, each sending its next request as soon as the last
  one is answered (maximum throughput).
- `rate`: open loop, one request every `1 / --rate` seconds whatever the server does; a
  request waits for a free connection (up to `--max-connections`) and its latency counts
  from the moment it was due, so a slow server cannot hide its queue (no coordinated
  omission).

Bodies: one JSON line per request `{"body": "...", "headers": {...}}`, used in order and
cycled; the harness signs them before the timed run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def build_requests(path: str, host: str, items: Sequence[dict[str, object]]) -> list[bytes]:
    requests = []
    for item in items:
        body = str(item["body"]).encode()
        headers = dict(item.get("headers") or {})  # type: ignore[call-overload]
        lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        requests.append(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    return requests


class _Connection(asyncio.Protocol):
    """One keep-alive connection; `send()` returns a future of the response status."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed"))

    def send(self, request: bytes) -> asyncio.Future[int]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.buffer.clear()
        self.transport.write(request)
        return self.waiter

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        start = head.find(b"content-length:")
        length = 0
        if start >= 0:
            stop = head.find(b"\r\n", start)
            length = int(head[start + 15 : stop if stop >= 0 else None])
        if len(self.buffer) >= end + 4 + length and self.waiter and not self.waiter.done():
            self.waiter.set_result(int(self.buffer[9:12]))


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0

    def record(self, status: int, latency_s: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies_ms.append(latency_s * 1000)


async def _connect(host: str, port: int) -> _Connection:
    loop = asyncio.get_running_loop()
    _transport, protocol = await loop.create_connection(_Connection, host, port)
    return protocol


async def closed_loop(
    host: str, port: int, requests: list[bytes], connections: int, seconds: float
) -> tuple[Results, float]:
    results = Results()
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        connection = await _connect(host, port)
        while time.perf_counter() < deadline:
            request = requests[next(counter) % len(requests)]
            started = time.perf_counter()
            try:
                status = await asyncio.wait_for(connection.send(request), 30)
            except (ConnectionError, TimeoutError):
                results.errors += 1
                connection = await _connect(host, port)
                continue
            results.record(status, time.perf_counter() - started)
        assert connection.transport is not None
        connection.transport.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    return results, time.perf_counter() - started


async def open_loop(
    host: str, port: int, requests: list[bytes], rate: float, seconds: float, max_connections: int
) -> tuple[Results, float]:
    results = Results()
    idle: list[_Connection] = [await _connect(host, port) for _ in range(16)]
    opened = len(idle)
    available = asyncio.Condition()
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05

    async def one(index: int, due: float) -> None:
        nonlocal opened
        async with available:
            while not idle and opened >= max_connections:
                await available.wait()
            if idle:
                connection = idle.pop()
            else:
                opened += 1
                connection = None
        if connection is None:
            connection = await _connect(host, port)
        try:
            status = await asyncio.wait_for(connection.send(requests[index % len(requests)]), 30)
            results.record(status, time.perf_counter() - due)
        except (ConnectionError, TimeoutError):
            results.errors += 1
            connection.transport.close() if connection.transport else None
            connection = await _connect(host, port)
        async with available:
            idle.append(connection)
            available.notify()

    tasks = []
    for index in range(total):
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for connection in idle:
        if connection.transport is not None:
            connection.transport.close()
    return results, elapsed


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(results: Results, elapsed: float, cpu_s: float) -> dict[str, object]:
    ordered = sorted(results.latencies_ms)
    ok = sum(count for status, count in results.statuses.items() if 200 <= status < 300)
    return {
        "requests": len(ordered),
        "ok": ok,
        "errors": results.errors,
        "statuses": {str(k): v for k, v in sorted(results.statuses.items())},
        "elapsed_s": round(elapsed, 3),
        "rps": round(ok / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(ordered, 0.50), 2),
        "p90_ms": round(percentile(ordered, 0.90), 2),
        "p99_ms": round(percentile(ordered, 0.99), 2),
        "max_ms": round(ordered[-1], 2) if ordered else None,
        "over_1s": sum(1 for value in ordered if value > 1000),
        "loadgen_cpu_s": round(cpu_s, 3),
    }


async def run(args: argparse.Namespace, items: list[dict[str, object]]) -> dict[str, object]:
    requests = build_requests(args.path, f"{args.host}:{args.port}", items)
    cpu_before = _cpu_seconds()
    if args.mode == "closed":
        results, elapsed = await closed_loop(
            args.host, args.port, requests, args.connections, args.seconds
        )
    else:
        results, elapsed = await open_loop(
            args.host, args.port, requests, args.rate, args.seconds, args.max_connections
        )
    return report(results, elapsed, _cpu_seconds() - cpu_before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/webhooks/whatsapp")
    parser.add_argument("--bodies", required=True, help="JSON lines of {body, headers}")
    parser.add_argument("--mode", choices=["closed", "rate"], default="closed")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=float, default=320.0)
    parser.add_argument("--max-connections", type=int, default=256)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    try:
        from uvloop import new_event_loop as loop_factory
    except ImportError:
        loop_factory = asyncio.new_event_loop
    with open(args.bodies, encoding="utf-8") as handle:
        items = [json.loads(line) for line in handle if line.strip()]
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        print(json.dumps(runner.run(run(args, items))))


if __name__ == "__main__":
    main()
