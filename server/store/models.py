"""Tables of the message store. Schema changes go through an Alembic migration."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class WaMessage(Base):
    """One WhatsApp message, inbound or outbound.

    Inbound rows are keyed by Meta's `wamid` (unique: retries and duplicates are stored
    once). Outbound rows are the outbox: created with an `idempotency_key` before they are
    sent, and get their `wamid` from the Graph API's answer.
    """

    __tablename__ = "wa_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    direction: Mapped[str] = mapped_column(String(8))
    wamid: Mapped[str | None] = mapped_column(String(255), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    """The business phone number id (`metadata.phone_number_id`)."""
    wa_id: Mapped[str] = mapped_column(String(32))
    """The customer's WhatsApp id: the sender of inbound rows, the recipient of outbound ones."""
    message_type: Mapped[str] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The raw message object (inbound) or the request body (outbound)."""
    context_wamid: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    """inbound: received. outbound: queued, logged, sent, delivered, read, played, failed."""
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_title: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    author: Mapped[str | None] = mapped_column(String(160))
    """Outbound only: None for the bot, `agent:<handle>` / `chatwoot:<name>` for a person,
    `system` for handoff notices (joined, left, timed out)."""
    provider_timestamp: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When WhatsApp says the message was sent (inbound `timestamp`)."""
    status_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        Index("ix_wa_messages_session", "tenant_id", "wa_id", "created_at"),
        Index("ix_wa_messages_status", "direction", "status"),
    )


class WaStatusEvent(Base):
    """A status webhook (sent/delivered/read/played/failed) of an outbound message.

    Stored once per `(wamid, status)` when the webhook arrives, then applied to the
    outbound row monotonically. Kept even when the wamid is not known yet (the status
    can arrive before the send job recorded the wamid) and applied once it is.
    """

    __tablename__ = "wa_status_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    wamid: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    tenant_id: Mapped[str] = mapped_column(String(64))
    recipient_id: Mapped[str | None] = mapped_column(String(32))
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_title: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    provider_timestamp: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("wamid", "status", name="uq_wa_status_events_wamid_status"),
        Index("ix_wa_status_events_pending", "applied_at", "wamid"),
    )
