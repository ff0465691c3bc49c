"""Webhook -> arq worker -> outbox, with the real worker draining the real Redis queue."""

from __future__ import annotations

from fastapi import FastAPI
from webhook_support import FakeController, load_payload, post_webhook, stored_rows

import server.jobs.orchestrate as orchestrate_module
from server.worker import build_worker


async def _drain(app: FastAPI) -> None:
    worker = build_worker(app.state.resources, burst=True, handle_signals=False)
    try:
        await worker.async_run()
    finally:
        await worker.close()


async def test_same_payload_delivered_five_times_gives_one_message_and_one_turn(
    app_client, monkeypatch
) -> None:
    client, app = app_client
    fake = FakeController()

    async def make_fake(resources: object) -> FakeController:
        return fake

    monkeypatch.setattr(orchestrate_module, "make_controller", make_fake)
    for _ in range(2):
        assert (await post_webhook(client, load_payload("text"))).status_code == 200
    await _drain(app)
    # Meta retries for days, past arq's kept results: the store must dedupe on its own.
    redis = app.state.resources.redis
    await redis.delete(*[key async for key in redis.scan_iter("arq:result:*")])
    for _ in range(3):
        assert (await post_webhook(client, load_payload("text"))).status_code == 200
    await _drain(app)
    assert [t.msg_id for t in fake.turns] == ["wamid.TEXT1"]
    inbound, reply = await stored_rows(app)
    assert (inbound.wamid, inbound.status) == ("wamid.TEXT1", "answered")
    assert (reply.direction, reply.text, reply.status) == (
        "outbound",
        "echo: Does it come in another color?",
        "logged",
    )


async def test_batch_turns_run_per_message(app_client, monkeypatch) -> None:
    client, app = app_client
    fake = FakeController()

    async def make_fake(resources: object) -> FakeController:
        return fake

    monkeypatch.setattr(orchestrate_module, "make_controller", make_fake)
    assert (await post_webhook(client, load_payload("batch_mixed"))).status_code == 200
    await _drain(app)
    assert sorted(t.text for t in fake.turns) == ["Sim", "hola", "what time do you close?"]
    replies = await stored_rows(app, "outbound")
    assert sorted(r.context_wamid or "" for r in replies) == ["wamid.B1", "wamid.B2", "wamid.B3"]
