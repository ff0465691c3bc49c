"""`process_message` and `process_status`: the first jobs after the webhook.

The webhook already stored the raw message (status `received`) or status event before
answering 200; these jobs do the rest, once, however often they run:

- `process_message(wamid)`: re-parses the stored message, triggers a turn when it is a
  text/button/interactive message and orchestration is on, then marks it `processed`.
  The turn is enqueued *before* the row is marked, so a crash in between re-runs the job
  and re-enqueues under the same job id (no double turn).
- `process_status(wamid)`: applies the stored statuses of an outbound message monotonically.
- `recover_pending()`: cron + start-up sweep that re-enqueues work stored by the webhook
  whose job never got queued (Redis was down when the webhook answered), turns whose job
  was lost, and turns that failed for a transient cause (see `server.jobs.retry`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from arq.connections import ArqRedis

from server import metrics
from server.jobs import (
    ORCHESTRATE_TURN,
    PROCESS_MESSAGE,
    PROCESS_STATUS,
    burst,
    enqueue_again,
    enqueue_once,
    orchestrate_job_id,
    process_job_id,
    queue_from_ctx,
    status_job_id,
)
from server.jobs.retry import retry_transient
from server.logging import get_logger
from server.resources import Resources
from server.store import repository
from server.store.models import WaMessage, utcnow
from server.whatsapp.updates import Message

log = get_logger(__name__)


async def process_message(ctx: dict[str, Any], wamid: str) -> str:
    """Process one stored inbound message; returns what happened (for logs and tests)."""
    resources: Resources = ctx["resources"]
    async with retry_transient(ctx, "process_message", provider_message_id=wamid):
        async with resources.sessions() as session:
            row = await repository.get_by_wamid(session, wamid)
        if row is None:
            log.warning("process_message.not_found", provider_message_id=wamid)
            return "missing"
        if row.status != repository.RECEIVED:
            log.info("process_message.duplicate", provider_message_id=wamid, status=row.status)
            return "duplicate"
        message = Message.from_envelope(row.payload)
        triggered = resources.settings.enable_orchestration and message.starts_turn
        if triggered:
            await _trigger_turn(ctx, row, message)
        async with resources.sessions.begin() as session:
            await repository.advance_inbound(
                session, wamid, repository.PROCESSED, from_statuses=[repository.RECEIVED]
            )
        log.info(
            "process_message.completed",
            wa_message_id=row.id,
            provider_message_id=wamid,
            message_type=row.message_type,
            partial=message.is_partial,
            orchestration=triggered,
        )
        return "orchestrating" if triggered else "stored"


async def _trigger_turn(ctx: dict[str, Any], row: WaMessage, message: Message) -> None:
    # A text of a tenant with a burst window: its turn runs once the window is over (queued
    # until then, holding no worker slot), to take the follow-ups with it.
    defer_s = burst.enqueue_delay_s(ctx["resources"], row)
    log.info(
        "process_message.orchestration_triggered",
        wa_message_id=row.id,
        provider_message_id=message.id,
        message_type=message.type,
        **({"deferred_ms": int(defer_s * 1000)} if defer_s else {}),
    )
    job_id = orchestrate_job_id(message.id)
    await enqueue_once(
        queue_from_ctx(ctx), ORCHESTRATE_TURN, message.id, job_id=job_id, defer_s=defer_s
    )


async def process_status(ctx: dict[str, Any], wamid: str) -> str | None:
    """Apply the pending status events of an outbound message; its status after."""
    resources: Resources = ctx["resources"]
    async with retry_transient(ctx, "process_status", provider_message_id=wamid):
        async with resources.sessions.begin() as session:
            status = await repository.apply_status_events(session, wamid)
        if status is None:
            log.info("process_status.pending", provider_message_id=wamid)
        else:
            log.info("process_status.applied", provider_message_id=wamid, status=status)
        if status == "failed":
            # 131047 reported late (accepted, then undeliverable outside the 24 h window):
            # queue the tenant's re-engagement template, as for a synchronous 131047.
            # Inside the retry: a re-run finds the row failed again and queues it once.
            from server.jobs.send import reengage_after_failed_status

            await reengage_after_failed_status(ctx, wamid)
    if status is not None:
        from server.chatwoot.status import report

        await report(resources, wamid=wamid)
    return status


UNANSWERED_AFTER = timedelta(minutes=1)
"""A processed turn-starting message unanswered this long, with no job queued or running
under its id, has lost its orchestrate job (Redis lost it, or arq gave it up)."""

FAILED_RETRY_AFTER = timedelta(seconds=30)
"""A turn failed for a transient cause (a dependency away through every retry) is run
again this long after it was given up."""

MAX_RECOVERIES = 5
"""How often the sweep re-runs one turn by itself; past that it stays `turn_failed`
(visible, and re-runnable by hand with `convo retry-failed`)."""


async def recover_pending(ctx: dict[str, Any]) -> int:
    """Re-enqueue stored but unprocessed messages, turns whose job was lost or that failed
    for a transient cause, and unapplied statuses; how many jobs were enqueued."""
    resources: Resources = ctx["resources"]
    orchestrating = resources.settings.enable_orchestration
    now = utcnow()
    async with resources.sessions() as session:
        wamids = await repository.unprocessed_inbound(session)
        unanswered: list[str] = []
        failed: list[str] = []
        if orchestrating:
            unanswered = await repository.unanswered_turns(
                session, older_than=now - UNANSWERED_AFTER, max_attempts=MAX_RECOVERIES
            )
            failed = await repository.failed_turns(
                session,
                older_than=now - FAILED_RETRY_AFTER,
                transient_only=True,
                max_attempts=MAX_RECOVERIES,
            )
        status_wamids = await repository.pending_status_wamids(session)
    queue = queue_from_ctx(ctx)
    count = 0
    for wamid in wamids:
        count += await enqueue_once(queue, PROCESS_MESSAGE, wamid, job_id=process_job_id(wamid))
    lost = await _requeue_turns(resources, queue, unanswered)
    retried = await _requeue_turns(resources, queue, failed)
    metrics.record_turns_recovered("lost_job", lost)
    metrics.record_turns_recovered("transient_failure", retried)
    count += lost + retried
    for wamid in status_wamids:
        job_id = status_job_id(wamid, "recover")
        count += await enqueue_once(queue, PROCESS_STATUS, wamid, job_id=job_id)
    if count:
        log.info("recover_pending.enqueued", jobs=count, lost_turns=lost, failed_turns=retried)
    return count


async def _requeue_turns(resources: Resources, queue: ArqRedis, wamids: list[str]) -> int:
    """Enqueue the turns of `wamids` again (skipping any whose job is queued or running)
    and count a recovery on each row enqueued."""
    enqueued = [
        wamid
        for wamid in wamids
        if await enqueue_again(queue, ORCHESTRATE_TURN, wamid, job_id=orchestrate_job_id(wamid))
    ]
    if enqueued:
        async with resources.sessions.begin() as session:
            await repository.count_recovery(session, enqueued)
    return len(enqueued)


async def retry_failed(resources: Resources, queue: ArqRedis) -> int:
    """Run every `turn_failed` turn again, whatever its cause (`convo retry-failed`, once
    the bug or the bad data is fixed); how many were enqueued."""
    async with resources.sessions() as session:
        wamids = await repository.failed_turns(session)
    enqueued = [
        wamid
        for wamid in wamids
        if await enqueue_again(queue, ORCHESTRATE_TURN, wamid, job_id=orchestrate_job_id(wamid))
    ]
    log.info("retry_failed.enqueued", turns=len(enqueued), failed=len(wamids))
    return len(enqueued)
