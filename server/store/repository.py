"""Reads and writes of the message store, shared by the webhook and the jobs.

Every write is idempotent, because Meta delivers webhooks at least once and arq runs
jobs at least once:

- inbound messages are inserted-or-ignored on their unique `wamid`;
- status webhooks are inserted-or-ignored on `(wamid, status)` and applied to the outbound
  row with a conditional UPDATE that only moves forward (sent < delivered < read < played;
  failed is final), so duplicates and out-of-order deliveries cannot move a status back;
- outbox rows are inserted-or-ignored on `idempotency_key = "{inbound wamid}:reply:{i}"`.

"Insert or ignore" is `INSERT ... ON CONFLICT DO NOTHING`, which SQLite and PostgreSQL
both support. Functions take an `AsyncSession`; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from graph.messages import OutboundMessage
from server.store.models import Direction, WaMessage, WaStatusEvent, utcnow
from server.whatsapp.updates import ORCHESTRATED_TYPES, STATUS_RANK, Message, Status

RECEIVED = "received"
"""Inbound: stored by the webhook, `process_message` not done yet."""
PROCESSED = "processed"
"""Inbound: processed; a turn was enqueued if the message starts one."""
ANSWERED = "answered"
"""Inbound: its turn ran and the replies are in the outbox."""
TURN_FAILED = "turn_failed"
"""Inbound: its turn failed; `error_title` starts with `transient:` (a dependency was away
through every retry: `recover_pending` runs it again) or `permanent:` (a bug or bad data:
re-run by hand with `convo retry-failed` once fixed). The worker's logs say more."""
TRANSIENT_FAILURE = "transient:"
PERMANENT_FAILURE = "permanent:"

QUEUED = "queued"
LOGGED = "logged"
FAILED = "failed"


def _clip(value: str | None, size: int) -> str | None:
    """Column sizes hold for any payload (PostgreSQL refuses longer values; SQLite not)."""
    return value[:size] if value is not None else None


def _int32(value: int | None) -> int | None:
    """An error code fits the INTEGER column (PostgreSQL refuses a larger one), else None."""
    return value if value is not None and -(2**31) <= value < 2**31 else None


def _insert(session: AsyncSession, model: type[Any]) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"insert-or-ignore is not implemented for {dialect}")


async def _insert_or_ignore(
    session: AsyncSession, model: type[Any], values: dict[str, Any]
) -> bool:
    """Insert a row unless a unique key already holds one; True when inserted."""
    statement = _insert(session, model).values(**values).on_conflict_do_nothing()
    result = await session.execute(statement.returning(model.id))
    return result.scalar_one_or_none() is not None


def inbound_row(message: Message, now: datetime | None = None) -> dict[str, Any]:
    """The `wa_messages` row of an inbound message, every column but `id`.

    `payload` keeps the raw JSON (`Message.envelope()`: message, contact, metadata), so
    the message can be re-parsed later with `Message.from_envelope`.
    """
    now = now or utcnow()
    return {
        "direction": Direction.INBOUND.value,
        "wamid": message.id[:255],
        "idempotency_key": None,
        "tenant_id": message.metadata.phone_number_id[:64],
        "wa_id": message.from_[:32],
        "message_type": message.type[:32],
        "text": message.text,
        "payload": message.envelope(),
        "context_wamid": _clip(message.context.message_id if message.context else None, 255),
        "status": RECEIVED,
        "error_code": None,
        "error_title": None,
        "attempts": 0,
        "provider_timestamp": message.timestamp,
        "status_updated_at": None,
        "created_at": now,
        "updated_at": now,
    }


def status_row(status: Status, now: datetime | None = None) -> dict[str, Any]:
    """The `wa_status_events` row of a status webhook, every column but `id`."""
    error = status.errors[0] if status.errors else None
    return {
        "wamid": status.id[:255],
        "status": status.status[:16],
        "tenant_id": status.metadata.phone_number_id[:64],
        "recipient_id": _clip(status.recipient_id, 32),
        "error_code": _int32(error.code) if error else None,
        "error_title": (error.title or error.message) if error else None,
        "payload": dict(status.raw),
        "provider_timestamp": status.timestamp,
        "applied_at": None,
        "created_at": now or utcnow(),
    }


async def store_inbound(session: AsyncSession, message: Message) -> bool:
    """Store an inbound message; False when its wamid is already stored."""
    return await _insert_or_ignore(session, WaMessage, inbound_row(message))


async def store_status_event(session: AsyncSession, status: Status) -> bool:
    """Store a status webhook once per `(wamid, status)`; False for a duplicate."""
    return await _insert_or_ignore(session, WaStatusEvent, status_row(status))


