"""Reads and writes of the support desk tables; the handoff state machine.

    bot ──request──> requested ──claim──> with_agent
     ^                  │                     │
     └──cancel/timeout/release────────────────┘ release / resolve / idle timeout

Every move is a compare-and-set on `(state, version)`: two agents claiming at once, or
an agent releasing while the timeout fires, end with one winner and a
:class:`HandoffConflict` for the other, never with two histories. Each move writes a
`handoff_events` row (from, to, actor, reason, time). Functions take an `AsyncSession`;
the caller owns the transaction.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server import metrics
from server.store.committed import on_commit
from server.store.models import Direction, WaMessage, utcnow
from server.store.repository import _insert
from server.support.models import (
    BOT,
    REQUESTED,
    TICKET_OPEN,
    TICKET_PENDING_HUMAN,
    TICKET_WITH_AGENT,
    WITH_AGENT,
    Agent,
    AgentNote,
    Conversation,
    HandoffEvent,
    Ticket,
    TicketEvent,
)

MOVES: frozenset[tuple[str, str]] = frozenset(
    {(BOT, REQUESTED), (REQUESTED, WITH_AGENT), (REQUESTED, BOT), (WITH_AGENT, BOT)}
)
"""The state machine's allowed (from, to) moves; the reason is recorded with each."""
HANDOFF_EVENTS: dict[tuple[str, str], str] = {
    (BOT, REQUESTED): "requested",
    (REQUESTED, WITH_AGENT): "claimed",
    (REQUESTED, BOT): "withdrawn",
    (WITH_AGENT, BOT): "released",
}
"""Each move's name in `convo_human_handoffs_total{event}` (withdrawn: cancelled by the
customer or expired before anyone claimed it)."""


class HandoffConflict(Exception):
    """The conversation is not in a state that allows this move (someone else moved it)."""

    def __init__(self, message: str, *, state: str) -> None:
        super().__init__(message)
        self.state = state


async def insert_or_ignore(session: AsyncSession, model: type[Any], values: dict[str, Any]) -> bool:
    statement = _insert(session, model).values(**values).on_conflict_do_nothing()
    result = await session.execute(statement.returning(model.id))
    return result.scalar_one_or_none() is not None


async def has_live_agent(session: AsyncSession, tenant: str, now: datetime) -> bool:
    """Whether some agent of `tenant` can sign in: a token neither revoked nor expired."""
    found = await session.scalar(
        select(Agent.id)
        .where(
            Agent.tenant == tenant,
            Agent.revoked_at.is_(None),
            or_(Agent.expires_at.is_(None), Agent.expires_at > now),
        )
        .limit(1)
    )
    return found is not None


async def conversation_of(
    session: AsyncSession, phone_number_id: str, wa_id: str
) -> Conversation | None:
    result = await session.execute(
        select(Conversation).where(
            Conversation.phone_number_id == phone_number_id, Conversation.wa_id == wa_id
        )
    )
    return result.scalar_one_or_none()


async def ensure_conversation(
    session: AsyncSession,
    *,
    tenant: str,
    phone_number_id: str,
    wa_id: str,
    customer_name: str | None = None,
) -> Conversation:
    """The conversation row of this customer, created in state `bot` the first time."""
    now = utcnow()
    await insert_or_ignore(
        session,
        Conversation,
        {
            "tenant": tenant,
            "phone_number_id": phone_number_id[:64],
            "wa_id": wa_id[:32],
            "customer_name": customer_name[:255] if customer_name else None,
            "state": BOT,
            "language": "en",
            "bot_context": {},
            "version": 0,
            "created_at": now,
            "updated_at": now,
        },
    )
    found = await conversation_of(session, phone_number_id, wa_id)
    assert found is not None
    if customer_name and found.customer_name != customer_name:
        found.customer_name = customer_name[:255]
    return found


