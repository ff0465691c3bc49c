"""Helpers for the send job's tests: resources with sending on, outbox rows, job context."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from graph.messages import OutboundMessage, TextMessage
from server.jobs import job_queue
from server.jobs.send import close_client
from server.resources import Resources, open_resources
from server.settings import Settings, get_settings
from server.store import repository
from server.store.models import Direction, WaMessage

BASE = "https://graph.test"
PHONE_ID = "100200300400500"
USER = "5511987654321"
URL = f"{BASE}/v21.0/{PHONE_ID}/messages"


@contextlib.asynccontextmanager
async def sending_resources(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, **env: str
) -> AsyncIterator[Resources]:
    """Real Redis and a migrated SQLite store, with a (fake) access token: sending is on."""
    defaults = {
        "WHATSAPP_ACCESS_TOKEN": "test-token",
        "WHATSAPP_API_BASE_URL": BASE,
        "WHATSAPP_PAIR_BURST": "50",
    }
    for name, value in (defaults | env).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    async with open_resources(Settings(), redis_url=redis_url) as resources:
        yield resources


@contextlib.asynccontextmanager
async def job_context(resources: Resources) -> AsyncIterator[dict[str, Any]]:
    """What arq passes a job; the worker's Graph API client is closed afterwards."""
    ctx: dict[str, Any] = {
        "resources": resources,
        "redis": job_queue(resources.redis),
        "job_try": 1,
    }
    try:
        yield ctx
    finally:
        await close_client(ctx)


async def add_turn(
    resources: Resources,
    messages: Sequence[OutboundMessage],
    *,
    wamid: str = "wamid.IN1",
    wa_id: str = USER,
) -> list[WaMessage]:
    """An inbound message and its replies in the outbox (as `orchestrate_turn` stores them)."""
    async with resources.sessions.begin() as session:
        inbound = WaMessage(
            direction=Direction.INBOUND.value,
            wamid=wamid,
            tenant_id=PHONE_ID,
            wa_id=wa_id,
            message_type="text",
            text="hi",
            payload={},
            status=repository.ANSWERED,
            attempts=0,
        )
        session.add(inbound)
        await session.flush()
        return await repository.add_outbox(session, inbound, messages, status=repository.QUEUED)


async def add_reply(resources: Resources, body: str = "Hello!", **kwargs: Any) -> WaMessage:
    return (await add_turn(resources, [TextMessage(body=body)], **kwargs))[0]


async def outbound_rows(resources: Resources) -> list[WaMessage]:
    async with resources.sessions() as session:
        query = (
            select(WaMessage)
            .where(WaMessage.direction == Direction.OUTBOUND.value)
            .order_by(WaMessage.id)
        )
        return list((await session.execute(query)).scalars())


async def reload(resources: Resources, row_id: int) -> WaMessage:
    async with resources.sessions() as session:
        row = await session.get(WaMessage, row_id)
    assert row is not None
    return row


def accepted(wamid: str) -> httpx.Response:
    return httpx.Response(200, json={"messaging_product": "whatsapp", "messages": [{"id": wamid}]})


def meta_error(code: int, http_status: int = 400, message: str = "refused") -> httpx.Response:
    error = {"message": f"({code}) {message}", "type": "OAuthException", "code": code}
    error["error_data"] = {"messaging_product": "whatsapp", "details": f"details of {code}"}
    return httpx.Response(http_status, json={"error": error})


def request_json(call: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(call.request.content)
    return body