async def get_by_wamid(session: AsyncSession, wamid: str) -> WaMessage | None:
    result = await session.execute(select(WaMessage).where(WaMessage.wamid == wamid))
    return result.scalar_one_or_none()


async def get_by_id(session: AsyncSession, row_id: int) -> WaMessage | None:
    return await session.get(WaMessage, row_id)


async def advance_inbound(
    session: AsyncSession,
    wamid: str,
    to_status: str,
    *,
    from_statuses: Sequence[str],
    error_title: str | None = None,
) -> bool:
    """Move an inbound row to `to_status` only if it is in `from_statuses` (compare-and-set);
    `error_title` is recorded with it (None clears it)."""
    result = await session.execute(
        update(WaMessage)
        .where(
            WaMessage.wamid == wamid,
            WaMessage.direction == Direction.INBOUND.value,
            WaMessage.status.in_(list(from_statuses)),
        )
        .values(status=to_status, status_updated_at=utcnow(), error_title=error_title)
    )
    return bool(getattr(result, "rowcount", 0))


def _status_order(event: WaStatusEvent) -> tuple[int, int]:
    return (STATUS_RANK.get(event.status, 99 if event.status == FAILED else 0), event.id)


async def apply_status_events(session: AsyncSession, wamid: str) -> str | None:
    """Apply the stored, not yet applied statuses of an outbound wamid; its status after.

    Returns None (events stay pending) when no outbound row has this wamid yet: the send
    job may not have recorded it, and should call this again once it has.
    """
    row = await get_by_wamid(session, wamid)
    if row is None or row.direction != Direction.OUTBOUND.value:
        return None
    result = await session.execute(
        select(WaStatusEvent).where(
            WaStatusEvent.wamid == wamid, WaStatusEvent.applied_at.is_(None)
        )
    )
    for event in sorted(result.scalars(), key=_status_order):
        await _advance_outbound(session, wamid, event)
        event.applied_at = utcnow()
    await session.flush()
    await session.refresh(row)
    return row.status


async def _advance_outbound(session: AsyncSession, wamid: str, event: WaStatusEvent) -> None:
    values: dict[str, Any] = {"status": event.status, "status_updated_at": _when(event)}
    if event.status == FAILED:
        blocked = [FAILED]
        values |= {"error_code": event.error_code, "error_title": event.error_title}
    elif event.status in STATUS_RANK:
        rank = STATUS_RANK[event.status]
        blocked = [name for name, other in STATUS_RANK.items() if other >= rank] + [FAILED]
    else:
        return  # a legacy status ("deleted", "warning"): kept as an event, not a state
    await session.execute(
        update(WaMessage)
        .where(
            WaMessage.wamid == wamid,
            WaMessage.direction == Direction.OUTBOUND.value,
            WaMessage.status.not_in(blocked),
        )
        .values(**values)
    )


def _when(event: WaStatusEvent) -> datetime:
    return event.provider_timestamp or utcnow()


def reply_key(inbound_wamid: str, index: int) -> str:
    return f"{inbound_wamid}:reply:{index}"


async def add_outbox(
    session: AsyncSession, inbound: WaMessage, messages: Sequence[OutboundMessage], *, status: str
) -> list[WaMessage]:
    """The replies to `inbound` as outbound rows (created once; a re-run returns the same)."""
    assert inbound.wamid is not None
    keys = [reply_key(inbound.wamid, index) for index in range(len(messages))]
    for key, message in zip(keys, messages, strict=True):
        await _insert_or_ignore(
            session,
            WaMessage,
            {
                "direction": Direction.OUTBOUND.value,
                "idempotency_key": key,
                "tenant_id": inbound.tenant_id,
                "wa_id": inbound.wa_id,
                "message_type": message.kind,
                "text": message.body,
                "payload": message.model_dump(mode="json"),
                "context_wamid": inbound.wamid,
                "status": status,
                "attempts": 0,
            },
        )
    return await replies_to(session, inbound.wamid)


async def replies_to(session: AsyncSession, inbound_wamid: str) -> list[WaMessage]:
    result = await session.execute(
        select(WaMessage)
        .where(
            WaMessage.direction == Direction.OUTBOUND.value,
            WaMessage.context_wamid == inbound_wamid,
            WaMessage.idempotency_key.like(f"{inbound_wamid}:reply:%"),
        )
        .order_by(WaMessage.id)
    )
    return list(result.scalars())


