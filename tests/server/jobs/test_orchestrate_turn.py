"""orchestrate_turn: turn built from the stored message, replies in the outbox, retries."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from arq.worker import Retry
from webhook_support import FakeController, job_ctx, load_payload, post_webhook, stored_rows

from graph.messages import InboundTurn
from graph.session.errors import StaleStateError
from server.controller import orchestrated_key, processed_key
from server.jobs.orchestrate import REDIS_SWITCH_BUDGET_S, TurnClaimedElsewhere, orchestrate_turn
from server.locks import LockError
from server.settings import get_settings


async def _received(app_client, name: str):  # type: ignore[no-untyped-def]
    client, app = app_client
    await post_webhook(client, load_payload(name))
    ctx = job_ctx(app, controller=FakeController())
    await ctx["redis"].delete("arq:queue")
    return app, ctx


async def test_text_turn_reply_is_logged_when_sending_is_disabled(
    app_client, caplog: pytest.LogCaptureFixture
) -> None:
    app, ctx = await _received(app_client, "text_referral")
    with caplog.at_level(logging.INFO):
        assert await orchestrate_turn(ctx, "wamid.AD1") == "completed"
    (turn,) = ctx["controller"].turns
    assert (turn.tenant_id, turn.wa_id, turn.msg_id) == (
        "106540352242922",
        "16505551234",
        "wamid.AD1",
    )
    assert (turn.text, turn.message_type, turn.choice_id) == ("Hi! I saw your ad", "text", None)
    assert turn.profile_name == "Sheena Nelson"
    inbound, reply = await stored_rows(app)
    assert inbound.status == "answered"
    assert (reply.direction, reply.status, reply.message_type) == ("outbound", "logged", "text")
    assert reply.idempotency_key == "wamid.AD1:reply:0"
    assert reply.context_wamid == "wamid.AD1" and reply.wa_id == "16505551234"
    assert reply.payload == {"kind": "text", "body": "echo: Hi! I saw your ad"}
    assert reply.text == "echo: Hi! I saw your ad"
    assert "orchestrate_turn.reply_logged" in [r.getMessage() for r in caplog.records]
    assert await ctx["redis"].queued_jobs() == []  # nothing to send


@pytest.mark.parametrize(
    ("name", "wamid", "text", "choice"),
    [
        ("interactive_button_reply", "wamid.BTN1", "Opening hours", "hours"),
        ("interactive_list_reply", "wamid.LIST1", "Order status", "order_status"),
        ("button", "wamid.TPL1", "Stop promotions", "STOP_PROMOS"),
    ],
)
async def test_button_and_list_replies_become_title_and_choice_id(
    app_client, name: str, wamid: str, text: str, choice: str
) -> None:
    _, ctx = await _received(app_client, name)
    await orchestrate_turn(ctx, wamid)
    (turn,) = ctx["controller"].turns
    assert (turn.text, turn.choice_id) == (text, choice)


async def test_sending_enabled_queues_the_reply_and_enqueues_one_send_job(
    app_client, monkeypatch
) -> None:
    app, ctx = await _received(app_client, "text")
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "test-token")
    get_settings.cache_clear()
    ctx["resources"].settings = get_settings()
    await orchestrate_turn(ctx, "wamid.TEXT1")
    await orchestrate_turn(ctx, "wamid.TEXT1")  # a re-run: no second reply, no second job
    _, reply = await stored_rows(app)
    assert reply.status == "queued"
    jobs = await ctx["redis"].queued_jobs()
    assert [(j.function, j.args) for j in jobs] == [("send_message", (reply.id,))]
    assert await ctx["redis"].exists("arq:job:send:wamid.TEXT1:reply:0")
    assert len(ctx["controller"].turns) == 1


async def test_rerun_after_completion_is_a_duplicate(app_client) -> None:
    app, ctx = await _received(app_client, "text")
    assert await orchestrate_turn(ctx, "wamid.TEXT1") == "completed"
    assert await orchestrate_turn(ctx, "wamid.TEXT1") == "duplicate"
    assert len(ctx["controller"].turns) == 1
    assert len(await stored_rows(app, "outbound")) == 1


@pytest.mark.parametrize(
    "error", [LockError("session busy"), StaleStateError("version moved", expected=1, actual=2)]
)
async def test_session_conflicts_are_retried_with_backoff_then_given_up(
    app_client, error: Exception
) -> None:
    app, ctx = await _received(app_client, "text")
    ctx["controller"].error = error
    ctx["job_try"] = 3
    with pytest.raises(Retry) as raised:
        await orchestrate_turn(ctx, "wamid.TEXT1")
    assert raised.value.defer_score == 4000
    (inbound,) = await stored_rows(app)
    assert inbound.status == "received"
    ctx["job_try"] = 5
    with pytest.raises(type(error)):
        await orchestrate_turn(ctx, "wamid.TEXT1")
    (inbound,) = await stored_rows(app)
    assert inbound.status == "turn_failed"


async def test_a_bug_is_not_retried_and_marks_the_turn_failed(app_client) -> None:
    app, ctx = await _received(app_client, "text")
    ctx["controller"].error = ValueError("bug in a lane")
    with pytest.raises(ValueError, match="bug in a lane"):
        await orchestrate_turn(ctx, "wamid.TEXT1")
    (inbound,) = await stored_rows(app)
    assert inbound.status == "turn_failed"
    ctx["controller"].error = None  # fixed and re-run by hand: the turn completes
    assert await orchestrate_turn(ctx, "wamid.TEXT1") == "completed"
    assert [r.status for r in await stored_rows(app)] == ["answered", "logged"]


class DuplicateController(FakeController):
    def __init__(self, *, committed: bool = False) -> None:
        super().__init__()
        self.committed = committed

    async def handle_turn(self, turn: InboundTurn, backlog: Any = None) -> Any:
        self.turns.append(turn)
        return SimpleNamespace(
            status="duplicate",
            lane=None,
            messages=[],
            state_version=None,
            understanding=None,
            committed=self.committed,
        )


async def test_duplicate_of_a_committed_turn_dispatches_what_is_stored(app_client) -> None:
    app, ctx = await _received(app_client, "text")
    ctx["controller"] = DuplicateController()
    await ctx["resources"].redis.set(processed_key("wamid.TEXT1"), "1")
    assert await orchestrate_turn(ctx, "wamid.TEXT1") == "duplicate"
    (inbound,) = await stored_rows(app)
    assert inbound.status == "answered"


async def test_a_committed_duplicate_without_a_marker_dispatches_what_is_stored(
    app_client,
) -> None:
    """The marker is gone once the outbox had the replies; the controller still says the
    turn is committed, and the job dispatches, it does not wait for a claim."""
    app, ctx = await _received(app_client, "text")
    ctx["controller"] = DuplicateController(committed=True)
    assert await orchestrate_turn(ctx, "wamid.TEXT1") == "duplicate"
    (inbound,) = await stored_rows(app)
    assert inbound.status == "answered"


async def test_storing_the_replies_drops_the_marker_that_kept_them(app_client) -> None:
    app, ctx = await _received(app_client, "text")
    await ctx["resources"].redis.set(processed_key("wamid.TEXT1"), '[{"kind":"text","body":"x"}]')
    assert await orchestrate_turn(ctx, "wamid.TEXT1") == "completed"
    assert not await ctx["resources"].redis.exists(processed_key("wamid.TEXT1"))
    assert len(await stored_rows(app, "outbound")) == 1


async def test_duplicate_of_a_claimed_turn_retries_after_the_claim_expires(app_client) -> None:
    app, ctx = await _received(app_client, "text")
    ctx["controller"] = DuplicateController()
    await ctx["resources"].redis.set(orchestrated_key("wamid.TEXT1"), "1", ex=120)
    with pytest.raises(Retry) as raised:
        await orchestrate_turn(ctx, "wamid.TEXT1")
    assert 120_000 < (raised.value.defer_score or 0) <= 121_000
    (inbound,) = await stored_rows(app)
    assert inbound.status == "received"  # not answered: the retry runs the turn
    ctx["job_try"] = 5
    ctx["enqueue_time"] = datetime.now(UTC)  # young: its tries went on a Redis switch
    with pytest.raises(Retry):
        await orchestrate_turn(ctx, "wamid.TEXT1")
    ctx["enqueue_time"] = datetime.now(UTC) - timedelta(seconds=REDIS_SWITCH_BUDGET_S + 1)
    with pytest.raises(TurnClaimedElsewhere):
        await orchestrate_turn(ctx, "wamid.TEXT1")
    (inbound,) = await stored_rows(app)
    assert inbound.status == "turn_failed"


def _wrapped_connection_error() -> Exception:
    """What the checkpointer raised after a Redis restart: redisvl's error around the
    connection error of a pooled connection that died with the old server."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redisvl.exceptions import RedisVLError

    try:
        try:
            raise RedisConnectionError("Connection closed by server.")
        except RedisConnectionError as exc:
            raise RedisVLError("Failed to load data: Connection closed by server.") from exc
    except RedisVLError as wrapped:
        return wrapped


