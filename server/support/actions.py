"""What people do to a conversation: claim, reply, note, release, solve; and the timeouts.

Used by the agent API, the inbox page (through the API) and the Chatwoot bridge. The SQL
state is the authority (see `store`): an action is a compare-and-set on the conversation
and the next bot turn reads the result at its start, so actions need not take the
session lock. The customer hears about every change that concerns them (who joined, who
left, back with the assistant) through the outbox, in the conversation's language.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from graph.messages import TextMessage
from graph.session.contract import Language
from nodes.human.team import idle_deadline
from nodes.human.texts import text as notice_text
from server.logging import get_logger
from server.resources import Resources
from server.store.models import WaMessage, utcnow
from server.support import events, outbound, store
from server.support.desk import profile_of
from server.support.models import (
    BOT,
    REQUESTED,
    TICKET_CLOSED,
    TICKET_PENDING_HUMAN,
    TICKET_SOLVED,
    TICKET_WITH_AGENT,
    WITH_AGENT,
    AgentNote,
    Conversation,
    Ticket,
)
from server.support.timeutil import aware
from server.whatsapp.payloads import Sendable

log = get_logger(__name__)

WINDOW = timedelta(hours=24)
"""WhatsApp's customer-service window: free-form messages only within 24 h of the
customer's last message; templates after."""


@dataclass(frozen=True)
class Actor:
    """Who acts: an agent of ours (`agent_id` set) or one in Chatwoot (name only)."""

    key: str
    """agent:<handle> | chatwoot:<id> | timeout | system."""
    name: str
    agent_id: int | None = None


