"""The support desk as the graph sees it: handoff state and tickets, behind a Protocol.

The graph never imports the server. Production injects an implementation backed by SQL
(`server.support.desk.SqlDesk`) through `Context.desk`; tests may pass their own. With no
desk (`Context.desk is None`: Studio, evals, unit tests) nothing is muted and the support
lane says plainly that it cannot bring a person in, rather than promising one.

Every write is idempotent on the inbound message id (`msg_id`): a turn may run again
when the commit fence refuses it, and must not open a second ticket or a second request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from graph.session.contract import Language

HandoffState = Literal["bot", "requested", "with_agent"]
"""bot: the bot answers; requested: waiting for a person; with_agent: a person has it."""

MUTED_STATES: frozenset[str] = frozenset({"requested", "with_agent"})


@dataclass(frozen=True)
class HandoffView:
    """The conversation's handoff state, as stored (the authoritative copy is SQL)."""

    state: HandoffState = "bot"
    agent_name: str | None = None
    """The display name of the agent who claimed it (with_agent only)."""
    request_msg_id: str | None = None
    """The inbound message that asked for a person (its turn is not muted when re-run)."""
    resume_lane: str | None = None
    """Back with the bot (`bot` only): the lane the people gave it back to (named on
    release, else the one it had before), not yet resumed by a turn."""

    def mutes(self, msg_id: str) -> bool:
        """Whether the bot stays quiet for message `msg_id`."""
        return self.state in MUTED_STATES and msg_id != self.request_msg_id


@dataclass(frozen=True)
class HandoffRequest:
    """What the support lane knows when a customer asks for a person."""

    tenant_id: str
    wa_id: str
    msg_id: str
    language: Language
    reason: str = "human_request"
    customer_name: str | None = None
    lane: str | None = None
    """The lane that had the conversation (offered as the one to resume)."""
    intent: str | None = None
    ticket_numbers: tuple[str, ...] = ()
    bot_context: Mapping[str, Any] = field(default_factory=dict)
    """A snapshot for the agent: cart, last intent, recent orders (JSON-able)."""


@dataclass(frozen=True)
class TicketDraft:
    tenant_id: str
    wa_id: str
    msg_id: str
    """The inbound message the ticket comes from: one ticket per message, however often
    the turn runs."""
    category: str
    summary: str
    order_ref: str | None = None
    customer_name: str | None = None


@dataclass(frozen=True)
class TicketRef:
    number: str
    category: str
    status: str
    created: bool = False
    """True when this call opened it (False: it existed already)."""


class SupportDesk(Protocol):
    """Handoff state and tickets of the business, per conversation (`tenant_id`, `wa_id`)."""

    async def handoff_view(self, tenant_id: str, wa_id: str) -> HandoffView:
        """The conversation's handoff state (`bot` when it never had one)."""
        ...

    async def reachable(self, tenant_id: str) -> bool:
        """Whether a request for a person would reach anyone of the business: an agent who
        can sign in to the inbox (a live token), the agents' webhook, or Chatwoot. False:
        nobody would ever see the request, so the customer must not be told it was passed on."""
        ...

    async def request_handoff(self, request: HandoffRequest) -> HandoffView:
        """bot -> requested (notifies the agents); already requested or claimed: unchanged."""
        ...

    async def cancel_request(self, tenant_id: str, wa_id: str, msg_id: str) -> bool:
        """requested -> bot, asked by the customer; False when no request was waiting."""
        ...

    async def resumed(self, tenant_id: str, wa_id: str) -> None:
        """A turn started in `resume_lane`: later turns route as usual."""
        ...

    async def hold_message(
        self, tenant_id: str, wa_id: str, msg_id: str, language: Language
    ) -> None:
        """A customer message the bot stays quiet on: shown to the agents."""
        ...

    async def open_ticket(self, draft: TicketDraft) -> TicketRef:
        """A ticket for the problem in `draft.msg_id` (the same one when called again)."""
        ...

    async def add_to_ticket(self, tenant_id: str, number: str, msg_id: str, text: str) -> bool:
        """Attach a customer message to a ticket; False when the ticket does not exist."""
        ...
