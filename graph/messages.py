"""Transport-neutral messages: what a turn receives and what it answers.

The webhook translates WhatsApp payloads into an :class:`InboundTurn`; the graph answers
with :data:`OutboundMessage` values; the sender translates those into Graph API calls.
Nothing here knows about HTTP, queues or WhatsApp's JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class InboundTurn(BaseModel):
    """One user message that starts a turn of the conversation graph."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    """The business phone number id (`metadata.phone_number_id`)."""
    wa_id: str
    """The customer's WhatsApp id (personal data: log it masked)."""
    msg_id: str
    """The inbound message id (`wamid...`): the turn's idempotency key. For a burst of
    messages answered as one turn, the newest of them."""
    merged_ids: tuple[str, ...] = ()
    """The ids of the burst's earlier messages this turn answers too, oldest first (their
    texts come before this message's in `text`); committed with the turn, so none of them
    gets a turn of its own."""
    text: str
    """What the user said: the text body, or the title of the button/list row they chose."""
    message_type: Literal["text", "button", "interactive", "location"] = "text"
    choice_id: str | None = None
    """The id of the reply button or list row chosen, when the message is one."""
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    profile_name: str | None = None
    """The name on the customer's WhatsApp profile (personal data)."""
    latitude: float | None = None
    longitude: float | None = None
    """A shared location (`message_type="location"`); `text` is then its name or address."""

    @property
    def thread_id(self) -> str:
        return f"{self.tenant_id}:{self.wa_id}"

    @property
    def message_ids(self) -> tuple[str, ...]:
        """Every message this turn answers, oldest first (its own id last)."""
        return (*self.merged_ids, self.msg_id)


class Button(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    """At most 20 characters (WhatsApp limit, checked by the sender)."""


class ListRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    """At most 24 characters."""
    description: str | None = None
    """At most 72 characters."""


class ListSection(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    rows: tuple[ListRow, ...]


class TextMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["text"] = "text"
    body: str


class ButtonsMessage(BaseModel):
    """Interactive reply buttons (1 to 3)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["buttons"] = "buttons"
    body: str
    buttons: tuple[Button, ...]
    header: str | None = None
    footer: str | None = None


class ListMessage(BaseModel):
    """An interactive list (at most 10 rows in all sections)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["list"] = "list"
    body: str
    button: str
    """The label of the button that opens the list (at most 20 characters)."""
    sections: tuple[ListSection, ...]
    header: str | None = None
    footer: str | None = None


class OrderItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    retailer_id: str
    """The product's SKU."""
    name: str
    """At most 60 characters."""
    unit_minor: int = Field(ge=0)
    quantity: int = Field(ge=1)


class PixCode(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    """The Pix "copia e cola" code the customer pastes in their bank app."""
    merchant_name: str
    key: str
    key_type: Literal["CPF", "CNPJ", "EMAIL", "PHONE", "EVP"]


class OrderDetailsMessage(BaseModel):
    """A WhatsApp Payments order (Brazil) the customer reviews and pays in WhatsApp."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["order_details"] = "order_details"
    body: str
    reference_id: str
    """Unique per order_details message: `[A-Za-z0-9_.-]`, at most 60 characters."""
    currency: Literal["BRL"] = "BRL"
    items: tuple[OrderItem, ...]
    shipping_minor: int = Field(default=0, ge=0)
    pix: PixCode | None = None
    payment_link: str | None = None
    """At least one of `pix` and `payment_link`."""
    footer: str | None = None

    @property
    def subtotal_minor(self) -> int:
        return sum(item.unit_minor * item.quantity for item in self.items)

    @property
    def total_minor(self) -> int:
        return self.subtotal_minor + self.shipping_minor


OutboundMessage = Annotated[
    TextMessage | ButtonsMessage | ListMessage | OrderDetailsMessage, Field(discriminator="kind")
]
