"""Count what a piece of code asks of Redis: round trips (client side) and commands (server side).

    counter = RoundTrips()
    client = counting_client(url, counter)        # every connection of its pool counts
    before = await command_count(client)          # INFO commandstats, Lua's inner calls included
    ...
    counter.total, await command_count(client) - before

A round trip is one write of a request to the socket followed by waiting for its answer:
a single command, a pipeline (however many commands) or one `EVALSHA` (however many calls
the script makes). Counting happens in the connection class, so it is exact and does not
depend on timing. Commands are counted by the server (`INFO commandstats` deltas), which is
only meaningful on a Redis nobody else uses meanwhile (the benchmarks' private one, or a
test's).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.connection import Connection


class RoundTrips:
    """Requests written by the counting connections, in total and by first command name."""

    def __init__(self) -> None:
        self.total = 0
        self.by_command: Counter[str] = Counter()

    def reset(self) -> None:
        self.total = 0
        self.by_command.clear()


def _first_command(packed: Any) -> str:
    chunk = packed[0] if isinstance(packed, list | tuple) and packed else packed
    if isinstance(chunk, memoryview):
        chunk = bytes(chunk)
    if isinstance(chunk, bytes):
        parts = chunk.split(b"\r\n")
        return parts[2].decode(errors="replace").upper() if len(parts) > 2 else "?"
    return "?"


def counting_connection_class(counter: RoundTrips) -> type[Connection]:
    """A `Connection` subclass that counts each request it writes in `counter`."""

    class CountingConnection(Connection):
        async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
            counter.total += 1
            counter.by_command[_first_command(command)] += 1
            await super().send_packed_command(command, check_health)

    return CountingConnection


def counting_client(url: str, counter: RoundTrips) -> aioredis.Redis:
    """A client on `url` whose every request is counted in `counter`."""
    pool = aioredis.ConnectionPool.from_url(
        url, connection_class=counting_connection_class(counter)
    )
    return aioredis.Redis(connection_pool=pool)


async def command_count(redis: aioredis.Redis) -> int:
    """Commands the server has run so far (inside Lua scripts too), not counting INFO."""
    stats = await redis.info("commandstats")
    return sum(int(v["calls"]) for k, v in stats.items() if k != "cmdstat_info")


async def command_stats(redis: aioredis.Redis) -> dict[str, int]:
    """Calls per command name so far (for a breakdown: diff two of these)."""
    stats = await redis.info("commandstats")
    return {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items()}
