"""Poison payloads: an item the store cannot take is repaired or refused alone, never the
batch, and never answered as an outage (Meta would redeliver the same bytes for 7 days).
On SQLite and (with TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import copy
import logging
import os
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from webhook_support import load_payload, resources_of, running_app, signed_headers, stored_rows

from server.logging import JsonLinesFormatter
from server.store.models import WaStatusEvent

POISON = "hi \ud800 there"
"""A lone UTF-16 surrogate: valid JSON for `json.loads`, not encodable as UTF-8."""


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_env(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {}
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL to run the store tests on it")
    name = f"convo_poison_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(make_url(base), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield {"DATABASE_URL": make_url(base).set(database=name).render_as_string(False)}
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def _batch(poisoned_body: str) -> dict[str, Any]:
    """One POST: a poisoned text, a good text from another customer, and a status."""
    payload = load_payload("text")
    value = payload["entry"][0]["changes"][0]["value"]
    poisoned = value["messages"][0]
    poisoned["id"] = "wamid.POISON1"
    poisoned["text"]["body"] = poisoned_body
    good = copy.deepcopy(poisoned)
    good["id"], good["from"], good["text"]["body"] = "wamid.GOOD1", "5511988887777", "good day"
    value["messages"].append(good)
    status = load_payload("status_delivered")["entry"][0]["changes"][0]["value"]["statuses"][0]
    value["statuses"] = [status]
    return payload


async def _post(client, payload: dict[str, Any]):  # type: ignore[no-untyped-def]
    body = _meta_bytes(payload)
    assert b"\\ud800" in body  # sent escaped, as Meta does
    return await client.post("/webhooks/whatsapp", content=body, headers=signed_headers(body))


def _meta_bytes(payload: dict[str, Any]) -> bytes:
    import json

    return json.dumps(payload, separators=(",", ":")).encode()


def _logged(caplog: pytest.LogCaptureFixture, event: str | None = None) -> str:
    """The log lines as written (JSON with their fields), of one event or all."""
    formatter = JsonLinesFormatter()
    return "\n".join(
        formatter.format(record)
        for record in caplog.records
        if event is None or record.getMessage() == event
    )


def _no_customer_text(caplog: pytest.LogCaptureFixture) -> None:
    logged = _logged(caplog)
    assert "hi " not in logged and "there" not in logged and "good day" not in logged


async def _statuses(app) -> list[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    async with resources_of(app).sessions() as session:
        return list((await session.execute(select(WaStatusEvent.status))).scalars())


async def test_a_lone_surrogate_is_stored_repaired_with_the_rest_of_the_batch(
    monkeypatch: pytest.MonkeyPatch,
    redis_url: str,
    database_env: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with running_app(monkeypatch, redis_url, **database_env) as (client, app):
        with caplog.at_level(logging.INFO):
            response = await _post(client, _batch(POISON))
        assert response.status_code == 200
        assert response.json() == {"received": 2, "statuses": 1}
        rows = {row.wamid: row for row in await stored_rows(app)}
        assert rows["wamid.POISON1"].text == "hi \ufffd there"
        assert rows["wamid.POISON1"].payload["message"]["text"]["body"] == "hi \ufffd there"
        assert rows["wamid.GOOD1"].text == "good day"
        assert await _statuses(app) == ["delivered"]
        # Meta's redelivery of the same bytes is a no-op, not a second row
        assert (await _post(client, _batch(POISON))).status_code == 200
        assert len(await stored_rows(app)) == 2
    _no_customer_text(caplog)


async def test_an_item_the_store_refuses_is_dropped_alone_and_logged_by_id(
    monkeypatch: pytest.MonkeyPatch,
    redis_url: str,
    database_env: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without the repair (standing in for any value the store refuses), the bad item is
    refused alone: 200 for the POST, its neighbours stored, its id (not text) logged."""
    import server.webhook

    monkeypatch.setattr(server.webhook, "_ESCAPED_UNSTORABLE", re.compile(rb"(?!x)x"))
    async with running_app(monkeypatch, redis_url, **database_env) as (client, app):
        with caplog.at_level(logging.INFO):
            response = await _post(client, _batch(POISON))
        assert response.status_code == 200
        assert response.json() == {"received": 2, "statuses": 1, "refused": 1}
        assert [row.wamid for row in await stored_rows(app)] == ["wamid.GOOD1"]
        assert await _statuses(app) == ["delivered"]
    assert "wamid.POISON1" in _logged(caplog, "webhook.item_refused")
    _no_customer_text(caplog)
