"""The support lane: records the problem as a ticket, acknowledges it, offers a human.

Tickets and the handoff live with the desk (`Context.desk`, SQL in production): a ticket
is opened once per inbound message (a retried turn finds the same one), a follow-up is
attached to it before the customer is told so, and "talk to a person" (typed or the
button) moves the conversation to `requested`, which mutes the bot until an agent gives
it back. Without a desk (Studio, evals) tickets stay in the session and the lane says it
cannot bring a person in.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from graph.context import Context, context_from
from graph.messages import Button, ButtonsMessage, TextMessage
from graph.session.contract import (
    MAX_OPEN_TICKETS,
    SessionPatch,
    SessionState,
    SupportState,
    Ticket,
)
from graph.state import State
from nodes.human.desk import HandoffRequest, TicketDraft
from nodes.human.texts import (
    no_team_message,
    requested_message,
    team_available,
    unavailable_message,
)
from nodes.i18n import say
from nodes.lanes.common import lane_subgraph, reply, session_of, tenant_of
from nodes.lanes.cues import HUMAN, NO, YES, acknowledgement_key
from nodes.registry import LaneSpec
from nodes.router.followups import is_acknowledgement, is_followup
from nodes.text import has_phrase

logger = logging.getLogger(__name__)

CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("account", ("login", "log in", "password", "account", "cuenta", "contrasena", "senha",
                 "conta")),
    ("payment", ("charged", "charge", "twice", "cobro", "cobrado", "cobraron", "cobraram",
                 "pago duplicado")),
    ("refund", ("refund", "money back", "reembolso", "devolucion", "estorno", "dinheiro de volta")),
    ("damaged", ("broken", "damaged", "roto", "rota", "quebrado", "quebrada", "danado",
                 "danificado")),
    ("wrong_item", ("wrong", "equivocado", "errado", "incorrecto", "incorreto")),
    ("delivery", ("arrive", "arrived", "late", "never", "package", "delivery", "llego", "llegado",
                  "paquete", "chegou", "pacote", "entrega", "atrasado", "atrasada")),
)  # fmt: skip


def ticket_number(msg_id: str) -> str:
    """Deterministic per inbound message: a retried turn reuses the number."""
    return "T-" + hashlib.sha256(msg_id.encode("utf-8")).hexdigest()[:6].upper()


def categorize(text: str) -> str:
    return next((name for name, cues in CATEGORIES if has_phrase(text, cues)), "other")


async def _open_ticket(
    support: SupportState, state: State, runtime: Runtime[Context]
) -> tuple[SupportState, Ticket]:
    ctx = context_from(runtime.context)
    turn = state.turn
    number, category = ticket_number(turn.msg_id), categorize(turn.text)
    if ctx.desk is not None:
        ref = await ctx.desk.open_ticket(
            TicketDraft(tenant_id=turn.tenant_id, wa_id=turn.wa_id, msg_id=turn.msg_id,
                        category=category, summary=turn.text[:500],
                        customer_name=turn.profile_name)
        )  # fmt: skip
        number, category = ref.number, ref.category
    existing = next((t for t in support.open_tickets if t.number == number), None)
    if existing is not None:
        return support, existing
    ticket = Ticket(number=number, category=category,
                    summary=turn.text[:140], created_at=ctx.clock())  # fmt: skip
    tickets = [*support.open_tickets, ticket][-MAX_OPEN_TICKETS:]
    return support.model_copy(update={"open_tickets": tickets, "handoff": "offered"}), ticket


async def _human(state: State, runtime: Runtime[Context], support: SupportState) -> dict[str, Any]:
    """Ask the desk for a person, and say only what really happened."""
    ctx = context_from(runtime.context)
    profile, language, turn = tenant_of(state, runtime), state.language, state.turn
    declined = support.model_copy(update={"handoff": "none"})
    if ctx.desk is None:
        return reply(
            state, unavailable_message(profile, language), patch=SessionPatch(support=declined)
        )
    if not team_available(profile, ctx.clock()):
        return reply(
            state, no_team_message(profile, language), patch=SessionPatch(support=declined)
        )
    session = session_of(state)
    request = HandoffRequest(
        tenant_id=turn.tenant_id, wa_id=turn.wa_id, msg_id=turn.msg_id, language=language,
        customer_name=turn.profile_name, lane=session.meta.current_lane,
        intent=session.meta.last_intent,
        ticket_numbers=tuple(t.number for t in support.open_tickets),
        bot_context=_bot_context(session),
    )  # fmt: skip
    await ctx.desk.request_handoff(request)
    tickets = [t.model_copy(update={"status": "pending_human"}) if t.status == "open" else t
               for t in support.open_tickets]  # fmt: skip
    updated = support.model_copy(update={"handoff": "requested", "open_tickets": tickets})
    acknowledged = requested_message(profile, ctx.clock(), language)
    return reply(state, acknowledged, patch=SessionPatch(support=updated))


def _bot_context(session: SessionState) -> dict[str, Any]:
    """What the agent is shown of the bot's side: lane, intent, cart, orders, tickets."""
    return {
        "lane": session.meta.current_lane,
        "intent": session.meta.last_intent,
        "language": session.meta.language,
        "cart": [line.model_dump(mode="json") for line in session.commerce.cart],
        "pending_order": session.commerce.pending_order.model_dump(mode="json")
        if session.commerce.pending_order
        else None,
        "recent_order_ids": list(session.commerce.recent_order_ids),
        "tickets": [t.number for t in session.support.open_tickets],
        "slots": dict(session.slots),
    }


