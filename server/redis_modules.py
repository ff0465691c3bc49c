"""The Redis modules the session checkpointer needs, checked at start and by `/readyz`.

`langgraph-checkpoint-redis` stores checkpoints as JSON documents (RedisJSON) and finds
them with search indexes (RediSearch). A Redis without them accepts connections and
then fails every turn, so the service refuses to start on one. Each module is probed
with one of its own read-only commands rather than `MODULE LIST`, which managed Redis
services often disable.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from server.redis_connect import redact_url

PROBES: dict[str, tuple[str, ...]] = {
    "RedisJSON": ("JSON.TYPE", "convo:module-probe"),
    "RediSearch": ("FT._LIST",),
}
"""Module -> a harmless command only that module knows."""


class RedisModulesMissing(RuntimeError):
    """The Redis server lacks modules the checkpointer needs; the message says how to fix it."""

    def __init__(self, url: str, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(
            f"Redis at {redact_url(url)} lacks {' and '.join(missing)}, which the session "
            "checkpointer needs (JSON documents and search indexes). Use Redis 8 (both "
            "modules built in, e.g. `docker run -p 6379:6379 redis:8`) or Redis Stack "
            "(`docker run -p 6379:6379 redis/redis-stack-server`), or load the modules "
            "with --loadmodule. In development, unset REDIS_URL to use the embedded Redis."
        )


async def missing_modules(client: aioredis.Redis) -> list[str]:
    """The needed modules this server does not have (empty when all are there)."""
    missing = []
    for module, command in PROBES.items():
        try:
            await client.execute_command(*command)
        except ResponseError as exc:
            if "unknown command" not in str(exc).lower():
                raise
            missing.append(module)
    return missing


async def require_modules(client: aioredis.Redis, url: str) -> None:
    """Raise :class:`RedisModulesMissing` unless the server has every module."""
    missing = await missing_modules(client)
    if missing:
        raise RedisModulesMissing(url, missing)
