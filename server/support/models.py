"""Tables of the support desk: conversations' handoff state, tickets, agents, notes.

The handoff state of a conversation lives here, not in the session: agents change it from
the API while the bot's turns read it at their start, so one authoritative copy in SQL
keeps both sides consistent. Every change is a row of history with its time and actor.
Schema changes go through an Alembic migration (`server/store/migrations/versions`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.store.models import Base, utcnow

BOT = "bot"
REQUESTED = "requested"
WITH_AGENT = "with_agent"

TICKET_OPEN = "open"
TICKET_PENDING_HUMAN = "pending_human"
TICKET_WITH_AGENT = "with_agent"
TICKET_SOLVED = "solved"
TICKET_CLOSED = "closed"
TICKET_STATUSES = (
    TICKET_OPEN,
    TICKET_PENDING_HUMAN,
    TICKET_WITH_AGENT,
    TICKET_SOLVED,
    TICKET_CLOSED,
)


class Agent(Base):
    """A person of a business who answers chats; signs in with a bearer token.

    Only the SHA-256 of the token is stored (tokens are 32 random bytes, so a plain hash
    is enough: there is nothing to brute-force)."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    """The tenant profile's `tenant_id` (not a phone number id): an agent sees every number
    of its business and nothing of another."""
    handle: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(128))
    """What the customer is told: "Ana from Casa Aurora joined the chat"."""
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("tenant", "handle", name="uq_agents_tenant_handle"),)


class Conversation(Base):
    """One customer's conversation with one business number, as the agents see it.

    Created the first time the customer asks for a person or opens a ticket."""

    __tablename__ = "support_conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    phone_number_id: Mapped[str] = mapped_column(String(64))
    wa_id: Mapped[str] = mapped_column(String(32))
    customer_name: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default=BOT)
    """bot | requested | with_agent."""
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    """Who claimed it (with_agent); a Chatwoot agent has no row here, see `agent_name`."""
    agent_name: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8), default="en")
    request_msg_id: Mapped[str | None] = mapped_column(String(255))
    """The inbound message that asked for a person (its turn may be re-run)."""
    resume_lane: Mapped[str | None] = mapped_column(String(32))
    bot_context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The bot's side at the request: lane, intent, cart, orders, tickets."""
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When it goes back to the bot if nothing happens (queue or idle timeout)."""
    last_customer_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    chatwoot_conversation_id: Mapped[int | None] = mapped_column(Integer)
    chatwoot_contact_id: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=0)
    """+1 per state change: every change is a compare-and-set on it."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        UniqueConstraint("phone_number_id", "wa_id", name="uq_support_conversations_customer"),
        Index("ix_support_conversations_queue", "tenant", "state"),
        Index("ix_support_conversations_expiry", "state", "expires_at"),
        Index("ix_support_conversations_chatwoot", "chatwoot_conversation_id"),
    )


class HandoffEvent(Base):
    """One change of a conversation's handoff state: from, to, when, who, why."""

    __tablename__ = "handoff_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("support_conversations.id"))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(160))
    """customer | agent:<handle> | chatwoot:<name> | timeout | system."""
    reason: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_handoff_events_conversation", "conversation_id", "id"),)


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("support_conversations.id"))
    category: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    order_ref: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=TICKET_OPEN)
    source_msg_id: Mapped[str] = mapped_column(String(255), unique=True)
    """The inbound message that opened it: one ticket per message, however often its turn runs."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        UniqueConstraint("tenant", "number", name="uq_tickets_tenant_number"),
        Index("ix_tickets_conversation", "conversation_id"),
    )


class TicketEvent(Base):
    """The ticket's history: status changes and the messages attached to it."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(16))
    """status | message."""
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(160))
    wamid: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(320), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_ticket_events_ticket", "ticket_id", "id"),)


class AgentNote(Base):
    """A private note on a conversation: seen by agents, never sent to the customer."""

    __tablename__ = "agent_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("support_conversations.id"))
    author: Mapped[str] = mapped_column(String(160))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_agent_notes_conversation", "conversation_id", "id"),)
