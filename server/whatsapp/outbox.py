"""The sender's side of the outbox: claiming an outbound row, recording what happened.

An outbound row moves through these states (each move is a compare-and-set UPDATE, so
two jobs can never both send it)::

    queued ──claim──> sending ──answer──> sent ──(status webhooks)──> delivered > read
      ^                  │ └──permanent error / attempts used up──> failed
      └──transient error─┘
                         └──claim older than the lease (the worker died mid-send)──> unknown

`unknown` is final: Meta may or may not have accepted the message, and WhatsApp has no
request idempotency key, so resending could give the user the reply twice. We choose
at-most-once there; the request carried `biz_opaque_callback_data = idempotency_key`, so
a status webhook can still tell what happened.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.store import repository
from server.store.models import Direction, WaMessage, utcnow
from server.whatsapp.errors import SendError
from server.whatsapp.payloads import Sendable

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
UNKNOWN = "unknown"
PENDING = (QUEUED, SENDING)
DONE = (SENT, "delivered", "read", "played", FAILED, UNKNOWN, "logged")

Sessions = async_sessionmaker[AsyncSession]


def _outbound(row_id: int) -> Any:
    return update(WaMessage).where(
        WaMessage.id == row_id, WaMessage.direction == Direction.OUTBOUND.value
    )


async def load(sessions: Sessions, row_id: int) -> WaMessage | None:
    async with sessions() as session:
        row = await repository.get_by_id(session, row_id)
    return row if row is not None and row.direction == Direction.OUTBOUND.value else None


async def claim(sessions: Sessions, row_id: int) -> int | None:
    """queued -> sending; the attempt number, or None if another job has it or it is done."""
    async with sessions.begin() as session:
        result = await session.execute(
            _outbound(row_id)
            .where(WaMessage.status == QUEUED)
            .values(status=SENDING, attempts=WaMessage.attempts + 1, status_updated_at=utcnow())
            .returning(WaMessage.attempts)
        )
        return result.scalar_one_or_none()


async def record_sent(sessions: Sessions, row_id: int, wamid: str) -> str | None:
    """Store the wamid (sending -> sent) and apply status webhooks that came first."""
    async with sessions.begin() as session:
        await session.execute(
            _outbound(row_id).values(
                wamid=wamid,
                status=case((WaMessage.status == SENDING, SENT), else_=WaMessage.status),
                error_code=None,
                error_title=None,
                status_updated_at=utcnow(),
            )
        )
        return await repository.apply_status_events(session, wamid)


async def release(sessions: Sessions, row_id: int, error: SendError) -> None:
    """sending -> queued after a transient error (the next run claims it again)."""
    await _set_from_sending(sessions, row_id, QUEUED, error)


async def record_failed(sessions: Sessions, row_id: int, error: SendError) -> None:
    """queued/sending -> failed, with Meta's code and reason (or the limit broken)."""
    await _set_from_sending(sessions, row_id, FAILED, error, from_statuses=PENDING)


async def _set_from_sending(
    sessions: Sessions,
    row_id: int,
    status: str,
    error: SendError,
    *,
    from_statuses: tuple[str, ...] = (SENDING,),
) -> None:
    async with sessions.begin() as session:
        await session.execute(
            _outbound(row_id)
            .where(WaMessage.status.in_(from_statuses))
            .values(
                status=status,
                error_code=error.code,
                error_title=str(error)[:1000],
                status_updated_at=utcnow(),
            )
        )


async def expire_claim(sessions: Sessions, row_id: int, lease: timedelta) -> bool:
    """sending -> unknown when the claim is older than `lease`; True if it was."""
    stale_before: datetime = utcnow() - lease
    async with sessions.begin() as session:
        result = await session.execute(
            _outbound(row_id)
            .where(WaMessage.status == SENDING, WaMessage.status_updated_at < stale_before)
            .values(
                status=UNKNOWN,
                error_title="the worker stopped during the send; not resent to avoid a duplicate",
                status_updated_at=utcnow(),
            )
        )
    return bool(getattr(result, "rowcount", 0))


async def add_outbound(
    sessions: Sessions, *, key: str, like: WaMessage, message: Sendable, context_wamid: str | None
) -> WaMessage:
    """A queued outbound row to the same user as `like` (created once per `key`)."""
    try:
        async with sessions.begin() as session:
            existing = await _by_key(session, key)
            if existing is not None:
                return existing
            row = WaMessage(
                direction=Direction.OUTBOUND.value,
                idempotency_key=key,
                tenant_id=like.tenant_id,
                wa_id=like.wa_id,
                message_type=message.kind,
                text=getattr(message, "body", None),
                payload=message.model_dump(mode="json"),
                context_wamid=context_wamid,
                status=QUEUED,
                attempts=0,
            )
            session.add(row)
        return row
    except IntegrityError:  # another job created it between our read and write: use theirs
        async with sessions() as session:
            found = await _by_key(session, key)
        if found is None:
            raise
        return found


async def _by_key(session: AsyncSession, key: str) -> WaMessage | None:
    result = await session.execute(select(WaMessage).where(WaMessage.idempotency_key == key))
    return result.scalar_one_or_none()


async def set_text(sessions: Sessions, row_id: int, text: str) -> None:
    """The text actually sent by this row (its first part, when a long reply was split)."""
    async with sessions.begin() as session:
        await session.execute(_outbound(row_id).values(text=text))


async def earlier_pending(sessions: Sessions, row: WaMessage) -> int:
    """How many earlier replies to the same user message are still waiting to be sent.

    Messages that answer no user message (a person's replies, "Ana joined the chat",
    order updates) keep their order among themselves the same way: "Ana joined" is
    enqueued just before Ana's first reply, and must not arrive after it."""
    same_group = (
        WaMessage.context_wamid.is_(None)
        if row.context_wamid is None
        else WaMessage.context_wamid == row.context_wamid
    )
    async with sessions() as session:
        result = await session.execute(
            select(WaMessage.id).where(
                WaMessage.direction == Direction.OUTBOUND.value,
                WaMessage.tenant_id == row.tenant_id,
                WaMessage.wa_id == row.wa_id,
                same_group,
                WaMessage.id < row.id,
                WaMessage.status.in_(PENDING),
            )
        )
    return len(result.all())


async def stale_pending(
    sessions: Sessions, *, older_than: timedelta, limit: int = 500
) -> list[tuple[int, str]]:
    """(id, idempotency key) of queued or claimed rows untouched for `older_than` (recovery)."""
    cutoff = utcnow() - older_than
    async with sessions() as session:
        result = await session.execute(
            select(WaMessage.id, WaMessage.idempotency_key)
            .where(
                WaMessage.direction == Direction.OUTBOUND.value,
                WaMessage.status.in_(PENDING),
                WaMessage.updated_at < cutoff,
                WaMessage.idempotency_key.is_not(None),
            )
            .order_by(WaMessage.id)
            .limit(limit)
        )
    return [(row_id, key) for row_id, key in result.all() if key]
