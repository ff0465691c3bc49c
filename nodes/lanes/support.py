"""The support lane: records the problem as a ticket, acknowledges it, offers a human.

Tickets and the handoff live with the desk (`Context.desk`, SQL in production): a ticket
is opened once per inbound message (a retried turn finds the same one), a follow-up is
attached to it before the customer is told so, and "talk to a person" (typed or the
button) moves the conversation to `requested`, which mutes the bot until an agent gives
it back. Without a desk (Studio, evals), or when nobody of the business would see a
request (no agent, no agents' webhook, no Chatwoot), the lane says it cannot bring a
person in instead of promising one; without a desk tickets stay in the session.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

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
    ticket_alone_message,
    unavailable_message,
)
from nodes.i18n import say
from nodes.lanes.common import (
    ANYTHING_ELSE,
    asking,
    farewell,
    merge_patches,
    reply,
    session_of,
    tenant_of,
    understanding_of,
)
from nodes.lanes.dispatch import Handlers
from nodes.lanes.support_vocabulary import VOCABULARY
from nodes.registry import LaneSpec
from nodes.taxonomy import SUPPORT_INTENTS

logger = logging.getLogger(__name__)

CATEGORIES: Mapping[str, str] = {
    "problem_account": "account",
    "problem_charged_wrongly": "payment",
    "refund": "refund",
    "problem_damaged": "damaged",
    "problem_wrong_item": "wrong_item",
    "problem_late": "delivery",
    "problem_lost": "delivery",
}
"""The ticket category of each understood intent (anything else is "other")."""


def ticket_number(msg_id: str) -> str:
    """Deterministic per inbound message: a retried turn reuses the number."""
    return "T-" + hashlib.sha256(msg_id.encode("utf-8")).hexdigest()[:6].upper()


def category_of(intent: str) -> str:
    return CATEGORIES.get(intent, "other")


async def _open_ticket(
    support: SupportState, state: State, runtime: Runtime[Context]
) -> tuple[SupportState, Ticket]:
    ctx = context_from(runtime.context)
    turn = state.turn
    number = ticket_number(turn.msg_id)
    category = category_of(understanding_of(state).intent)
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
    if not await ctx.desk.reachable(turn.tenant_id):  # nobody would ever see the request
        logger.warning("handoff.nobody_to_notify", extra={"fields": {"tenant": profile.tenant_id}})
        return reply(
            state, unavailable_message(profile, language), patch=SessionPatch(support=declined)
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


async def human(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    return await _human(state, runtime, session_of(state).support)


async def affirm(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """An "ok" that answers no question: acknowledged, the ticket followed up here. (A yes
    to "Would you like to talk to a person?" arrives as that button, `human_request`: the
    offer is the pending question of the reply that made it, and only of that reply.)"""
    support = session_of(state).support
    if support.open_tickets:
        body = say("support.ack", state.language, number=support.open_tickets[-1].number)
        return reply(state, TextMessage(body=body), patch=ANYTHING_ELSE)
    return reply(state, TextMessage(body=say("ack", state.language)), patch=ANYTHING_ELSE)


async def deny(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """ "no" to the offer of a person (typed or the button) keeps the ticket."""
    support = session_of(state).support
    if support.handoff == "offered" or state.turn.choice_id == "support:no_human":
        return _decline(state, support)
    return reply(state, TextMessage(body=say("declined", state.language)))


async def thanks(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    return reply(state, TextMessage(body=say("thanks", state.language)))


async def goodbye(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    return farewell(state, runtime)


async def select(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """The "Help" menu button asks what happened; a pick or a detail goes with the ticket."""
    support = session_of(state).support
    if state.turn.choice_id == "lane:support":
        return _ask_problem(state)
    if support.open_tickets:
        return await _noted(state, runtime, support)
    return await problem(state, runtime)


async def problem(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Open a ticket for the problem and offer a person (when one can be brought in)."""
    updated, ticket = await _open_ticket(session_of(state).support, state, runtime)
    language = state.language
    ctx, profile = context_from(runtime.context), tenant_of(state, runtime)
    if ctx.desk is not None and not (
        team_available(profile, ctx.clock()) and await ctx.desk.reachable(state.turn.tenant_id)
    ):
        alone = updated.model_copy(update={"handoff": "none"})
        recorded = ticket_alone_message(profile, ticket.number, language)
        return reply(state, recorded, patch=SessionPatch(support=alone))
    buttons = (
        Button(id="support:human", title=say("button.human", language)),
        Button(id="support:no_human", title=say("button.no_thanks", language)),
    )
    message = ButtonsMessage(
        body=say("support.ticket", language, number=ticket.number), buttons=buttons
    )
    offer = asking(yes="support:human", no="support:no_human")
    return reply(state, message, patch=merge_patches(offer, SessionPatch(support=updated)))


HANDLERS = Handlers(
    table={
        "human_request": human,
        "affirm": affirm,
        "deny": deny,
        "thanks": thanks,
        "goodbye": goodbye,
        "select": select,
        "provide_info": select,
    },
    fallback=problem,
)


SPEC = LaneSpec(
    name="support",
    handlers=HANDLERS,
    description=(
        "Problems and people: an order that is late, lost, damaged or wrong, refunds, returns "
        "in progress, complaints, wrong charges, account or login problems, asking for a human."
    ),
    labels={"en": "Help", "es": "Ayuda", "pt": "Ajuda"},
    offer={"en": "a problem", "es": "un problema", "pt": "um problema"},
    intents=SUPPORT_INTENTS,
    default_intent="problem_other",
    vocabulary=VOCABULARY,
    choices={"human": "human_request", "no_human": "deny"},
    examples={
        "en": ("my package never arrived", "I want a refund", "is there a human I can chat with?"),
        "es": ("mi pedido llegó roto", "me cobraron dos veces", "quiero hablar con una persona"),
        "pt": (
            "meu pedido não chegou",
            "o produto veio com defeito, quero o estorno",
            "não consigo entrar na conta",
        ),
    },
)
