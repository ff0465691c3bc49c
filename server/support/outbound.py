"""Messages to the customer that do not come from a bot turn: agents' replies and the
handoff notices (joined, left, timed out). They go through the same outbox and sending
pipeline as the bot's replies (rate limits, retries, statuses).

Each row has its own idempotency key, so an action retried by the client or a job run
twice writes one row and enqueues one send.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.jobs import SEND_MESSAGE, enqueue_once, job_queue, send_job_id
from server.logging import get_logger
from server.resources import Resources
from server.store import repository
from server.store.models import Direction, WaMessage
from server.support import events
from server.support.models import Conversation
from server.support.store import insert_or_ignore
from server.whatsapp.payloads import Sendable

log = get_logger(__name__)


async def add_message(
    session: AsyncSession,
    resources: Resources,
    conversation: Conversation,
    message: Sendable,
    *,
    key: str,
    author: str,
) -> WaMessage:
    """The outbound row for `message` (created once per `key`), in the caller's transaction."""
    status = repository.QUEUED if resources.settings.sending_enabled else repository.LOGGED
    await insert_or_ignore(
        session,
        WaMessage,
        {
            "direction": Direction.OUTBOUND.value,
            "idempotency_key": key[:255],
            "tenant_id": conversation.phone_number_id,
            "wa_id": conversation.wa_id,
            "message_type": message.kind,
            "text": getattr(message, "body", None) or _template_text(message),
            "payload": message.model_dump(mode="json"),
            "status": status,
            "attempts": 0,
            "author": author[:160],
        },
    )
    result = await session.execute(select(WaMessage).where(WaMessage.idempotency_key == key[:255]))
    return result.scalar_one()


def _template_text(message: Sendable) -> str | None:
    name = getattr(message, "name", None)
    return f"[template {name}]" if name else None


async def dispatch(resources: Resources, conversation: Conversation, row: WaMessage) -> None:
    """After the commit: enqueue the send (or log it, with sending off) and tell the agents."""
    if row.status == repository.QUEUED and row.idempotency_key:
        queue = job_queue(resources.redis)
        await enqueue_once(queue, SEND_MESSAGE, row.id, job_id=send_job_id(row.idempotency_key))
    elif row.status == repository.LOGGED:
        log.info(
            "support.message_logged",
            outbound_id=row.id,
            kind=row.message_type,
            author=row.author,
            text=row.text,
        )
    await events.publish(
        resources.redis,
        conversation.tenant,
        "message",
        conversation_id=conversation.id,
        direction="outbound",
        message_id=row.id,
    )
