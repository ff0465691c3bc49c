"""The session state contract (schema version 3): what a conversation remembers.

Kept small on purpose: the full transcript lives in the message store, so a checkpoint
stays the same size however long the conversation grows. Every list is bounded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CURRENT_SCHEMA_VERSION = 3
DIALOGUE_WINDOW = 20
"""Turns (user + assistant) kept in the state; older ones are in `wa_messages`."""
MAX_OPEN_TICKETS = 10
MAX_RECENT_ORDERS = 10

Language = Literal["en", "es", "pt"]
HandoffStatus = Literal["none", "offered", "requested", "active"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PendingQuestion(_Model):
    """A yes/no question the bot's last reply asked, as the choices its answers stand for.

    A typed "yes" / "sí" / "sim" (or "no") to it is understood as tapping `yes` (or `no`):
    "Would you like to talk to a person?" -> `yes="support:human"`. Set by the lane that
    asks; cleared by any turn that does not ask again, so an old question never answers a
    new "yes".
    """

    yes: str | None = None
    """The choice id a yes stands for (`<lane>:<action>[:<argument>]`), None: no meaning."""
    no: str | None = None
    """The choice id a no stands for; None: the lane holding the conversation answers it."""


class Meta(_Model):
    tenant_id: str
    """The business phone number id."""
    wa_id: str
    """The customer's WhatsApp id (personal data)."""
    current_lane: str | None = None
    """The lane that answered last; the router prefers it until `sticky_until`."""
    sticky_until: datetime | None = None
    last_intent: str | None = None
    language: Language | None = None
    """The language the customer writes in, as last detected."""
    pending_question: PendingQuestion | None = None
    """The yes/no question the bot's last reply asked, if it asked one (optional field:
    sessions stored before it existed read as None, so the schema version is unchanged)."""
    created_at: datetime
    updated_at: datetime


class DialogueTurn(_Model):
    role: Literal["user", "assistant"]
    text: str
    lane: str | None = None
    msg_id: str | None = None
    at: datetime


class Dialogue(_Model):
    turns: list[DialogueTurn] = Field(default_factory=list, max_length=DIALOGUE_WINDOW)
    """The last turns, newest last, at most `DIALOGUE_WINDOW`."""
    last_user_msg_id: str | None = None


class CartLine(_Model):
    sku: str
    name: str
    quantity: int = Field(ge=1)
    unit_price: float = Field(ge=0)
    currency: str = "USD"


class PendingOrder(_Model):
    order_id: str
    status: Literal["awaiting_confirmation", "awaiting_payment", "confirmed", "cancelled"]
    lines: list[CartLine]
    total: float = Field(ge=0)
    currency: str = "USD"


CheckoutStep = Literal["fulfilment", "zone", "pickup", "address", "name", "payment", "summary"]


class CheckoutState(_Model):
    """The guided checkout's answers so far; the step asked is the first one missing."""

    fulfilment: Literal["delivery", "pickup"] | None = None
    zone: str | None = None
    """The delivery zone's id (tenant profile)."""
    pickup_location: str | None = None
    address: str | None = Field(default=None, max_length=300)
    latitude: float | None = None
    longitude: float | None = None
    """Set when the address came as a shared WhatsApp location."""
    name: str | None = Field(default=None, max_length=100)
    """The name the order is under (the contact's profile name once confirmed, or typed)."""
    ask_name: bool = False
    """The customer wants another name than their profile's: ask for it."""
    payment_method: str | None = None
    asked: CheckoutStep | None = None
    """The step whose question was sent last (what a typed answer answers)."""
    summary_key: str | None = None
    """The confirmation key of the summary shown last: its Confirm button carries it."""
    summary_fingerprint: str | None = None
    """What that summary showed (cart, answers, total); a change makes its button stale."""
    reminded: bool = False
    """Another lane answered meanwhile and the customer was told how to come back."""
    updated_at: datetime


class CommerceState(_Model):
    cart: list[CartLine] = Field(default_factory=list)
    cart_updated_at: datetime | None = None
    """When the cart last changed; a cart older than the tenant's lifetime is dropped."""
    pending_order: PendingOrder | None = None
    last_shown_skus: list[str] = Field(default_factory=list, max_length=10)
    """The products last listed, so "the second one" can be resolved."""
    recent_order_ids: list[str] = Field(default_factory=list, max_length=MAX_RECENT_ORDERS)
    checkout: CheckoutState | None = None
    """The checkout in progress (None: none); kept while the customer asks something else."""
    placed_key: str | None = None
    """The confirmation key of the last order placed (a repeated Confirm tap finds it)."""


class Ticket(_Model):
    number: str
    category: str
    summary: str
    status: Literal["open", "pending_human", "closed"] = "open"
    created_at: datetime


class SupportState(_Model):
    open_tickets: list[Ticket] = Field(default_factory=list, max_length=MAX_OPEN_TICKETS)
    handoff: HandoffStatus = "none"


class SessionState(_Model):
    """The versioned state of one conversation (`{tenant_id}:{wa_id}`)."""

    version: int = Field(default=0, ge=0)
    """Revision counter: +1 each time a turn's patch is applied."""
    schema_version: int = CURRENT_SCHEMA_VERSION
    """The contract version; older stored states are upcast on read."""
    meta: Meta
    dialogue: Dialogue = Field(default_factory=Dialogue)
    slots: dict[str, Any] = Field(default_factory=dict)
    """Extracted entities (order number, product, quantity, ...)."""
    commerce: CommerceState = Field(default_factory=CommerceState)
    support: SupportState = Field(default_factory=SupportState)


class SessionPatch(_Model):
    """What a lane changes in a turn. `None` leaves a section as it is."""

    meta: dict[str, Any] | None = None
    """Fields of `Meta` to set (e.g. current_lane, sticky_until, language)."""
    append_turns: list[DialogueTurn] = Field(default_factory=list)
    """Appended to the dialogue window (the oldest drop out)."""
    slots: dict[str, Any] | None = None
    """Merged into `slots`; a key set to None is removed."""
    commerce: CommerceState | None = None
    support: SupportState | None = None
