"""Statuses of the messages this service sent (`value.statuses[]`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from server.whatsapp._fields import obj, string, timestamp
from server.whatsapp.common import Metadata, WhatsAppError, errors_from


@dataclass(frozen=True, slots=True)
class Pricing:
    category: str | None
    pricing_model: str | None
    billable: bool | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str | None
    origin_type: str | None
    expires_at: datetime | None = None


STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "played": 4}
"""Outbound status order: a status only moves forward. `failed` is final."""


@dataclass(frozen=True, slots=True)
class Status:
    """A status of a message this service sent (`id` is its wamid)."""

    id: str
    status: str
    metadata: Metadata
    recipient_id: str | None = None
    timestamp: datetime | None = None
    errors: tuple[WhatsAppError, ...] = ()
    pricing: Pricing | None = None
    conversation: Conversation | None = None
    biz_opaque_callback_data: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_payload(cls, data: Mapping[str, Any], metadata: Metadata) -> Status | None:
        wamid = string(data.get("id"))
        if not wamid:
            return None
        pricing = obj(data.get("pricing"))
        conversation = obj(data.get("conversation"))
        billable = pricing.get("billable")
        return cls(
            id=wamid,
            status=(string(data.get("status")) or "unknown").lower(),
            metadata=metadata,
            recipient_id=string(data.get("recipient_id")),
            timestamp=timestamp(data.get("timestamp")),
            errors=errors_from(data.get("errors")),
            pricing=Pricing(
                category=string(pricing.get("category")),
                pricing_model=string(pricing.get("pricing_model")),
                billable=billable if isinstance(billable, bool) else None,
                type=string(pricing.get("type")),
            )
            if pricing
            else None,
            conversation=Conversation(
                id=string(conversation.get("id")),
                origin_type=string(obj(conversation.get("origin")).get("type")),
                expires_at=timestamp(conversation.get("expiration_timestamp")),
            )
            if conversation
            else None,
            biz_opaque_callback_data=string(data.get("biz_opaque_callback_data")),
            raw=dict(data),
        )
