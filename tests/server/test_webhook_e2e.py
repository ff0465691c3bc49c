"""End to end on the real embedded Redis: signed POST -> worker -> real controller -> outbox."""

from __future__ import annotations

import logging

import pytest
from pydantic import TypeAdapter
from webhook_support import post_webhook, running_app, stored_rows

from graph.messages import OutboundMessage
from server.chat_payloads import ChatUser, text_payload
from server.worker import build_worker


async def test_signed_post_becomes_a_reply_in_the_outbox(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    user = ChatUser(wa_id="5215550001234", name="Lucía")
    async with running_app(monkeypatch, redis_url, ENABLE_ORCHESTRATION="true") as (client, app):
        with caplog.at_level(logging.INFO):
            for _ in range(2):  # a duplicate delivery on the way
                payload = text_payload(user, "wamid.E2E1", "hola, ¿a qué hora cierran hoy?")
                assert (await post_webhook(client, payload)).status_code == 200
            worker = build_worker(app.state.resources, burst=True, handle_signals=False)
            try:
                await worker.async_run()
            finally:
                await worker.close()
        inbound, *replies = await stored_rows(app)
    assert (inbound.wamid, inbound.status) == ("wamid.E2E1", "answered")
    assert replies, "the turn produced no reply"
    for index, reply in enumerate(replies):
        message = TypeAdapter(OutboundMessage).validate_python(reply.payload)
        assert message.body.strip()
        assert (reply.status, reply.context_wamid) == ("logged", "wamid.E2E1")
        assert reply.idempotency_key == f"wamid.E2E1:reply:{index}"
        assert (reply.tenant_id, reply.wa_id) == ("100200300400500", "5215550001234")
    events = [record.getMessage() for record in caplog.records]
    assert events.count("process_message.orchestration_triggered") == 1
    assert "orchestrate_turn.completed" in events
    assert "orchestrate_turn.reply_logged" in events
