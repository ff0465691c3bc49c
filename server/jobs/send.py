"""`send_message`: send one outbound row of the outbox through the WhatsApp Cloud API.

Enqueued by `orchestrate_turn` with job id `send:{idempotency_key}` when sending is
enabled (`WHATSAPP_ACCESS_TOKEN` set). The work is done by
:class:`server.whatsapp.sender.OutboxSender`; this module wires it to the worker:

- the HTTP client and the rate limiter are created once per worker and kept in `ctx`;
- :class:`SendLater` (rate limited, retryable error, waiting for an earlier reply) becomes
  arq's `Retry(defer=...)`. The number of *Graph API attempts* is capped on the row
  (`WHATSAPP_SEND_MAX_ATTEMPTS`); arq's own try counter also counts rate-limit deferrals,
  so the job allows many more tries (`SEND_JOB_MAX_TRIES`);
- lost connections to Redis or the database are retried like in the other jobs.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from arq.worker import Retry, func

from server.jobs import SEND_MESSAGE, enqueue_once, queue_from_ctx, send_job_id
from server.jobs.retry import retry_transient
from server.logging import get_logger
from server.ratelimit import SendRateLimiter
from server.resources import Resources
from server.store import repository
from server.whatsapp import outbox
from server.whatsapp.client import WhatsAppClient
from server.whatsapp.errors import SendError
from server.whatsapp.sender import OutboxSender, SendLater

log = get_logger(__name__)

SEND_JOB_MAX_TRIES = 500
"""arq runs of one send job, deferrals included (Graph API attempts are capped separately)."""

CLIENT_KEY = "whatsapp_client"


def get_client(ctx: dict[str, Any]) -> WhatsAppClient:
    """The worker's Graph API client (one connection pool), created on first use."""
    if ctx.get(CLIENT_KEY) is None:
        ctx[CLIENT_KEY] = WhatsAppClient.from_settings(ctx["resources"].settings)
    client: WhatsAppClient = ctx[CLIENT_KEY]
    return client


async def close_client(ctx: dict[str, Any]) -> None:
    """On worker shutdown."""
    client = ctx.pop(CLIENT_KEY, None)
    if client is not None:
        await client.aclose()


def build_sender(ctx: dict[str, Any]) -> OutboxSender:
    resources: Resources = ctx["resources"]

    async def enqueue(row_id: int, key: str) -> None:
        await enqueue_once(queue_from_ctx(ctx), SEND_MESSAGE, row_id, job_id=send_job_id(key))

    return OutboxSender(
        settings=resources.settings,
        sessions=resources.sessions,
        redis=resources.redis,
        client=get_client(ctx),
        limiter=SendRateLimiter.from_settings(resources.redis, resources.settings),
        enqueue=enqueue,
    )


async def send_message(ctx: dict[str, Any], outbound_id: int) -> str:
    """Send outbound row `outbound_id`; returns what happened (`sent`, `failed`, ...)."""
    resources: Resources = ctx["resources"]
    if not resources.settings.sending_enabled:
        log.info("send_message.disabled", outbound_id=outbound_id)
        return "disabled"
    async with retry_transient(ctx, "send_message", outbound_id=outbound_id):
        row = await outbox.load(resources.sessions, outbound_id)
        if row is None:
            log.warning("send_message.not_found", outbound_id=outbound_id)
            return "missing"
        try:
            status = await build_sender(ctx).deliver(row)
        except SendLater as later:
            log.info(
                "send_message.deferred",
                outbound_id=outbound_id,
                reason=later.reason,
                defer_s=round(later.seconds, 3),
                job_try=ctx.get("job_try"),
            )
            raise Retry(defer=later.seconds) from later
        if row.author:  # a person's reply: its status may be shown where it was written
            from server.chatwoot.status import report

            await report(resources, outbound_id=outbound_id)
        return status
    raise AssertionError("unreachable")  # retry_transient re-raises or returns


async def reengage_after_failed_status(ctx: dict[str, Any], wamid: str) -> bool:
    """Call after applying a `failed` status webhook to outbound `wamid`.

    131047 can also arrive asynchronously (the send was accepted, delivery failed): then,
    like a synchronous 131047, the number's re-engagement template is queued once per turn.
    Returns True when a template was queued.
    """
    resources: Resources = ctx["resources"]
    if not resources.settings.sending_enabled:
        return False
    async with resources.sessions() as session:
        row = await repository.get_by_wamid(session, wamid)
    if row is None or row.direction != "outbound":
        return False
    return await build_sender(ctx).reengage_after_failure(row)


STALE_AFTER = timedelta(minutes=1)
"""A queued row untouched this long has probably lost its job (Redis crashed with the job
not yet on disk, or was flushed). With the cron every minute, such a reply goes out within
two minutes, like a turn whose job was lost. A row whose job is merely deferred (backoff,
rate limit) still has that job, and the job id keeps it from being doubled."""


async def recover_outbox(ctx: dict[str, Any]) -> int:
    """Cron: re-enqueue the send jobs of stale queued/claimed rows; how many were enqueued.

    Job ids dedupe, so a send that is merely deferred (rate limit, backoff) is not doubled;
    a stale claim gets a run that marks it `unknown` (see `server.whatsapp.outbox`).
    """
    resources: Resources = ctx["resources"]
    if not resources.settings.sending_enabled:
        return 0
    stale = await outbox.stale_pending(resources.sessions, older_than=STALE_AFTER)
    queue = queue_from_ctx(ctx)
    count = 0
    for row_id, key in stale:
        count += await enqueue_once(queue, SEND_MESSAGE, row_id, job_id=send_job_id(key))
    if count:
        log.info("recover_outbox.enqueued", jobs=count)
    return count


SEND_MESSAGE_JOB = func(send_message, name=SEND_MESSAGE, max_tries=SEND_JOB_MAX_TRIES)
"""What `server.worker.JOB_FUNCTIONS` registers."""


async def mark_read_best_effort(
    ctx: dict[str, Any], phone_number_id: str, wamid: str, *, limit_s: float = 3.0
) -> bool:
    """Mark an inbound message read and show "typing…" (at the start of a turn).

    Best-effort: does nothing with sending disabled, and a failure is logged, never raised,
    so it cannot fail the turn, nor slow it down by more than `limit_s` seconds.
    """
    resources: Resources = ctx["resources"]
    if not resources.settings.sending_enabled:
        return False
    try:
        await asyncio.wait_for(get_client(ctx).mark_read(phone_number_id, wamid), limit_s)
    except (SendError, TimeoutError) as exc:
        log.warning(
            "whatsapp.mark_read_failed", provider_message_id=wamid, error=type(exc).__name__
        )
        return False
    return True
