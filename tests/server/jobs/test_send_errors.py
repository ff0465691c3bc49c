"""`send_message` error paths: retried by code with backoff, or recorded and not retried."""

from __future__ import annotations

import json
import logging

import httpx
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
    meta_error,
    outbound_rows,
    reload,
    request_json,
    sending_resources,
)

from graph.messages import TextMessage
from server.jobs import job_queue, send_job_id
from server.jobs.send import send_message
from server.whatsapp.metrics import read_send_metrics

RETRYABLE = [
    pytest.param(meta_error(130429, 429), 130429, id="130429-throughput"),
    pytest.param(meta_error(131056, 400), 131056, id="131056-pair-rate"),
    pytest.param(meta_error(131000, 500), 131000, id="131000-something-went-wrong"),
    pytest.param(httpx.Response(503, text="unavailable"), None, id="5xx-no-body"),
    pytest.param(httpx.ConnectError("refused"), None, id="connection-error"),
    pytest.param(httpx.ReadTimeout("slow"), None, id="timeout"),
]


@pytest.mark.parametrize(("failure", "code"), RETRYABLE)
async def test_retryable_errors_defer_the_job_then_the_retry_sends(  # type: ignore[no-untyped-def]
    resources, failure, code
) -> None:
    row = await add_reply(resources)
    with respx.mock() as mock:
        route = mock.post(URL).mock(side_effect=[failure, accepted("wamid.OK")])
        async with job_context(resources) as ctx:
            with pytest.raises(Retry) as caught:
                await send_message(ctx, row.id)
            assert caught.value.defer_score is not None and caught.value.defer_score >= 1_000
            stored = await reload(resources, row.id)
            assert (stored.status, stored.attempts, stored.error_code) == ("queued", 1, code)
            if code == 131056:  # Meta said "too often to this user": our limiter now agrees
                with pytest.raises(Retry):
                    await send_message(ctx, row.id)
                assert route.call_count == 1
                limiter_key = f"ratelimit:whatsapp:{{{PHONE_ID}}}:pair:{USER}"
                await resources.redis.delete(limiter_key)  # as if the interval had passed
            assert await send_message(ctx, row.id) == "sent"
    assert route.call_count == 2
    stored = await reload(resources, row.id)
    assert (stored.status, stored.wamid, stored.attempts) == ("sent", "wamid.OK", 2)
    assert stored.error_code is None
    assert (await read_send_metrics(resources.redis))["counters"]["retried"] == 1


async def test_backoff_grows_with_each_attempt(monkeypatch, redis_url) -> None:  # type: ignore[no-untyped-def]
    async with sending_resources(monkeypatch, redis_url, WHATSAPP_SEND_MAX_ATTEMPTS="4") as res:
        row = await add_reply(res)
        delays = []
        with respx.mock() as mock:
            mock.post(URL).mock(return_value=meta_error(131000, 500))
            async with job_context(res) as ctx:
                for _ in range(3):
                    with pytest.raises(Retry) as caught:
                        await send_message(ctx, row.id)
                    delays.append(caught.value.defer_score)
        # base 2, 4, 8 s with up to 25 % jitter on top
        assert 2_000 <= delays[0] <= 2_500
        assert 4_000 <= delays[1] <= 5_000
        assert 8_000 <= delays[2] <= 10_000


async def test_a_retryable_error_becomes_final_after_max_attempts(monkeypatch, redis_url) -> None:  # type: ignore[no-untyped-def]
    async with sending_resources(monkeypatch, redis_url, WHATSAPP_SEND_MAX_ATTEMPTS="2") as res:
        row = await add_reply(res)
        with respx.mock() as mock:
            route = mock.post(URL).mock(
                return_value=meta_error(131000, 500, "Something went wrong")
            )
            async with job_context(res) as ctx:
                with pytest.raises(Retry):
                    await send_message(ctx, row.id)
                assert await send_message(ctx, row.id) == "failed"
                assert await send_message(ctx, row.id) == "failed"  # a third run does nothing
        assert route.call_count == 2
        stored = await reload(res, row.id)
        assert (stored.status, stored.attempts, stored.error_code) == ("failed", 2, 131000)
        assert "Something went wrong" in (stored.error_title or "")


PERMANENT = [
    pytest.param(131026, "Message undeliverable", id="131026-undeliverable"),
    pytest.param(131051, "Unsupported message type", id="131051-unsupported"),
    pytest.param(100, "Invalid parameter", id="100-invalid-parameter"),
    pytest.param(131047, "Re-engagement message", id="131047-no-template-configured"),
]