async def test_a_wrapped_connection_error_is_retried_then_recovered(app_client) -> None:
    """A Redis restart mid-turn: retried with backoff; once the tries are spent the turn is
    `turn_failed` as transient, and the recovery sweep runs it again until it is answered."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update
    from webhook_support import resources_of

    from server.jobs.orchestrate import REDIS_SWITCH_BUDGET_S
    from server.jobs.process import FAILED_RETRY_AFTER, recover_pending
    from server.store.models import WaMessage, utcnow

    app, ctx = await _received(app_client, "text")
    ctx["controller"].error = _wrapped_connection_error()
    with pytest.raises(Retry) as raised:
        await orchestrate_turn(ctx, "wamid.TEXT1")
    assert raised.value.defer_score == 1000
    (inbound,) = await stored_rows(app)
    assert inbound.status == "received"  # not failed: the retry runs it
    # Redis away is waited for up to the turn's budget (`server.jobs.retry`), then given up
    ctx["job_try"] = 5
    ctx["enqueue_time"] = datetime.now(UTC) - timedelta(seconds=REDIS_SWITCH_BUDGET_S + 1)
    with pytest.raises(Exception, match="Failed to load data"):
        await orchestrate_turn(ctx, "wamid.TEXT1")
    (inbound,) = await stored_rows(app)
    assert inbound.status == "turn_failed"
    assert inbound.error_title.startswith("transient: RedisVLError <- ConnectionError")
    assert "Hi" not in inbound.error_title  # no customer text in the recorded cause

    assert await recover_pending(ctx) == 0  # just given up: not yet
    async with resources_of(app).sessions.begin() as session:
        await session.execute(
            update(WaMessage).values(status_updated_at=utcnow() - FAILED_RETRY_AFTER - timedelta(1))
        )
    # arq keeps the failed job's result an hour: the sweep drops it so the turn can run
    await ctx["redis"].set("arq:result:orchestrate:wamid.TEXT1", b"x")
    assert await recover_pending(ctx) == 1
    jobs = await ctx["redis"].queued_jobs()
    assert [(j.function, j.args) for j in jobs] == [("orchestrate_turn", ("wamid.TEXT1",))]
    assert await recover_pending(ctx) == 0  # queued: not twice
    ctx["controller"].error = None
    ctx["job_try"] = 1
    ctx["enqueue_time"] = datetime.now(UTC)
    assert await orchestrate_turn(ctx, "wamid.TEXT1") == "completed"
    assert [r.status for r in await stored_rows(app)] == ["answered", "logged"]


async def test_a_permanent_failure_waits_for_retry_failed(app_client) -> None:
    """A bug is not re-run by the sweep; `convo retry-failed` runs it once fixed."""
    from datetime import timedelta

    from sqlalchemy import update
    from webhook_support import resources_of

    from server.jobs.process import recover_pending, retry_failed
    from server.store.models import WaMessage, utcnow

    app, ctx = await _received(app_client, "text")
    ctx["controller"].error = ValueError("bug in a lane")
    with pytest.raises(ValueError):
        await orchestrate_turn(ctx, "wamid.TEXT1")
    async with resources_of(app).sessions.begin() as session:
        await session.execute(update(WaMessage).values(status_updated_at=utcnow() - timedelta(1)))
    assert await recover_pending(ctx) == 0
    (inbound,) = await stored_rows(app)
    assert inbound.error_title.startswith("permanent: ValueError")
    assert await retry_failed(resources_of(app), ctx["redis"]) == 1
    ctx["controller"].error = None
    assert await orchestrate_turn(ctx, "wamid.TEXT1") == "completed"