async def outbox_after(
    session: AsyncSession, *, tenant_id: str, wa_id: str, after_id: int = 0, limit: int = 50
) -> list[WaMessage]:
    """Outbound rows to one user with `id > after_id`, oldest first (for `convo chat`)."""
    result = await session.execute(
        select(WaMessage)
        .where(
            WaMessage.direction == Direction.OUTBOUND.value,
            WaMessage.tenant_id == tenant_id,
            WaMessage.wa_id == wa_id,
            WaMessage.id > after_id,
        )
        .order_by(WaMessage.id)
        .limit(limit)
    )
    return list(result.scalars())


async def unprocessed_inbound(session: AsyncSession, *, limit: int = 500) -> list[str]:
    """Wamids of inbound rows stored by the webhook but not processed yet (recovery)."""
    result = await session.execute(
        select(WaMessage.wamid)
        .where(WaMessage.direction == Direction.INBOUND.value, WaMessage.status == RECEIVED)
        .order_by(WaMessage.id)
        .limit(limit)
    )
    return [wamid for wamid in result.scalars() if wamid]


async def unanswered_turns(
    session: AsyncSession,
    *,
    older_than: datetime,
    max_attempts: int | None = None,
    limit: int = 500,
) -> list[str]:
    """Wamids of inbound text/button/interactive rows processed before `older_than` but
    never answered (their `orchestrate_turn` job was lost, e.g. Redis was flushed), and
    recovered fewer than `max_attempts` times."""
    query = select(WaMessage.wamid).where(
        WaMessage.direction == Direction.INBOUND.value,
        WaMessage.status == PROCESSED,
        WaMessage.message_type.in_(sorted(ORCHESTRATED_TYPES)),
        WaMessage.status_updated_at < older_than,
    )
    if max_attempts is not None:
        query = query.where(WaMessage.attempts < max_attempts)
    result = await session.execute(query.order_by(WaMessage.id).limit(limit))
    return [wamid for wamid in result.scalars() if wamid]


async def waiting_turns(session: AsyncSession, tenant_id: str, wa_id: str) -> list[WaMessage]:
    """One conversation's inbound text/button/interactive rows still waiting for their turn
    (`received` or `processed`, not answered nor given up), in the order the customer sent
    them: WhatsApp's `timestamp` (whole seconds), ties broken by arrival (row id)."""
    result = await session.execute(
        select(WaMessage).where(
            WaMessage.tenant_id == tenant_id,
            WaMessage.wa_id == wa_id,
            WaMessage.direction == Direction.INBOUND.value,
            WaMessage.status.in_([RECEIVED, PROCESSED]),
            WaMessage.message_type.in_(sorted(ORCHESTRATED_TYPES)),
        )
    )
    return sorted(result.scalars(), key=sent_order)


def sent_order(row: WaMessage) -> tuple[datetime, int]:
    """The sort key of an inbound row in its conversation: when sent, then when it arrived."""
    return (row.provider_timestamp or row.created_at, row.id)


async def failed_turns(
    session: AsyncSession,
    *,
    older_than: datetime | None = None,
    transient_only: bool = False,
    max_attempts: int | None = None,
    limit: int = 500,
) -> list[str]:
    """Wamids of inbound rows whose turn failed (`turn_failed`), oldest first: all of them
    (`convo retry-failed`), or those failed for a transient cause before `older_than` and
    recovered fewer than `max_attempts` times (`recover_pending`)."""
    query = select(WaMessage.wamid).where(
        WaMessage.direction == Direction.INBOUND.value, WaMessage.status == TURN_FAILED
    )
    if transient_only:
        query = query.where(WaMessage.error_title.like(f"{TRANSIENT_FAILURE}%"))
    if older_than is not None:
        query = query.where(WaMessage.status_updated_at < older_than)
    if max_attempts is not None:
        query = query.where(WaMessage.attempts < max_attempts)
    result = await session.execute(query.order_by(WaMessage.id).limit(limit))
    return [wamid for wamid in result.scalars() if wamid]


async def count_recovery(session: AsyncSession, wamids: Sequence[str]) -> None:
    """Count one more recovery of these inbound rows (`attempts`), which bounds how often
    a turn that keeps failing is re-run by itself."""
    if wamids:
        await session.execute(
            update(WaMessage)
            .where(WaMessage.direction == Direction.INBOUND.value)
            .where(WaMessage.wamid.in_(list(wamids)))
            .values(attempts=WaMessage.attempts + 1)
        )


async def pending_status_wamids(session: AsyncSession, *, limit: int = 500) -> list[str]:
    """Outbound wamids that have status events not applied yet (recovery)."""
    result = await session.execute(
        select(WaStatusEvent.wamid)
        .join(WaMessage, WaMessage.wamid == WaStatusEvent.wamid)
        .where(WaStatusEvent.applied_at.is_(None))
        .distinct()
        .limit(limit)
    )
    return list(result.scalars())
