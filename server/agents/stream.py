"""`GET /agent/api/events`: server-sent events for the agent's business.

    id: 1732459200000-0
    event: message            (or handoff, note, ticket)
    data: {"type": "message", "conversation_id": 12, "direction": "inbound"}

A comment line (`: keep-alive`) goes out every `KEEPALIVE_S` seconds so proxies keep the
connection open. A client that reconnects with `Last-Event-ID` gets what it missed (the
stream keeps the newest events of each tenant, see `server.support.events`). Events carry
ids only; the client fetches what changed through the API, with its token.

Browsers' `EventSource` cannot send an `Authorization` header, so the inbox page reads
this stream with `fetch()`; any SSE client that can set a header works.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from server.agents.auth import AgentDep, ResourcesDep
from server.redis_connect import connect
from server.support import events

router = APIRouter(prefix="/agent/api", tags=["agents"])

KEEPALIVE_S = 15.0
_STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


def format_event(event_id: str, data: dict[str, object]) -> str:
    kind = str(data.get("type", "message"))
    return f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def event_stream(
    redis: aioredis.Redis,
    tenant: str,
    last_id: str,
    request: Request | None = None,
    *,
    keepalive_s: float = KEEPALIVE_S,
) -> AsyncIterator[str]:
    """The SSE text of the tenant's events after `last_id`, until the client goes away."""
    yield "retry: 2000\n\n"
    while request is None or not await request.is_disconnected():
        batch = await events.read_after(redis, tenant, last_id, block_ms=int(keepalive_s * 1000))
        if not batch:
            yield ": keep-alive\n\n"
            continue
        for event_id, data in batch:
            last_id = event_id
            yield format_event(event_id, data)


@router.get("/events")
async def stream(request: Request, agent: AgentDep, resources: ResourcesDep) -> StreamingResponse:
    resume = request.headers.get("last-event-id", "")
    # A dedicated connection: XREAD BLOCK holds it while waiting.
    client = connect(resources.redis_url)
    last_id = resume if _STREAM_ID.match(resume) else await events.latest_id(client, agent.tenant)

    async def body() -> AsyncIterator[str]:
        try:
            async for chunk in event_stream(client, agent.tenant, last_id, request):
                yield chunk
        finally:
            await client.aclose()

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)