@pytest.mark.parametrize(("code", "title"), PERMANENT)
async def test_permanent_errors_are_recorded_and_not_retried(resources, code, title) -> None:  # type: ignore[no-untyped-def]
    row = await add_reply(resources)
    with respx.mock() as mock:
        route = mock.post(URL).mock(return_value=meta_error(code, 400, title))
        async with job_context(resources) as ctx:
            assert await send_message(ctx, row.id) == "failed"
            assert await send_message(ctx, row.id) == "failed"
    assert route.call_count == 1
    stored = await reload(resources, row.id)
    assert (stored.status, stored.error_code, stored.attempts) == ("failed", code, 1)
    assert title in (stored.error_title or "") and f"details of {code}" in (
        stored.error_title or ""
    )
    assert len(await outbound_rows(resources)) == 1  # no template without one configured
    counters = (await read_send_metrics(resources.redis))["counters"]
    assert counters["failed"] == 1 and counters[f"error:{code}"] == 1


async def test_outside_the_window_the_tenants_template_is_sent_instead(  # type: ignore[no-untyped-def]
    monkeypatch, redis_url
) -> None:
    templates = json.dumps({PHONE_ID: {"name": "reengage_v1", "language": "pt_BR"}})
    env = {"WHATSAPP_REENGAGEMENT_TEMPLATES": templates, "WHATSAPP_REENGAGEMENT_TEMPLATE": "other"}
    async with sending_resources(monkeypatch, redis_url, **env) as res:
        first, second = await add_turn(res, [TextMessage(body="One"), TextMessage(body="Two")])
        with respx.mock() as mock:
            route = mock.post(URL).mock(
                side_effect=[meta_error(131047), meta_error(131047), accepted("wamid.T")]
            )
            async with job_context(res) as ctx:
                assert await send_message(ctx, first.id) == "failed"
                assert await send_message(ctx, second.id) == "failed"
                rows = await outbound_rows(res)
                assert [r.idempotency_key for r in rows][2:] == ["wamid.IN1:reengage"]  # once
                template_row = rows[2]
                key = send_job_id("wamid.IN1:reengage")
                assert await Job(key, job_queue(res.redis)).status() == JobStatus.queued
                assert await send_message(ctx, template_row.id) == "sent"
        assert request_json(route.calls.last)["template"] == {
            "name": "reengage_v1",
            "language": {"code": "pt_BR"},
        }
        assert "context" not in request_json(route.calls.last)
        assert (await reload(res, template_row.id)).wamid == "wamid.T"


@pytest.mark.parametrize("code", [190, 368, 131031])
async def test_token_and_account_errors_raise_an_alert(resources, code, caplog) -> None:  # type: ignore[no-untyped-def]
    row = await add_reply(resources)
    caplog.set_level(logging.ERROR, logger="server.whatsapp.metrics")
    with respx.mock() as mock:
        mock.post(URL).mock(return_value=meta_error(code, 401 if code == 190 else 403))
        async with job_context(resources) as ctx:
            assert await send_message(ctx, row.id) == "failed"
    alerts = [r for r in caplog.records if r.getMessage() == "whatsapp.alert"]
    assert len(alerts) == 1
    assert alerts[0].fields["code"] == code  # type: ignore[attr-defined]
    report = await read_send_metrics(resources.redis)
    assert report["counters"][f"alert:{code}"] == 1
    assert report["last_alert"]["code"] == code  # type: ignore[index]
    assert (await reload(resources, row.id)).error_code == code


async def test_a_failed_part_abandons_the_rest_of_the_reply(resources) -> None:  # type: ignore[no-untyped-def]
    row = await add_reply(resources, "\n\n".join(["x " * 1500] * 3))
    with respx.mock() as mock:
        route = mock.post(URL).mock(side_effect=[accepted("wamid.P1"), meta_error(131026)])
        async with job_context(resources) as ctx:
            assert await send_message(ctx, row.id) == "sent"  # the first part went out
    assert route.call_count == 2
    statuses = [(r.status, r.error_code) for r in await outbound_rows(resources)]
    assert statuses == [("sent", None), ("failed", 131026), ("failed", None)]


def test_backoff_by_code() -> None:
    import random

    from server.whatsapp.errors import ERROR_CLASSES, ApiErrorDetails
    from server.whatsapp.sender import backoff_seconds

    class NoJitter(random.Random):
        def random(self) -> float:
            return 0.0

    def delays(code: int) -> list[float]:
        error = ERROR_CLASSES[code](ApiErrorDetails(code=code, title="x"))
        return [backoff_seconds(error, attempt, NoJitter()) for attempt in (1, 2, 3, 4)]

    assert delays(131056) == [1, 4, 16, 64]  # Meta: retry after 4^X seconds
    assert delays(130429) == [1, 2, 4, 8]
    assert delays(131057) == [60, 60, 60, 60]
    assert delays(131000) == [2, 4, 8, 16]