async def _noted(state: State, runtime: Runtime[Context], support: SupportState) -> dict[str, Any]:
    """A follow-up about the last ticket: attached to it before saying so."""
    ctx, turn = context_from(runtime.context), state.turn
    number = support.open_tickets[-1].number
    if ctx.desk is not None and not await ctx.desk.add_to_ticket(
        turn.tenant_id, number, turn.msg_id, turn.text
    ):
        return reply(state, TextMessage(body=say("support.ask", state.language)))
    return reply(state, TextMessage(body=say("support.noted", state.language, number=number)))


def _decline(state: State, support: SupportState) -> dict[str, Any]:
    number = support.open_tickets[-1].number if support.open_tickets else "-"
    updated = support.model_copy(update={"handoff": "none"})
    body = say("support.no_human", state.language, number=number)
    return reply(state, TextMessage(body=body), patch=SessionPatch(support=updated))


def _ask_problem(state: State) -> dict[str, Any]:
    """The "Help" menu button says nothing about the problem yet: ask, open no ticket."""
    button = Button(id="support:human", title=say("button.human", state.language))
    return reply(state, ButtonsMessage(body=say("support.ask", state.language), buttons=(button,)))


async def gate(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Support keeps whatever reaches it: a problem is never bounced to another lane."""
    return {}


async def answer(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    support = session_of(state).support
    text, choice = state.turn.text, state.turn.choice_id
    offered = support.handoff == "offered" and is_followup(text)  # "yes"/"no" to our offer
    if choice == "support:human" or has_phrase(text, HUMAN) or (offered and has_phrase(text, YES)):
        return await _human(state, runtime, support)
    if choice == "support:no_human" or (offered and has_phrase(text, NO)):
        return _decline(state, support)
    if choice == "lane:support":
        return _ask_problem(state)
    if is_acknowledgement(text):
        return reply(state, TextMessage(body=say(acknowledgement_key(text), state.language)))
    if is_followup(text) and support.open_tickets:  # "2", "the blue one": about the ticket
        return await _noted(state, runtime, support)
    updated, ticket = await _open_ticket(support, state, runtime)
    language = state.language
    buttons = (
        Button(id="support:human", title=say("button.human", language)),
        Button(id="support:no_human", title=say("button.no_thanks", language)),
    )
    message = ButtonsMessage(
        body=say("support.ticket", language, number=ticket.number), buttons=buttons
    )
    return reply(state, message, patch=SessionPatch(support=updated))


def build_subgraph() -> CompiledStateGraph[Any, Any, Any, Any]:
    return lane_subgraph("support", gate, answer)


SPEC = LaneSpec(
    name="support",
    build=build_subgraph,
    description=(
        "Problems and people: an order that is late, lost, damaged or wrong, refunds, returns "
        "in progress, complaints, wrong charges, account or login problems, asking for a human."
    ),
    labels={"en": "Help", "es": "Ayuda", "pt": "Ajuda"},
    examples={
        "en": ("my package never arrived", "I want a refund", "can I talk to a person?"),
        "es": ("mi pedido llegó roto", "me cobraron dos veces", "quiero hablar con una persona"),
        "pt": (
            "meu pedido não chegou",
            "quero meu dinheiro de volta",
            "não consigo entrar na conta",
        ),
    },
)
