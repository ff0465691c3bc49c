"""`send_message`: sends an outbox row once, in order, within the limits, and records it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import respx
from arq.jobs import Job, JobStatus
from arq.worker import Retry
from send_support import (
    PHONE_ID,
    URL,
    USER,
    accepted,
    add_reply,
    add_turn,
    job_context,
    outbound_rows,
    reload,
    request_json,
    sending_resources,
)
from sqlalchemy import update

from graph.messages import Button, ButtonsMessage, TextMessage
from server.jobs import job_queue, send_job_id
from server.jobs.send import recover_outbox, send_message
from server.resources import Resources
from server.store.models import WaMessage, utcnow
from server.whatsapp.metrics import read_send_metrics
from server.worker import build_worker


@respx.mock
async def test_sends_a_contextual_reply_and_records_its_wamid(resources) -> None:  # type: ignore[no-untyped-def]
    route = respx.post(URL).mock(return_value=accepted("wamid.OUT1"))
    row = await add_reply(resources, "Our store opens at 9.")
    async with job_context(resources) as ctx:
        assert await send_message(ctx, row.id) == "sent"
    body = request_json(route.calls.last)
    assert body["to"] == f"+{USER}"
    assert body["text"]["body"] == "Our store opens at 9."
    assert body["context"] == {"message_id": "wamid.IN1"}
    assert body["biz_opaque_callback_data"] == "wamid.IN1:reply:0"
    stored = await reload(resources, row.id)
    assert (stored.status, stored.wamid, stored.attempts) == ("sent", "wamid.OUT1", 1)
    assert (await read_send_metrics(resources.redis))["counters"]["sent"] == 1


@respx.mock
async def test_a_job_run_twice_sends_once(resources) -> None:  # type: ignore[no-untyped-def]
    route = respx.post(URL).mock(return_value=accepted("wamid.OUT1"))
    row = await add_reply(resources)
    async with job_context(resources) as ctx:
        assert await send_message(ctx, row.id) == "sent"
        assert await send_message(ctx, row.id) == "sent"  # the status it already had
    assert route.call_count == 1


@respx.mock
async def test_the_worker_runs_enqueued_send_jobs_once_per_key(resources) -> None:  # type: ignore[no-untyped-def]
    route = respx.post(URL).mock(return_value=accepted("wamid.OUT1"))
    row = await add_reply(resources)
    queue = job_queue(resources.redis)
    job_id = send_job_id(row.idempotency_key)
    assert await queue.enqueue_job("send_message", row.id, _job_id=job_id) is not None
    assert await queue.enqueue_job("send_message", row.id, _job_id=job_id) is None  # deduped
    worker = build_worker(resources, burst=True, handle_signals=False)
    try:
        await worker.main()
    finally:
        await worker.close()
    assert await Job(job_id, queue).result(timeout=5) == "sent"
    assert route.call_count == 1
    assert (await reload(resources, row.id)).wamid == "wamid.OUT1"


async def test_a_claim_left_by_a_dead_worker_is_never_resent(resources) -> None:  # type: ignore[no-untyped-def]
    """The crash between the Graph API call and the DB write: at-most-once."""
    row = await add_reply(resources)
    await set_row(
        resources, row.id, status="sending", status_updated_at=utcnow() - timedelta(minutes=5)
    )
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(URL).mock(return_value=accepted("wamid.DUP"))
        async with job_context(resources) as ctx:
            assert await send_message(ctx, row.id) == "unknown"
    assert not route.called
    stored = await reload(resources, row.id)
    assert stored.status == "unknown" and stored.wamid is None


async def test_a_fresh_claim_of_another_job_is_waited_for(resources) -> None:  # type: ignore[no-untyped-def]
    row = await add_reply(resources)
    await set_row(resources, row.id, status="sending", status_updated_at=utcnow())
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(URL).mock(return_value=accepted("wamid.DUP"))
        async with job_context(resources) as ctx:
            with pytest.raises(Retry):
                await send_message(ctx, row.id)
    assert not route.called
    assert (await reload(resources, row.id)).status == "sending"


@respx.mock
async def test_a_long_reply_is_sent_as_parts_in_order_each_with_its_wamid(resources) -> None:  # type: ignore[no-untyped-def]
    route = respx.post(URL).mock(
        side_effect=[accepted("wamid.P1"), accepted("wamid.P2"), accepted("wamid.P3")]
    )
    paragraph = ("Returns are free within thirty days of delivery. " * 60).strip()
    row = await add_reply(resources, "\n\n".join([paragraph] * 3))
    async with job_context(resources) as ctx:
        assert await send_message(ctx, row.id) == "sent"
        assert await send_message(ctx, row.id) == "sent"  # re-run: nothing resent
    assert route.call_count == 3
    assert [request_json(call)["text"]["body"] for call in route.calls] == [paragraph] * 3
    rows = await outbound_rows(resources)
    assert [(r.idempotency_key, r.status, r.wamid) for r in rows] == [
        ("wamid.IN1:reply:0", "sent", "wamid.P1"),
        ("wamid.IN1:reply:0:part:2", "sent", "wamid.P2"),
        ("wamid.IN1:reply:0:part:3", "sent", "wamid.P3"),
    ]
    assert rows[0].text == paragraph


@respx.mock
async def test_a_later_reply_waits_for_the_earlier_one(resources) -> None:  # type: ignore[no-untyped-def]
    route = respx.post(URL).mock(side_effect=[accepted("wamid.A"), accepted("wamid.B")])
    first, second = await add_turn(resources, [TextMessage(body="One"), TextMessage(body="Two")])
    async with job_context(resources) as ctx:
        with pytest.raises(Retry):
            await send_message(ctx, second.id)
        assert not route.called
        assert await send_message(ctx, first.id) == "sent"
        assert await send_message(ctx, second.id) == "sent"
    assert [request_json(call)["text"]["body"] for call in route.calls] == ["One", "Two"]


@respx.mock
async def test_messages_that_answer_no_user_message_keep_their_order(resources) -> None:  # type: ignore[no-untyped-def]
    """A person's messages ("Ana joined the chat", then Ana's reply) have no user message
    to follow; they still go out in the order they were written."""
    route = respx.post(URL).mock(side_effect=[accepted("wamid.J"), accepted("wamid.R")])
    rows = []
    async with resources.sessions.begin() as session:
        for key, body in (("handoff:1:1:joined", "Ana joined the chat."), ("agent:1:r1", "Hi!")):
            row = WaMessage(
                direction="outbound", idempotency_key=key, tenant_id=PHONE_ID, wa_id=USER,
                message_type="text", text=body, payload=TextMessage(body=body).model_dump(),
                status="queued", attempts=0, author="system",
            )  # fmt: skip
            session.add(row)
            rows.append(row)
    joined, reply = rows
    async with job_context(resources) as ctx:
        with pytest.raises(Retry):
            await send_message(ctx, reply.id)
        assert not route.called
        assert await send_message(ctx, joined.id) == "sent"
        assert await send_message(ctx, reply.id) == "sent"
    assert [request_json(call)["text"]["body"] for call in route.calls] == [
        "Ana joined the chat.",
        "Hi!",
    ]


async def test_the_pair_limit_defers_the_job_instead_of_calling_meta(  # type: ignore[no-untyped-def]
    monkeypatch, redis_url
) -> None:
    env = {"WHATSAPP_PAIR_BURST": "1", "WHATSAPP_SEND_MAX_WAIT_SECONDS": "0"}
    async with sending_resources(monkeypatch, redis_url, **env) as resources:
        first = await add_reply(resources, "One", wamid="wamid.IN1")
        second = await add_reply(resources, "Two", wamid="wamid.IN2")
        with respx.mock() as mock:
            route = mock.post(URL).mock(return_value=accepted("wamid.A"))
            async with job_context(resources) as ctx:
                assert await send_message(ctx, first.id) == "sent"
                with pytest.raises(Retry) as caught:
                    await send_message(ctx, second.id)
        assert route.call_count == 1
        assert 5_000 <= caught.value.defer_score <= 6_200  # about one pair interval
        stored = await reload(resources, second.id)
        assert (stored.status, stored.attempts) == ("queued", 0)  # no attempt spent
        assert (await read_send_metrics(resources.redis))["counters"]["rate_limited"] == 1


async def test_a_message_over_the_limits_fails_without_a_request(resources) -> None:  # type: ignore[no-untyped-def]
    wordy = ButtonsMessage(body="Pick", buttons=(Button(id="a", title="Track my order please"),))
    (row,) = await add_turn(resources, [wordy])
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(URL).mock(return_value=accepted("wamid.X"))
        async with job_context(resources) as ctx:
            assert await send_message(ctx, row.id) == "failed"
    assert not route.called
    stored = await reload(resources, row.id)
    assert stored.status == "failed"
    assert stored.error_title == "buttons[0].title is 21 characters; WhatsApp allows at most 20"


async def test_without_a_token_nothing_is_sent(monkeypatch, redis_url) -> None:  # type: ignore[no-untyped-def]
    async with sending_resources(monkeypatch, redis_url, WHATSAPP_ACCESS_TOKEN="") as resources:
        assert not resources.settings.sending_enabled
        row = await add_reply(resources)
        with respx.mock(assert_all_called=False) as mock:
            route = mock.post(URL).mock(return_value=accepted("wamid.X"))
            async with job_context(resources) as ctx:
                assert await send_message(ctx, row.id) == "disabled"
        assert not route.called
        assert (await reload(resources, row.id)).status == "queued"


async def test_an_unknown_row_is_reported_missing(resources) -> None:  # type: ignore[no-untyped-def]
    async with job_context(resources) as ctx:
        assert await send_message(ctx, 987654) == "missing"


async def set_row(resources: Resources, row_id: int, **values: object) -> None:
    async with resources.sessions.begin() as session:
        await session.execute(update(WaMessage).where(WaMessage.id == row_id).values(**values))


async def test_recovery_re_enqueues_only_stale_rows_once(resources) -> None:  # type: ignore[no-untyped-def]
    stale = await add_reply(resources, "old", wamid="wamid.OLD")
    fresh = await add_reply(resources, "new", wamid="wamid.NEW")
    await set_row(resources, stale.id, updated_at=utcnow() - timedelta(minutes=10))
    async with job_context(resources) as ctx:
        assert await recover_outbox(ctx) == 1
        assert await recover_outbox(ctx) == 0  # its job is queued: not doubled
    queue = job_queue(resources.redis)
    assert await Job(send_job_id(stale.idempotency_key), queue).status() == JobStatus.queued
    assert await Job(send_job_id(fresh.idempotency_key), queue).status() == JobStatus.not_found


async def test_a_reply_whose_job_was_lost_is_re_enqueued_after_a_minute(resources) -> None:  # type: ignore[no-untyped-def]
    """Redis killed right after the turn stored its reply and enqueued the send: with
    `appendfsync everysec` the job may not be on disk. The sweep sends it after a minute
    (not three: the customer waits for it)."""
    lost = await add_reply(resources, "hola", wamid="wamid.LOST")
    recent = await add_reply(resources, "hi", wamid="wamid.RECENT")
    await set_row(resources, lost.id, updated_at=utcnow() - timedelta(seconds=70))
    await set_row(resources, recent.id, updated_at=utcnow() - timedelta(seconds=20))
    async with job_context(resources) as ctx:
        assert await recover_outbox(ctx) == 1
    queue = job_queue(resources.redis)
    assert await Job(send_job_id(lost.idempotency_key), queue).status() == JobStatus.queued
    assert await Job(send_job_id(recent.idempotency_key), queue).status() == JobStatus.not_found
