"""What an inbound message carries, one frozen type per WhatsApp message `type`.

Each type is built by `from_payload(obj)` from the object named after the message type
(`message["text"]`, `message["image"]`, ...). Builders never raise: a missing field is
`None`/empty, so a partial payload still becomes a value that can be stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from server.whatsapp._fields import flag, number, obj, objects, string


@dataclass(frozen=True, slots=True)
class Text:
    body: str

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Text:
        return cls(body=string(data.get("body")) or "")


@dataclass(frozen=True, slots=True)
class ButtonReply:
    """A tap on an interactive reply button (`interactive.type == "button_reply"`)."""

    id: str
    title: str

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> ButtonReply:
        return cls(id=string(data.get("id")) or "", title=string(data.get("title")) or "")


@dataclass(frozen=True, slots=True)
class ListReply:
    """A row chosen in an interactive list (`interactive.type == "list_reply"`)."""

    id: str
    title: str
    description: str | None = None

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> ListReply:
        return cls(
            id=string(data.get("id")) or "",
            title=string(data.get("title")) or "",
            description=string(data.get("description")),
        )


@dataclass(frozen=True, slots=True)
class FlowReply:
    """A WhatsApp Flow completion (`nfm_reply`); kept, not interpreted."""

    name: str | None
    body: str | None
    response_json: str | None

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> FlowReply:
        return cls(
            name=string(data.get("name")),
            body=string(data.get("body")),
            response_json=string(data.get("response_json")),
        )


@dataclass(frozen=True, slots=True)
class UnknownInteractive:
    """An `interactive` sub-type this service does not know (or none at all)."""

    type: str | None


Interactive = ButtonReply | ListReply | FlowReply | UnknownInteractive


def interactive_from_payload(data: Mapping[str, Any]) -> Interactive:
    sub_type = string(data.get("type"))
    if sub_type == "button_reply":
        return ButtonReply.from_payload(obj(data.get("button_reply")))
    if sub_type == "list_reply":
        return ListReply.from_payload(obj(data.get("list_reply")))
    if sub_type == "nfm_reply":
        return FlowReply.from_payload(obj(data.get("nfm_reply")))
    return UnknownInteractive(type=sub_type)


@dataclass(frozen=True, slots=True)
class TemplateButton:
    """A quick-reply button of a template (`type == "button"`)."""

    text: str
    payload: str | None

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> TemplateButton:
        return cls(text=string(data.get("text")) or "", payload=string(data.get("payload")))


@dataclass(frozen=True, slots=True)
class Media:
    """image, audio, video, document or sticker: a media id to download with the token."""

    kind: str
    id: str | None
    mime_type: str | None = None
    sha256: str | None = None
    caption: str | None = None
    filename: str | None = None
    url: str | None = None
    voice: bool = False
    animated: bool = False

    @classmethod
    def from_payload(cls, kind: str, data: Mapping[str, Any]) -> Media:
        return cls(
            kind=kind,
            id=string(data.get("id")),
            mime_type=string(data.get("mime_type")),
            sha256=string(data.get("sha256")),
            caption=string(data.get("caption")),
            filename=string(data.get("filename")),
            url=string(data.get("url")),
            voice=flag(data.get("voice")),
            animated=flag(data.get("animated")),
        )


MEDIA_TYPES = frozenset({"image", "audio", "video", "document", "sticker"})


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float | None
    longitude: float | None
    name: str | None = None
    address: str | None = None
    url: str | None = None

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Location:
        return cls(
            latitude=number(data.get("latitude")),
            longitude=number(data.get("longitude")),
            name=string(data.get("name")),
            address=string(data.get("address")),
            url=string(data.get("url")),
        )


@dataclass(frozen=True, slots=True)
class SharedContact:
    """One contact card of a `contacts` message."""

    formatted_name: str | None
    phones: tuple[str, ...]
    wa_ids: tuple[str, ...]

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> SharedContact:
        phones = objects(data.get("phones"))
        return cls(
            formatted_name=string(obj(data.get("name")).get("formatted_name")),
            phones=tuple(p for p in (string(x.get("phone")) for x in phones) if p),
            wa_ids=tuple(w for w in (string(x.get("wa_id")) for x in phones) if w),
        )


@dataclass(frozen=True, slots=True)
class Contacts:
    contacts: tuple[SharedContact, ...]


@dataclass(frozen=True, slots=True)
class Reaction:
    """A reaction to a message; `emoji` is None when the user removed the reaction."""

    message_id: str | None
    emoji: str | None

    @property
    def removed(self) -> bool:
        return self.emoji is None

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Reaction:
        # Removal: the emoji is omitted (current payloads) or "" (older ones).
        return cls(
            message_id=string(data.get("message_id")), emoji=string(data.get("emoji")) or None
        )


@dataclass(frozen=True, slots=True)
class OrderItem:
    product_retailer_id: str | None
    quantity: float | None
    item_price: float | None
    currency: str | None


@dataclass(frozen=True, slots=True)
class Order:
    catalog_id: str | None
    text: str | None
    items: tuple[OrderItem, ...]

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Order:
        items = tuple(
            OrderItem(
                product_retailer_id=string(item.get("product_retailer_id")),
                quantity=number(item.get("quantity")),
                item_price=number(item.get("item_price")),
                currency=string(item.get("currency")),
            )
            for item in objects(data.get("product_items"))
        )
        return cls(
            catalog_id=string(data.get("catalog_id")), text=string(data.get("text")), items=items
        )


@dataclass(frozen=True, slots=True)
class System:
    """`user_changed_number`, `customer_identity_changed`, ... (no sender profile)."""

    type: str | None
    body: str | None
    new_wa_id: str | None

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> System:
        return cls(
            type=string(data.get("type")),
            body=string(data.get("body")),
            new_wa_id=string(data.get("wa_id")) or string(data.get("new_wa_id")),
        )


@dataclass(frozen=True, slots=True)
class Unsupported:
    """`unsupported` (and the legacy `unknown`): e.g. an edit, a poll, a deleted message."""

    unsupported_type: str | None


Content = (
    Text
    | Interactive
    | TemplateButton
    | Media
    | Location
    | Contacts
    | Reaction
    | Order
    | System
    | Unsupported
)


def content_from_payload(message_type: str, message: Mapping[str, Any]) -> Content | None:
    """The typed content of `message`, or None when its type object is missing (partial)."""
    if message_type in {"unsupported", "unknown"}:
        return Unsupported(unsupported_type=string(obj(message.get("unsupported")).get("type")))
    if message_type == "contacts":
        if not isinstance(message.get("contacts"), list):
            return None
        cards = tuple(SharedContact.from_payload(c) for c in objects(message.get("contacts")))
        return Contacts(contacts=cards)
    data = message.get(message_type)
    if not isinstance(data, Mapping):
        return None
    return _BUILDERS[message_type](data) if message_type in _BUILDERS else None


def _media(kind: str) -> Any:
    return lambda data: Media.from_payload(kind, data)


_BUILDERS: dict[str, Any] = {
    "text": Text.from_payload,
    "interactive": interactive_from_payload,
    "button": TemplateButton.from_payload,
    "location": Location.from_payload,
    "reaction": Reaction.from_payload,
    "order": Order.from_payload,
    "system": System.from_payload,
    **{kind: _media(kind) for kind in MEDIA_TYPES},
}
