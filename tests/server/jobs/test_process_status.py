"""Status webhooks: applied once, monotonically, in whatever order they arrive."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import select
from webhook_support import job_ctx, load_payload, post_webhook, stored_rows

from server.jobs.process import process_status, recover_pending
from server.store.models import WaMessage, WaStatusEvent


async def _outbound(app: FastAPI, wamid: str | None, status: str = "sent") -> int:
    async with app.state.resources.sessions.begin() as session:
        row = WaMessage(
            direction="outbound",
            wamid=wamid,
            idempotency_key=f"{wamid}:key",
            tenant_id="106540352242922",
            wa_id="16505551234",
            message_type="text",
            text="hi",
            payload={"kind": "text", "body": "hi"},
            status=status,
        )
        session.add(row)
        await session.flush()
        return row.id


def _status_payload(name: str, wamid: str) -> dict[str, Any]:
    payload = load_payload(name)
    payload["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = wamid
    return payload


async def _deliver(app_client, wamid: str, *names: str) -> None:  # type: ignore[no-untyped-def]
    client, app = app_client
    for name in names:
        assert (await post_webhook(client, _status_payload(name, wamid))).status_code == 200
        await process_status(job_ctx(app), wamid)


async def _status(app: FastAPI, wamid: str) -> WaMessage:
    (row,) = [r for r in await stored_rows(app, "outbound") if r.wamid == wamid]
    return row


async def test_in_order_statuses_advance(app_client) -> None:
    _, app = app_client
    await _outbound(app, "wamid.OUT1", status="queued")
    await _deliver(app_client, "wamid.OUT1", "status_sent", "status_delivered", "status_read")
    assert (await _status(app, "wamid.OUT1")).status == "read"
    await _deliver(app_client, "wamid.OUT1", "status_played")
    assert (await _status(app, "wamid.OUT1")).status == "played"


async def test_out_of_order_and_duplicate_statuses_never_move_back(app_client) -> None:
    _, app = app_client
    await _outbound(app, "wamid.OUT1")
    await _deliver(
        app_client, "wamid.OUT1", "status_read", "status_delivered", "status_sent", "status_read"
    )
    row = await _status(app, "wamid.OUT1")
    assert row.status == "read"  # a late delivered never overwrites read
    async with app.state.resources.sessions() as session:
        events = (await session.execute(select(WaStatusEvent))).scalars()
        assert sorted(e.status for e in events) == ["delivered", "read", "sent"]


async def test_failed_is_recorded_with_code_and_title_and_is_final(app_client) -> None:
    _, app = app_client
    await _outbound(app, "wamid.OUT2")
    await _deliver(app_client, "wamid.OUT2", "status_failed", "status_delivered")
    row = await _status(app, "wamid.OUT2")
    assert (row.status, row.error_code, row.error_title) == (
        "failed",
        131047,
        "Re-engagement message",
    )


async def test_status_before_the_wamid_is_known_is_applied_later(app_client) -> None:
    _, app = app_client
    await _deliver(app_client, "wamid.LATE", "status_delivered")
    assert await process_status(job_ctx(app), "wamid.LATE") is None  # kept pending
    await _outbound(app, "wamid.LATE")  # the send job records the wamid
    assert await recover_pending(job_ctx(app)) >= 1
    assert await process_status(job_ctx(app), "wamid.LATE") == "delivered"


async def test_batch_of_messages_and_statuses(app_client) -> None:
    client, app = app_client
    await _outbound(app, "wamid.OUTB1", status="queued")
    assert (await post_webhook(client, load_payload("batch_mixed"))).status_code == 200
    inbound = await stored_rows(app, "inbound")
    assert [(r.wamid, r.tenant_id) for r in inbound] == [
        ("wamid.B1", "106540352242922"),
        ("wamid.B2", "106540352242922"),
        ("wamid.B3", "100200300400500"),
    ]
    assert [r.text for r in inbound] == ["hola", "what time do you close?", "Sim"]
    jobs = await job_ctx(app)["redis"].queued_jobs()
    assert sorted((j.function, j.args) for j in jobs) == [
        ("process_message", ("wamid.B1",)),
        ("process_message", ("wamid.B2",)),
        ("process_message", ("wamid.B3",)),
        ("process_status", ("wamid.OUTB1",)),
        ("process_status", ("wamid.OUTB1",)),
        ("process_status", ("wamid.OUTB2",)),
    ]
    assert await process_status(job_ctx(app), "wamid.OUTB1") == "delivered"
