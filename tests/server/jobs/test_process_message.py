"""process_message: stored once, turn triggered once, only for text/button/interactive."""

from __future__ import annotations

import logging

import pytest
import redis.exceptions
from arq.worker import Retry
from webhook_support import job_ctx, load_payload, post_webhook, stored_rows

from server.jobs.process import process_message
from server.settings import get_settings


async def test_text_message_triggers_one_turn_and_logs_the_original_event(
    app_client, caplog: pytest.LogCaptureFixture
) -> None:
    client, app = app_client
    await post_webhook(client, load_payload("text"))
    ctx = job_ctx(app)
    await ctx["redis"].delete("arq:queue")  # the webhook's own job: run the function directly
    with caplog.at_level(logging.INFO):
        assert await process_message(ctx, "wamid.TEXT1") == "orchestrating"
    (record,) = [
        r for r in caplog.records if r.getMessage() == "process_message.orchestration_triggered"
    ]
    fields = record.fields  # type: ignore[attr-defined]
    (row,) = await stored_rows(app)
    assert fields == {
        "wa_message_id": row.id,
        "provider_message_id": "wamid.TEXT1",
        "message_type": "text",
    }
    assert row.status == "processed"
    jobs = await ctx["redis"].queued_jobs()
    assert [(j.function, j.args) for j in jobs] == [("orchestrate_turn", ("wamid.TEXT1",))]
    assert await ctx["redis"].exists("arq:job:orchestrate:wamid.TEXT1")


async def test_rerun_is_a_no_op(app_client) -> None:
    client, app = app_client
    await post_webhook(client, load_payload("text"))
    ctx = job_ctx(app)
    await ctx["redis"].delete("arq:queue")
    assert await process_message(ctx, "wamid.TEXT1") == "orchestrating"
    await ctx["redis"].delete("arq:queue", "arq:job:orchestrate:wamid.TEXT1")
    assert await process_message(ctx, "wamid.TEXT1") == "duplicate"
    assert await ctx["redis"].queued_jobs() == []


@pytest.mark.parametrize(
    ("name", "wamid", "outcome"),
    [
        ("interactive_button_reply", "wamid.BTN1", "orchestrating"),
        ("interactive_list_reply", "wamid.LIST1", "orchestrating"),
        ("button", "wamid.TPL1", "orchestrating"),
        ("image", "wamid.IMG1", "stored"),
        ("reaction", "wamid.REA1", "stored"),
        ("interactive_missing_object", "wamid.IMISS1", "stored"),
        ("interactive_nfm_reply", "wamid.NFM1", "stored"),
        ("unsupported", "wamid.UNS1", "stored"),
    ],
)
async def test_only_text_button_and_interactive_replies_start_a_turn(
    app_client, name: str, wamid: str, outcome: str
) -> None:
    client, app = app_client
    await post_webhook(client, load_payload(name))
    ctx = job_ctx(app)
    await ctx["redis"].delete("arq:queue")
    assert await process_message(ctx, wamid) == outcome
    (row,) = await stored_rows(app)
    assert row.status == "processed"


async def test_orchestration_disabled_stores_without_a_turn(app_client, monkeypatch) -> None:
    client, app = app_client
    await post_webhook(client, load_payload("text"))
    monkeypatch.setenv("ENABLE_ORCHESTRATION", "false")
    get_settings.cache_clear()
    ctx = job_ctx(app)
    ctx["resources"].settings = get_settings()
    await ctx["redis"].delete("arq:queue")
    assert await process_message(ctx, "wamid.TEXT1") == "stored"
    assert await ctx["redis"].queued_jobs() == []


async def test_unknown_wamid_is_reported_missing(app_client) -> None:
    _, app = app_client
    assert await process_message(job_ctx(app), "wamid.NOPE") == "missing"


async def test_redis_down_while_enqueueing_is_retried_with_backoff(app_client, monkeypatch) -> None:
    client, app = app_client
    await post_webhook(client, load_payload("text"))
    ctx = job_ctx(app, job_try=2)

    async def down(*args: object, **kwargs: object) -> object:
        raise redis.exceptions.ConnectionError("connection refused")

    monkeypatch.setattr(type(ctx["redis"]), "enqueue_job", down)
    with pytest.raises(Retry) as raised:
        await process_message(ctx, "wamid.TEXT1")
    assert raised.value.defer_score == 2000
    (row,) = await stored_rows(app)
    assert row.status == "received"  # not marked: the retry will trigger the turn
    ctx["job_try"] = 5
    with pytest.raises(redis.exceptions.ConnectionError):  # bounded: the last try gives up
        await process_message(ctx, "wamid.TEXT1")


async def test_a_turn_whose_job_was_lost_is_recovered(app_client) -> None:
    """Redis lost the orchestrate job (e.g. flushed): the recovery sweep re-enqueues the
    turn of a processed but unanswered message once it is old enough, and only then."""
    from datetime import timedelta

    from sqlalchemy import update
    from webhook_support import resources_of

    from server.jobs.process import UNANSWERED_AFTER, recover_pending
    from server.store.models import WaMessage, utcnow

    client, app = app_client
    await post_webhook(client, load_payload("text"))
    await post_webhook(client, load_payload("image"))
    ctx = job_ctx(app)
    await ctx["redis"].delete("arq:queue")
    assert await process_message(ctx, "wamid.TEXT1") == "orchestrating"
    assert await process_message(ctx, "wamid.IMG1") == "stored"
    await ctx["redis"].delete("arq:queue", "arq:job:orchestrate:wamid.TEXT1")  # the job is lost
    assert await recover_pending(ctx) == 0  # too recent: its job may still be running
    async with resources_of(app).sessions.begin() as session:
        await session.execute(
            update(WaMessage).values(status_updated_at=utcnow() - UNANSWERED_AFTER - timedelta(1))
        )
    assert await recover_pending(ctx) == 1  # the text's turn; the image never starts one
    jobs = await ctx["redis"].queued_jobs()
    assert [(j.function, j.args) for j in jobs] == [("orchestrate_turn", ("wamid.TEXT1",))]
    assert await recover_pending(ctx) == 0  # already queued: the job id dedupes
