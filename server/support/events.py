"""The agents' event stream: one Redis stream per tenant, read by the SSE endpoint.

Events say *that* something changed (a message in conversation 12, conversation 12 is
now with_agent), never what: no text and no phone number is copied into Redis. A client
that receives one fetches the conversation through the authenticated API. Stream ids
double as SSE ids, so a reconnecting client resumes where it stopped (`Last-Event-ID`).
"""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis

from server.logging import get_logger

log = get_logger(__name__)

MAX_EVENTS = 2000
"""Events kept per tenant (approximately): enough for a client that reconnects."""
TTL_S = 7 * 24 * 3600


def stream_key(tenant: str) -> str:
    return f"agent_events:{tenant}"


async def publish(redis: aioredis.Redis, tenant: str, kind: str, **fields: Any) -> str | None:
    """Append an event; best effort (a Redis hiccup must not fail the turn or the action)."""
    data = json.dumps({"type": kind, **fields}, separators=(",", ":"), default=str)
    key = stream_key(tenant)
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.xadd(key, {"data": data}, maxlen=MAX_EVENTS, approximate=True)
            pipe.expire(key, TTL_S)
            event_id, _ = await pipe.execute()
    except aioredis.RedisError as exc:
        log.warning("agent_events.publish_failed", kind=kind, error=type(exc).__name__)
        return None
    return event_id.decode() if isinstance(event_id, bytes) else str(event_id)


async def latest_id(redis: aioredis.Redis, tenant: str) -> str:
    """The id of the newest event ("0-0" when none): a new client starts after it."""
    entries = await redis.xrevrange(stream_key(tenant), count=1)
    if not entries:
        return "0-0"
    event_id = entries[0][0]
    return event_id.decode() if isinstance(event_id, bytes) else str(event_id)


async def read_after(
    redis: aioredis.Redis, tenant: str, last_id: str, *, block_ms: int
) -> list[tuple[str, dict[str, Any]]]:
    """Events newer than `last_id`, waiting up to `block_ms` for the first one."""
    answer: Any = await redis.xread({stream_key(tenant): last_id}, count=100, block=block_ms)
    events: list[tuple[str, dict[str, Any]]] = []
    for _key, entries in answer or []:
        for raw_id, fields in entries:
            event_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
            raw = fields.get(b"data") or fields.get("data") or b"{}"
            events.append((event_id, json.loads(raw)))
    return events
