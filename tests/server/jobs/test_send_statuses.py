"""Sending through the real pipeline: webhook -> worker -> Graph API, and status webhooks
(sent, delivered, read, failed) reconciling the outbound row by its wamid."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx
from fastapi import FastAPI
from send_support import (
    BASE,
    PHONE_ID,
    URL,
    accepted,
    add_reply,
    job_context,
    meta_error,
    outbound_rows,
    reload,
)
from webhook_support import FakeController, load_payload, post_webhook, running_app, stored_rows

import server.jobs.orchestrate as orchestrate_module
from server.jobs.send import mark_read_best_effort, reengage_after_failed_status, send_message
from server.resources import Resources
from server.worker import build_worker

SENDING_ENV = {"WHATSAPP_ACCESS_TOKEN": "test-token", "WHATSAPP_API_BASE_URL": BASE}


@pytest.fixture
async def app_client(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    env = {**SENDING_ENV, "ENABLE_ORCHESTRATION": "true"}
    async with running_app(monkeypatch, redis_url, **env) as pair:
        yield pair


def resources_of(app: FastAPI) -> Resources:
    resources: Resources = app.state.resources
    return resources


async def drain(app: FastAPI) -> None:
    worker = build_worker(resources_of(app), burst=True, handle_signals=False)
    try:
        await worker.async_run()
    finally:
        await worker.close()


def status_webhook(wamid: str, status: str, **extra: Any) -> dict[str, Any]:
    payload = copy.deepcopy(load_payload("status_delivered"))
    value = payload["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = PHONE_ID
    value["statuses"][0].update({"id": wamid, "status": status, **extra})
    return payload


def graph_api(request: httpx.Request) -> httpx.Response:
    """Meta's /messages: `{"success": true}` for read receipts, a wamid for messages."""
    body = json.loads(request.content)
    if body.get("status") == "read":
        return httpx.Response(200, json={"success": True})
    return accepted("wamid.OUT1")


async def test_a_user_message_is_answered_through_the_graph_api(app_client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client, app = app_client
    fake = FakeController()

    async def make_fake(resources: object) -> FakeController:
        return fake

    monkeypatch.setattr(orchestrate_module, "make_controller", make_fake)
    assert (await post_webhook(client, load_payload("text"))).status_code == 200
    with respx.mock() as mock:
        route = mock.post(url__startswith=f"{BASE}/v21.0/").mock(side_effect=graph_api)
        await drain(app)
    read, reply = (json.loads(call.request.content) for call in route.calls)
    assert read == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.TEXT1",
        "typing_indicator": {"type": "text"},
    }
    assert reply["text"]["body"] == "echo: Does it come in another color?"
    assert reply["context"] == {"message_id": "wamid.TEXT1"}
    _, outbound = await stored_rows(app)
    assert (outbound.status, outbound.wamid) == ("sent", "wamid.OUT1")


async def test_status_webhooks_move_a_sent_reply_forward_only(app_client) -> None:  # type: ignore[no-untyped-def]
    client, app = app_client
    resources = resources_of(app)
    row = await add_reply(resources)
    with respx.mock() as mock:
        mock.post(URL).mock(return_value=accepted("wamid.OUT1"))
        async with job_context(resources) as ctx:
            assert await send_message(ctx, row.id) == "sent"
    for status in ("delivered", "read", "sent", "delivered"):  # late and duplicate ones too
        assert (await post_webhook(client, status_webhook("wamid.OUT1", status))).status_code == 200
        await drain(app)
        if status == "delivered":
            assert (await reload(resources, row.id)).status in {"delivered", "read"}
    stored = await reload(resources, row.id)
    assert (stored.status, stored.wamid) == ("read", "wamid.OUT1")


async def test_a_status_that_comes_before_the_wamid_is_recorded_is_applied_by_the_send(  # type: ignore[no-untyped-def]
    app_client,
) -> None:
    client, app = app_client
    resources = resources_of(app)
    row = await add_reply(resources)
    assert (
        await post_webhook(client, status_webhook("wamid.OUT1", "delivered"))
    ).status_code == 200
    await drain(app)  # no row has this wamid yet: the event waits
    assert (await reload(resources, row.id)).status == "queued"
    with respx.mock() as mock:
        mock.post(URL).mock(return_value=accepted("wamid.OUT1"))
        async with job_context(resources) as ctx:
            assert await send_message(ctx, row.id) == "delivered"


async def test_a_failed_status_after_acceptance_is_recorded(app_client) -> None:  # type: ignore[no-untyped-def]
    client, app = app_client
    resources = resources_of(app)
    row = await add_reply(resources)
    with respx.mock() as mock:
        mock.post(URL).mock(return_value=accepted("wamid.OUT1"))
        async with job_context(resources) as ctx:
            await send_message(ctx, row.id)
    errors = [{"code": 131047, "title": "Re-engagement message"}]
    payload = status_webhook("wamid.OUT1", "failed", errors=errors)
    assert (await post_webhook(client, payload)).status_code == 200
    await drain(app)
    stored = await reload(resources, row.id)
    assert (stored.status, stored.error_code) == ("failed", 131047)


