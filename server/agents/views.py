"""What the agent API answers: conversations, transcripts, tickets, as JSON-ready dicts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.resources import Resources
from server.store.models import Direction, WaMessage, utcnow
from server.support import store
from server.support.actions import WINDOW
from server.support.desk import profile_of
from server.support.models import WITH_AGENT, Agent, Conversation
from server.support.timeutil import aware


def _iso(value: datetime | None) -> str | None:
    when = aware(value)
    return when.isoformat() if when else None


def summary(conversation: Conversation, agent: Agent) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "state": conversation.state,
        "customer": {"name": conversation.customer_name, "wa_id": conversation.wa_id},
        "phone_number_id": conversation.phone_number_id,
        "language": conversation.language,
        "agent": conversation.agent_name,
        "claimed_by_me": conversation.state == WITH_AGENT and conversation.agent_id == agent.id,
        "requested_at": _iso(conversation.requested_at),
        "claimed_at": _iso(conversation.claimed_at),
        "expires_at": _iso(conversation.expires_at),
        "last_customer_at": _iso(conversation.last_customer_at),
    }


async def queue(session: AsyncSession, agent: Agent, states: list[str]) -> list[dict[str, Any]]:
    result = await session.execute(
        select(Conversation)
        .where(Conversation.tenant == agent.tenant, Conversation.state.in_(states))
        .order_by(Conversation.requested_at, Conversation.id)
        .limit(200)
    )
    conversations = list(result.scalars())
    counts = await _waiting_counts(session, conversations)
    return [summary(c, agent) | {"unanswered": counts.get(c.id, 0)} for c in conversations]


async def _waiting_counts(
    session: AsyncSession, conversations: list[Conversation]
) -> dict[int, int]:
    """Customer messages since the request (what the queue shows next to each one)."""
    counts: dict[int, int] = {}
    for conversation in conversations:
        since = conversation.requested_at
        if since is None:
            continue
        count = await session.scalar(
            select(func.count(WaMessage.id)).where(
                WaMessage.tenant_id == conversation.phone_number_id,
                WaMessage.wa_id == conversation.wa_id,
                WaMessage.direction == Direction.INBOUND.value,
                WaMessage.created_at >= since,
            )
        )
        counts[conversation.id] = int(count or 0)
    return counts


def _message(row: WaMessage, names: dict[str, str]) -> dict[str, Any]:
    inbound = row.direction == Direction.INBOUND.value
    author = "customer" if inbound else (row.author or "bot")
    return {
        "id": row.id,
        "direction": row.direction,
        "author": author,
        "author_name": names.get(author),
        "kind": row.message_type,
        "text": row.text,
        "buttons": _choices(row.payload) if not inbound else [],
        "status": row.status,
        "error": row.error_title if row.status in ("failed", "unknown") else None,
        "at": _iso(
            row.provider_timestamp if inbound and row.provider_timestamp else row.created_at
        ),
    }


def _choices(payload: dict[str, Any] | None) -> list[str]:
    payload = payload or {}
    titles = [b.get("title", "") for b in payload.get("buttons") or () if isinstance(b, dict)]
    for section in payload.get("sections") or ():
        if isinstance(section, dict):
            titles += [r.get("title", "") for r in section.get("rows") or () if isinstance(r, dict)]
    return titles


async def detail(resources: Resources, conversation: Conversation, agent: Agent) -> dict[str, Any]:
    async with resources.sessions() as session:
        messages = await store.transcript(session, conversation.phone_number_id, conversation.wa_id)
        tickets = await store.tickets_of(session, conversation.id)
        ticket_events = await store.ticket_events(session, [t.id for t in tickets])
        notes = await store.notes_of(session, conversation.id)
        history = await store.handoff_history(session, conversation.id)
        last_inbound = await store.last_inbound_at(
            session, conversation.phone_number_id, conversation.wa_id
        )
        agents = await session.execute(
            select(Agent.handle, Agent.display_name).where(Agent.tenant == conversation.tenant)
        )
    # An agent's reply is stored with the actor key (`agent:<handle>`): shown by name too.
    names = {f"agent:{handle}": name for handle, name in agents}
    last = aware(last_inbound)
    closes = last + WINDOW if last is not None else None
    window_open = closes is not None and closes > utcnow()
    profile = profile_of(resources, conversation.phone_number_id)
    templates = [t.model_dump() for t in profile.handoff.templates]
    return summary(conversation, agent) | {
        "business": profile.name,
        "reply": {
            "window_open": window_open,
            "window_closes_at": closes.isoformat() if closes else None,
            "needs": "text" if window_open else "template",
            "templates": templates,
            "can_reply": conversation.state == WITH_AGENT and conversation.agent_id == agent.id,
        },
        "context": conversation.bot_context or {},
        "tickets": [
            {
                "number": t.number,
                "category": t.category,
                "summary": t.summary,
                "status": t.status,
                "order_ref": t.order_ref,
                "created_at": _iso(t.created_at),
                "history": [
                    {
                        "kind": e.kind,
                        "from": e.from_status,
                        "to": e.to_status,
                        "actor": e.actor,
                        "text": e.body,
                        "at": _iso(e.created_at),
                    }
                    for e in ticket_events
                    if e.ticket_id == t.id
                ],
            }
            for t in tickets
        ],
        "transcript": [_message(row, names) for row in messages],
        "notes": [
            {"id": n.id, "author": n.author, "text": n.body, "at": _iso(n.created_at)}
            for n in notes
        ],
        "history": [
            {
                "from": e.from_state,
                "to": e.to_state,
                "actor": e.actor,
                "reason": e.reason,
                "at": _iso(e.created_at),
            }
            for e in history
        ],
    }