async def move(
    session: AsyncSession,
    conversation: Conversation,
    to_state: str,
    *,
    actor: str,
    reason: str,
    values: dict[str, Any] | None = None,
) -> Conversation:
    """Move `conversation` (as read) to `to_state`; HandoffConflict if it changed meanwhile."""
    from_state = conversation.state
    if (from_state, to_state) not in MOVES:
        raise HandoffConflict(
            f"the conversation is {from_state}: it cannot go to {to_state} ({reason})",
            state=from_state,
        )
    result = await session.execute(
        update(Conversation)
        .where(
            Conversation.id == conversation.id,
            Conversation.version == conversation.version,
            Conversation.state == from_state,
        )
        .values(
            state=to_state, version=Conversation.version + 1, updated_at=utcnow(), **(values or {})
        )
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        await session.refresh(conversation)
        raise HandoffConflict(
            f"the conversation changed meanwhile: it is {conversation.state} now",
            state=conversation.state,
        )
    session.add(
        HandoffEvent(
            conversation_id=conversation.id,
            from_state=from_state,
            to_state=to_state,
            actor=actor[:160],
            reason=reason,
            created_at=utcnow(),
        )
    )
    await session.flush()
    await session.refresh(conversation)
    event = HANDOFF_EVENTS[from_state, to_state]
    on_commit(session, functools.partial(metrics.record_human_handoff, event))
    return conversation


async def handoff_history(session: AsyncSession, conversation_id: int) -> list[HandoffEvent]:
    result = await session.execute(
        select(HandoffEvent)
        .where(HandoffEvent.conversation_id == conversation_id)
        .order_by(HandoffEvent.id)
    )
    return list(result.scalars())


def ticket_number(msg_id: str, length: int = 6) -> str:
    """Derived from the inbound message id: a retried turn computes the same number."""
    return "T-" + hashlib.sha256(msg_id.encode("utf-8")).hexdigest()[:length].upper()


async def ticket_by_source(session: AsyncSession, msg_id: str) -> Ticket | None:
    result = await session.execute(select(Ticket).where(Ticket.source_msg_id == msg_id))
    return result.scalar_one_or_none()


async def ticket_by_number(session: AsyncSession, tenant: str, number: str) -> Ticket | None:
    result = await session.execute(
        select(Ticket).where(Ticket.tenant == tenant, Ticket.number == number)
    )
    return result.scalar_one_or_none()


async def open_ticket(
    session: AsyncSession,
    conversation: Conversation,
    *,
    msg_id: str,
    category: str,
    summary: str,
    order_ref: str | None,
) -> tuple[Ticket, bool]:
    """The ticket opened by message `msg_id` (created once); (ticket, created now?)."""
    existing = await ticket_by_source(session, msg_id)
    if existing is not None:
        return existing, False
    now = utcnow()
    for length in (6, 8, 12):  # a number taken by another message's ticket: a longer one
        number = ticket_number(msg_id, length)
        created = await insert_or_ignore(
            session,
            Ticket,
            {
                "tenant": conversation.tenant,
                "number": number,
                "conversation_id": conversation.id,
                "category": category[:32],
                "summary": summary,
                "order_ref": order_ref[:64] if order_ref else None,
                "status": TICKET_OPEN,
                "source_msg_id": msg_id[:255],
                "created_at": now,
                "updated_at": now,
            },
        )
        found = await ticket_by_source(session, msg_id)
        if found is not None:
            if created:
                await _ticket_event(session, found, "status", "customer", to_status=TICKET_OPEN)
            return found, created
    raise RuntimeError(f"no free ticket number for message {msg_id}")


async def _ticket_event(
    session: AsyncSession,
    ticket: Ticket,
    kind: str,
    actor: str,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    wamid: str | None = None,
    body: str | None = None,
    dedupe_key: str | None = None,
) -> bool:
    return await insert_or_ignore(
        session,
        TicketEvent,
        {
            "ticket_id": ticket.id,
            "kind": kind,
            "from_status": from_status,
            "to_status": to_status,
            "actor": actor[:160],
            "wamid": wamid,
            "body": body,
            "dedupe_key": dedupe_key,
            "created_at": utcnow(),
        },
    )


async def attach_message(
    session: AsyncSession, ticket: Ticket, *, wamid: str, text: str, actor: str = "customer"
) -> bool:
    """Attach a message to the ticket (once per message); True when attached now."""
    return await _ticket_event(
        session, ticket, "message", actor, wamid=wamid, body=text,
        dedupe_key=f"{ticket.id}:message:{wamid}"[:320],
    )  # fmt: skip


async def set_ticket_status(
    session: AsyncSession, ticket: Ticket, status: str, *, actor: str
) -> bool:
    """Change the status (with a history row); False when it already had it."""
    if ticket.status == status:
        return False
    previous = ticket.status
    ticket.status = status
    ticket.updated_at = utcnow()
    await _ticket_event(session, ticket, "status", actor, from_status=previous, to_status=status)
    await session.flush()
    return True


async def tickets_of(session: AsyncSession, conversation_id: int) -> list[Ticket]:
    result = await session.execute(
        select(Ticket).where(Ticket.conversation_id == conversation_id).order_by(Ticket.id)
    )
    return list(result.scalars())


async def ticket_events(session: AsyncSession, ticket_ids: Sequence[int]) -> list[TicketEvent]:
    if not ticket_ids:
        return []
    result = await session.execute(
        select(TicketEvent)
        .where(TicketEvent.ticket_id.in_(list(ticket_ids)))
        .order_by(TicketEvent.id)
    )
    return list(result.scalars())


async def mark_tickets(
    session: AsyncSession,
    conversation_id: int,
    *,
    from_statuses: Sequence[str],
    to_status: str,
    actor: str,
) -> None:
    """Tickets of the conversation follow its handoff (open -> pending_human -> with_agent)."""
    for ticket in await tickets_of(session, conversation_id):
        if ticket.status in from_statuses:
            await set_ticket_status(session, ticket, to_status, actor=actor)


ACTIVE_TICKET_STATUSES = (TICKET_OPEN, TICKET_PENDING_HUMAN, TICKET_WITH_AGENT)


async def notes_of(session: AsyncSession, conversation_id: int) -> list[AgentNote]:
    result = await session.execute(
        select(AgentNote).where(AgentNote.conversation_id == conversation_id).order_by(AgentNote.id)
    )
    return list(result.scalars())


async def transcript(
    session: AsyncSession, phone_number_id: str, wa_id: str, *, limit: int = 500
) -> list[WaMessage]:
    """The conversation's messages both ways, in arrival order (newest `limit`)."""
    result = await session.execute(
        select(WaMessage)
        .where(WaMessage.tenant_id == phone_number_id, WaMessage.wa_id == wa_id)
        .order_by(WaMessage.id.desc())
        .limit(limit)
    )
    return list(reversed(list(result.scalars())))


async def last_inbound_at(
    session: AsyncSession, phone_number_id: str, wa_id: str
) -> datetime | None:
    """When the customer last wrote (opens WhatsApp's 24-hour window)."""
    result = await session.execute(
        select(WaMessage.provider_timestamp, WaMessage.created_at)
        .where(
            WaMessage.tenant_id == phone_number_id,
            WaMessage.wa_id == wa_id,
            WaMessage.direction == Direction.INBOUND.value,
        )
        .order_by(WaMessage.id.desc())
        .limit(1)
    )
    row = result.first()
    if row is None:
        return None
    return row[0] or row[1]


async def expired(session: AsyncSession, now: datetime, *, limit: int = 200) -> list[Conversation]:
    """Conversations waiting or claimed whose deadline has passed (for the timeout sweep)."""
    result = await session.execute(
        select(Conversation)
        .where(
            Conversation.state.in_([REQUESTED, WITH_AGENT]),
            Conversation.expires_at.is_not(None),
            Conversation.expires_at < now,
        )
        .order_by(Conversation.expires_at)
        .limit(limit)
    )
    return list(result.scalars())