async def test_mark_read_is_best_effort(app_client) -> None:  # type: ignore[no-untyped-def]
    _, app = app_client
    async with job_context(resources_of(app)) as ctx:
        with respx.mock() as mock:
            mock.post(URL).mock(side_effect=[httpx.Response(200, json={"success": True})])
            assert await mark_read_best_effort(ctx, PHONE_ID, "wamid.IN1") is True
        with respx.mock() as mock:
            mock.post(URL).mock(side_effect=httpx.ConnectError("down"))
            assert await mark_read_best_effort(ctx, PHONE_ID, "wamid.IN1") is False


async def test_readyz_shows_the_send_counters_and_the_last_alert(app_client) -> None:  # type: ignore[no-untyped-def]
    client, app = app_client
    resources = resources_of(app)
    row = await add_reply(resources)
    with respx.mock() as mock:
        mock.post(URL).mock(return_value=meta_error(190, 401, "Invalid OAuth access token"))
        async with job_context(resources) as ctx:
            assert await send_message(ctx, row.id) == "failed"
    sending = (await client.get("/readyz")).json()["sending"]
    assert sending["mode"] == "send"
    assert sending["counters"]["alert:190"] == 1
    assert sending["last_alert"]["code"] == 190


async def send_then_fail_outside_window(client: httpx.AsyncClient, resources: Resources) -> None:
    """A reply Meta accepts (wamid.OUT1), then a late `failed` status with 131047."""
    row = await add_reply(resources)
    with respx.mock() as mock:
        mock.post(URL).mock(return_value=accepted("wamid.OUT1"))
        async with job_context(resources) as ctx:
            await send_message(ctx, row.id)
    errors = [{"code": 131047, "title": "Re-engagement message"}]
    await post_webhook(client, status_webhook("wamid.OUT1", "failed", errors=errors))


async def test_a_late_131047_queues_the_reengagement_template(monkeypatch, redis_url) -> None:  # type: ignore[no-untyped-def]
    env = {**SENDING_ENV, "WHATSAPP_REENGAGEMENT_TEMPLATE": "reengage_v1"}
    async with running_app(monkeypatch, redis_url, **env) as (client, app):
        resources = resources_of(app)
        await send_then_fail_outside_window(client, resources)
        with respx.mock() as mock:
            template_sent = mock.post(URL).mock(return_value=accepted("wamid.TEMPLATE1"))
            await drain(app)  # process_status applies "failed", queues and sends the template
            async with job_context(resources) as ctx:
                await reengage_after_failed_status(ctx, "wamid.OUT1")  # again: still one
                assert await reengage_after_failed_status(ctx, "wamid.UNKNOWN") is False
            await drain(app)
        assert template_sent.call_count == 1
        assert json.loads(template_sent.calls[0].request.content)["type"] == "template"
        rows = await outbound_rows(resources)
        assert [(r.idempotency_key, r.message_type, r.status) for r in rows] == [
            ("wamid.IN1:reply:0", "text", "failed"),
            ("wamid.IN1:reengage", "template", "sent"),
        ]
        assert rows[1].payload["name"] == "reengage_v1"


async def test_a_transient_error_queuing_the_template_retries_the_status_job(
    monkeypatch, redis_url
) -> None:  # type: ignore[no-untyped-def]
    import redis.exceptions
    from arq.worker import Retry

    import server.jobs.send as send_module
    from server.jobs.process import process_status

    env = {**SENDING_ENV, "WHATSAPP_REENGAGEMENT_TEMPLATE": "reengage_v1"}
    async with running_app(monkeypatch, redis_url, **env) as (client, app):
        resources = resources_of(app)
        await send_then_fail_outside_window(client, resources)
        real = send_module.reengage_after_failed_status

        async def redis_blip(*args: object) -> bool:
            raise redis.exceptions.ConnectionError("connection reset")

        async with job_context(resources) as ctx:
            monkeypatch.setattr(send_module, "reengage_after_failed_status", redis_blip)
            with pytest.raises(Retry):  # before: the job failed for good, no template ever
                await process_status(ctx, "wamid.OUT1")
            monkeypatch.setattr(send_module, "reengage_after_failed_status", real)
            assert await process_status(ctx, "wamid.OUT1") == "failed"  # the retry
        rows = await outbound_rows(resources)
        assert [(r.idempotency_key, r.status) for r in rows] == [
            ("wamid.IN1:reply:0", "failed"),
            ("wamid.IN1:reengage", "queued"),
        ]
