"""Typed updates parsed from a WhatsApp Cloud API webhook body.

`parse_webhook(body)` walks every `entry[] x changes[] x messages[]/statuses[]/errors[]`
item (Meta batches up to 1000 updates per POST) and returns a :class:`WebhookBatch` of
frozen, slotted objects. It never raises on a shape it does not know: unknown types,
missing type objects and wrong field types become values that keep the raw JSON, so the
webhook can store them and answer 200 (Meta has no replay API).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from server.whatsapp._fields import flag, obj, objects, string, timestamp
from server.whatsapp.common import Metadata, WhatsAppError, errors_from
from server.whatsapp.content import (
    ButtonReply,
    Content,
    ListReply,
    Location,
    Media,
    Order,
    System,
    TemplateButton,
    Text,
    content_from_payload,
)
from server.whatsapp.statuses import STATUS_RANK, Conversation, Pricing, Status

__all__ = [
    "STATUS_RANK",
    "Conversation",
    "Message",
    "MessageContext",
    "Metadata",
    "Pricing",
    "Referral",
    "ReferredProduct",
    "SenderProfile",
    "Status",
    "WebhookBatch",
    "WebhookError",
    "WhatsAppError",
    "parse_webhook",
]

ORCHESTRATED_TYPES = frozenset({"text", "button", "interactive", "location"})


@dataclass(frozen=True, slots=True)
class SenderProfile:
    """`value.contacts[]`: the sender's display name and WhatsApp id."""

    wa_id: str | None
    name: str | None
    user_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> SenderProfile:
        return cls(
            wa_id=string(data.get("wa_id")),
            name=string(obj(data.get("profile")).get("name")),
            user_id=string(data.get("user_id")),
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class ReferredProduct:
    catalog_id: str | None
    product_retailer_id: str | None


@dataclass(frozen=True, slots=True)
class MessageContext:
    """Reply-to (`id` of the quoted message), forwarded flags, product inquiry."""

    message_id: str | None = None
    from_: str | None = None
    forwarded: bool = False
    frequently_forwarded: bool = False
    referred_product: ReferredProduct | None = None

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> MessageContext:
        product = obj(data.get("referred_product"))
        return cls(
            message_id=string(data.get("id")),
            from_=string(data.get("from")),
            forwarded=flag(data.get("forwarded")),
            frequently_forwarded=flag(data.get("frequently_forwarded")),
            referred_product=ReferredProduct(
                catalog_id=string(product.get("catalog_id")),
                product_retailer_id=string(product.get("product_retailer_id")),
            )
            if product
            else None,
        )


@dataclass(frozen=True, slots=True)
class Referral:
    """A Click-to-WhatsApp ad the user came from."""

    source_type: str | None
    source_id: str | None = None
    source_url: str | None = None
    headline: str | None = None
    body: str | None = None
    media_type: str | None = None
    ctwa_clid: str | None = None

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Referral:
        return cls(
            source_type=string(data.get("source_type")),
            source_id=string(data.get("source_id")),
            source_url=string(data.get("source_url")),
            headline=string(data.get("headline")),
            body=string(data.get("body")),
            media_type=string(data.get("media_type")),
            ctwa_clid=string(data.get("ctwa_clid")),
        )


def _fallback_id(raw: Mapping[str, Any]) -> str:
    """A stable id for a message that came without one, so it is still stored once."""
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
    return f"missing-id.{digest[:40]}"


@dataclass(frozen=True, slots=True)
class Message:
    """One inbound user message. `content` is None when its type object was missing."""

    id: str
    from_: str
    type: str
    metadata: Metadata
    content: Content | None
    timestamp: datetime | None = None
    profile: SenderProfile | None = None
    context: MessageContext | None = None
    referral: Referral | None = None
    errors: tuple[WhatsAppError, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_payload(
        cls, data: Mapping[str, Any], metadata: Metadata, profiles: tuple[SenderProfile, ...]
    ) -> Message:
        sender = string(data.get("from")) or ""
        message_type = string(data.get("type")) or "unknown"
        context = obj(data.get("context"))
        referral = obj(data.get("referral"))
        return cls(
            id=string(data.get("id")) or _fallback_id(data),
            from_=sender,
            type=message_type,
            metadata=metadata,
            content=content_from_payload(message_type, data),
            timestamp=timestamp(data.get("timestamp")),
            profile=_profile_for(sender, profiles),
            context=MessageContext.from_payload(context) if context else None,
            referral=Referral.from_payload(referral) if referral else None,
            errors=errors_from(data.get("errors")),
            raw=dict(data),
        )

    @classmethod
    def from_envelope(cls, envelope: Mapping[str, Any]) -> Message:
        """Rebuild a message from what :meth:`envelope` stored."""
        contact = obj(envelope.get("contact"))
        return cls.from_payload(
            obj(envelope.get("message")),
            Metadata.from_payload(obj(envelope.get("metadata"))),
            (SenderProfile.from_payload(contact),) if contact else (),
        )

    def envelope(self) -> dict[str, Any]:
        """The raw JSON to store: the message object, its sender's contact and metadata."""
        return {
            "message": dict(self.raw),
            "contact": dict(self.profile.raw) if self.profile else None,
            "metadata": {
                "phone_number_id": self.metadata.phone_number_id,
                "display_phone_number": self.metadata.display_phone_number,
            },
        }

    @property
    def is_partial(self) -> bool:
        return self.content is None

    @property
    def text(self) -> str | None:
        """What the user said, for the transcript: body, chosen title, caption, ..."""
        content = self.content
        if isinstance(content, Text):
            return content.body
        if isinstance(content, ButtonReply | ListReply):
            return content.title
        if isinstance(content, TemplateButton | Order):
            return content.text
        if isinstance(content, Media):
            return content.caption
        if isinstance(content, System):
            return content.body
        if isinstance(content, Location):
            return content.name or content.address or _coordinates(content)
        return None

    @property
    def choice_id(self) -> str | None:
        """The id of the chosen reply button / list row, or a template button's payload."""
        content = self.content
        if isinstance(content, ButtonReply | ListReply):
            return content.id
        if isinstance(content, TemplateButton):
            return content.payload
        return None

    @property
    def starts_turn(self) -> bool:
        """A text, button or interactive reply with something to say starts a graph turn."""
        return self.type in ORCHESTRATED_TYPES and bool((self.text or "").strip())


def _coordinates(location: Location) -> str | None:
    """A pin with no name or address: its coordinates are what it says."""
    if location.latitude is None or location.longitude is None:
        return None
    return f"📍 {location.latitude:.6f}, {location.longitude:.6f}"


def _profile_for(sender: str, profiles: tuple[SenderProfile, ...]) -> SenderProfile | None:
    for profile in profiles:
        if profile.wa_id == sender:
            return profile
    return profiles[0] if len(profiles) == 1 else None


@dataclass(frozen=True, slots=True)
class WebhookError:
    """A value-level error (system, app or account): no message or status attached."""

    metadata: Metadata
    error: WhatsAppError
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class WebhookBatch:
    messages: tuple[Message, ...] = ()
    statuses: tuple[Status, ...] = ()
    errors: tuple[WebhookError, ...] = ()
    ignored_fields: tuple[str, ...] = ()
    """`changes[].field` values other than `messages` (acknowledged, not handled)."""
    dropped: int = 0
    """Items that could not be used at all (e.g. a status without an id)."""


def parse_webhook(body: Mapping[str, Any]) -> WebhookBatch:
    """Every message, status and value-level error of a webhook body, in payload order."""
    messages: list[Message] = []
    statuses: list[Status] = []
    errors: list[WebhookError] = []
    ignored: list[str] = []
    dropped = 0
    for entry in objects(body.get("entry")):
        for change in objects(entry.get("changes")):
            change_field = string(change.get("field")) or ""
            if change_field != "messages":
                ignored.append(change_field)
                continue
            value = obj(change.get("value"))
            metadata = Metadata.from_payload(obj(value.get("metadata")))
            profiles = tuple(SenderProfile.from_payload(c) for c in objects(value.get("contacts")))
            for item in objects(value.get("messages")):
                messages.append(Message.from_payload(item, metadata, profiles))
            for item in objects(value.get("statuses")):
                status = Status.from_payload(item, metadata)
                if status is None:
                    dropped += 1
                else:
                    statuses.append(status)
            for item in objects(value.get("errors")):
                errors.append(WebhookError(metadata, WhatsAppError.from_payload(item), dict(item)))
    return WebhookBatch(tuple(messages), tuple(statuses), tuple(errors), tuple(ignored), dropped)