class NotAllowed(Exception):
    """The action does not fit the conversation's state (HTTP 409)."""

    def __init__(self, message: str, *, code: str, state: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.state = state


def _language(conversation: Conversation) -> Language:
    value = conversation.language
    return cast(Language, value if value in ("en", "es", "pt") else "en")


async def _notify_customer(
    resources: Resources, conversation: Conversation, body: str, *, key: str
) -> None:
    async with resources.sessions.begin() as session:
        row = await outbound.add_message(
            session, resources, conversation, TextMessage(body=body), key=key, author="system"
        )
    await outbound.dispatch(resources, conversation, row)


async def _announce(resources: Resources, conversation: Conversation) -> None:
    await events.publish(
        resources.redis,
        conversation.tenant,
        "handoff",
        conversation_id=conversation.id,
        state=conversation.state,
    )


async def claim(resources: Resources, conversation_id: int, actor: Actor) -> Conversation:
    """requested -> with_agent; the customer is told who joined."""
    profile_name = ""
    async with resources.sessions.begin() as session:
        conversation = await _get(session, conversation_id)
        if conversation.state == WITH_AGENT and _is_claimer(conversation, actor):
            return conversation  # a repeated click
        if conversation.state != REQUESTED:
            raise NotAllowed(
                f"only a waiting conversation can be claimed; this one is {conversation.state}",
                code="not_waiting",
                state=conversation.state,
            )
        profile = profile_of(resources, conversation.phone_number_id)
        profile_name = profile.name
        now = utcnow()
        await _move(
            session,
            conversation,
            WITH_AGENT,
            actor,
            "claimed",
            {
                "agent_id": actor.agent_id,
                "agent_name": actor.name[:128],
                "claimed_at": now,
                "expires_at": idle_deadline(profile, now),
            },
        )
        await store.mark_tickets(
            session,
            conversation.id,
            from_statuses=[TICKET_PENDING_HUMAN],
            to_status=TICKET_WITH_AGENT,
            actor=actor.key,
        )
    body = notice_text("joined", _language(conversation), agent=actor.name, business=profile_name)
    await _notify_customer(
        resources,
        conversation,
        body,
        key=f"handoff:{conversation.id}:{conversation.version}:joined",
    )
    await _announce(resources, conversation)
    return conversation


def _is_claimer(conversation: Conversation, actor: Actor) -> bool:
    if actor.agent_id is not None:
        return conversation.agent_id == actor.agent_id
    return conversation.agent_id is None and conversation.agent_name == actor.name


async def release(
    resources: Resources,
    conversation_id: int,
    actor: Actor,
    *,
    lane: str | None = None,
    reason: str = "released",
    any_claimer: bool = False,
) -> Conversation:
    """requested/with_agent -> bot; the customer is told they are back with the assistant.

    Only the agent who claimed it may release it, unless `any_claimer` (the conversation
    was resolved in Chatwoot: whoever did it, the people are done with it)."""
    async with resources.sessions.begin() as session:
        conversation = await _get(session, conversation_id)
        mine = any_claimer or _is_claimer(conversation, actor)
        if conversation.state == WITH_AGENT and not mine:
            raise NotAllowed(
                f"{conversation.agent_name} has this conversation; only they can release it",
                code="claimed_by_another",
                state=conversation.state,
            )
        if conversation.state == BOT:
            raise NotAllowed(
                "the bot already has this conversation", code="not_handed_off", state=BOT
            )
        was, agent = conversation.state, conversation.agent_name
        values = {"expires_at": None, "resume_lane": lane or conversation.resume_lane}
        await _move(session, conversation, BOT, actor, reason, values)
        await _tickets_back(session, conversation, actor)
    await _tell_released(resources, conversation, was, agent)
    await _announce(resources, conversation)
    return conversation


async def _tickets_back(session: AsyncSession, conversation: Conversation, actor: Actor) -> None:
    await store.mark_tickets(
        session,
        conversation.id,
        from_statuses=[TICKET_PENDING_HUMAN, TICKET_WITH_AGENT],
        to_status="open",
        actor=actor.key,
    )


async def _tell_released(
    resources: Resources, conversation: Conversation, was: str, agent: str | None
) -> None:
    business = profile_of(resources, conversation.phone_number_id).name
    language = _language(conversation)
    if was == WITH_AGENT and agent:
        body = notice_text("released", language, agent=agent, business=business)
    else:
        body = notice_text("released.unclaimed", language, business=business)
    key = f"handoff:{conversation.id}:{conversation.version}:released"
    await _notify_customer(resources, conversation, body, key=key)


async def expire(resources: Resources, now: datetime | None = None) -> int:
    """The timeout sweep: waiting or claimed conversations past their deadline go back to
    the bot, and the customer is told; how many moved."""
    moved = 0
    now = now or utcnow()
    async with resources.sessions() as session:
        due = [c.id for c in await store.expired(session, now)]
    for conversation_id in due:
        if await _expire_one(resources, conversation_id, now):
            moved += 1
    return moved


async def _expire_one(resources: Resources, conversation_id: int, now: datetime) -> bool:
    actor = Actor(key="timeout", name="timeout")
    async with resources.sessions.begin() as session:
        conversation = await _get(session, conversation_id)
        deadline = aware(conversation.expires_at)
        if conversation.state == BOT or deadline is None or deadline >= now:
            return False  # an agent acted meanwhile
        was, agent = conversation.state, conversation.agent_name
        reason = "queue_timeout" if was == REQUESTED else "idle_timeout"
        try:
            await _move(session, conversation, BOT, actor, reason, {"expires_at": None})
        except store.HandoffConflict:
            return False
        await _tickets_back(session, conversation, actor)
    profile = profile_of(resources, conversation.phone_number_id)
    language = _language(conversation)
    if was == REQUESTED:
        body = notice_text("timeout.queue", language, business=profile.name)
    else:
        body = notice_text("timeout.idle", language, agent=agent or "", business=profile.name)
    key = f"handoff:{conversation.id}:{conversation.version}:timeout"
    await _notify_customer(resources, conversation, body, key=key)
    await _announce(resources, conversation)
    log.info("handoff.timed_out", conversation_id=conversation.id, reason=reason)
    return True


async def window_closes_at(resources: Resources, conversation: Conversation) -> datetime | None:
    async with resources.sessions() as session:
        last = await store.last_inbound_at(
            session, conversation.phone_number_id, conversation.wa_id
        )
    when = aware(last)
    return when + WINDOW if when is not None else None


async def reply(
    resources: Resources,
    conversation_id: int,
    actor: Actor,
    message: Sendable,
    *,
    request_id: str | None = None,
) -> tuple[Conversation, WaMessage]:
    """An agent's message to the customer, through the outbox. Free-form text only inside
    the 24-hour window (templates any time); only the agent who claimed it may reply."""
    async with resources.sessions() as session:
        conversation = await _get(session, conversation_id)
    if conversation.state != WITH_AGENT:
        raise NotAllowed(
            "claim the conversation before replying", code="not_claimed", state=conversation.state
        )
    if not _is_claimer(conversation, actor):
        raise NotAllowed(
            f"{conversation.agent_name} has this conversation",
            code="claimed_by_another",
            state=conversation.state,
        )
    closes = await window_closes_at(resources, conversation)
    if message.kind != "template" and (closes is None or closes <= utcnow()):
        raise NotAllowed(
            "the customer's 24-hour window has closed: only a template can be sent",
            code="window_closed",
            state=conversation.state,
        )
    key = f"agent:{conversation.id}:{request_id or uuid.uuid4().hex}"
    profile = profile_of(resources, conversation.phone_number_id)
    async with resources.sessions.begin() as session:
        row = await outbound.add_message(
            session, resources, conversation, message, key=key, author=actor.key
        )
        fresh = await _get(session, conversation.id)
        if fresh.state == WITH_AGENT:  # the agent writing keeps the chat alive
            fresh.expires_at = idle_deadline(profile, utcnow())
    await outbound.dispatch(resources, conversation, row)
    return conversation, row


async def add_note(
    resources: Resources, conversation_id: int, actor: Actor, body: str
) -> AgentNote:
    async with resources.sessions.begin() as session:
        conversation = await _get(session, conversation_id)
        note = AgentNote(
            conversation_id=conversation.id, author=actor.key, body=body, created_at=utcnow()
        )
        session.add(note)
    await events.publish(
        resources.redis, conversation.tenant, "note", conversation_id=conversation.id
    )
    return note


async def set_ticket(
    resources: Resources, conversation_id: int, number: str, status: str, actor: Actor
) -> Ticket:
    """Solve or close a ticket of this conversation (history kept)."""
    if status not in (TICKET_SOLVED, TICKET_CLOSED):
        raise ValueError(status)
    async with resources.sessions.begin() as session:
        conversation = await _get(session, conversation_id)
        ticket = await store.ticket_by_number(session, conversation.tenant, number)
        if ticket is None or ticket.conversation_id != conversation.id:
            raise LookupError(number)
        if ticket.status == TICKET_CLOSED and status == TICKET_SOLVED:
            raise NotAllowed("the ticket is closed already", code="ticket_closed")
        await store.set_ticket_status(session, ticket, status, actor=actor.key)
    await events.publish(
        resources.redis, conversation.tenant, "ticket", conversation_id=conversation.id
    )
    return ticket


async def _get(session: AsyncSession, conversation_id: int) -> Conversation:
    conversation = await session.get(Conversation, conversation_id, populate_existing=True)
    if conversation is None:
        raise LookupError(conversation_id)
    return conversation


async def _move(
    session: AsyncSession,
    conversation: Conversation,
    to_state: str,
    actor: Actor,
    reason: str,
    values: Mapping[str, object],
) -> None:
    try:
        await store.move(
            session, conversation, to_state, actor=actor.key, reason=reason, values=dict(values)
        )
    except store.HandoffConflict as conflict:
        raise NotAllowed(str(conflict), code="conflict", state=conflict.state) from conflict
