"""The support lane: records the problem as a ticket, acknowledges it, offers a human.

The ticket number is derived from the inbound message id, so a retried turn finds the same
ticket instead of opening a second one. "Talk to a person" (typed or the button) sets
`support.handoff = "requested"`; the full ticket and human workflow is a later issue.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context, context_from
from graph.messages import Button, ButtonsMessage, TextMessage
from graph.session.contract import MAX_OPEN_TICKETS, SessionPatch, SupportState, Ticket
from graph.state import State
from nodes.i18n import say
from nodes.lanes.common import reply, session_of, understanding_of
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


def _open_ticket(support: SupportState, state: State, now: datetime) -> tuple[SupportState, Ticket]:
    number = ticket_number(state.turn.msg_id)
    existing = next((t for t in support.open_tickets if t.number == number), None)
    if existing is not None:
        return support, existing
    category = category_of(understanding_of(state).intent)
    ticket = Ticket(number=number, category=category,
                    summary=state.turn.text[:140], created_at=now)  # fmt: skip
    tickets = [*support.open_tickets, ticket][-MAX_OPEN_TICKETS:]
    return support.model_copy(update={"open_tickets": tickets, "handoff": "offered"}), ticket


def _human(state: State, support: SupportState) -> dict[str, Any]:
    tickets = [t.model_copy(update={"status": "pending_human"}) if t.status == "open" else t
               for t in support.open_tickets]  # fmt: skip
    updated = support.model_copy(update={"handoff": "requested", "open_tickets": tickets})
    # Nothing routes the chat to a person yet: this log line is what an operator can watch.
    logger.warning(
        "support.human_requested",
        extra={"fields": {"thread_id": state.turn.thread_id, "msg_id": state.turn.msg_id,
                          "tickets": [t.number for t in tickets]}},
    )  # fmt: skip
    return reply(state, TextMessage(body=say("support.human", state.language)),
                 patch=SessionPatch(support=updated))  # fmt: skip


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
    return _human(state, session_of(state).support)


async def affirm(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """ "yes" to "Would you like to talk to a person?" asks for one; else acknowledged."""
    support = session_of(state).support
    if support.handoff == "offered":
        return _human(state, support)
    return reply(state, TextMessage(body=say("thanks", state.language)))


async def deny(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    support = session_of(state).support
    if support.handoff == "offered" or state.turn.choice_id == "support:no_human":
        return _decline(state, support)
    return reply(state, TextMessage(body=say("declined", state.language)))


async def thanks(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    return reply(state, TextMessage(body=say("thanks", state.language)))


async def select(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """The "Help" menu button asks what happened; a pick or detail goes with the ticket."""
    support = session_of(state).support
    if state.turn.choice_id == "lane:support":
        return _ask_problem(state)
    if support.open_tickets:
        number = support.open_tickets[-1].number
        return reply(state, TextMessage(body=say("support.noted", state.language, number=number)))
    return await problem(state, runtime)


async def problem(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Open a ticket for the problem and offer a person."""
    support = session_of(state).support
    updated, ticket = _open_ticket(support, state, context_from(runtime.context).clock())
    language = state.language
    buttons = (
        Button(id="support:human", title=say("button.human", language)),
        Button(id="support:no_human", title=say("button.no_thanks", language)),
    )
    message = ButtonsMessage(
        body=say("support.ticket", language, number=ticket.number), buttons=buttons
    )
    return reply(state, message, patch=SessionPatch(support=updated))


HANDLERS = Handlers(
    table={
        "human_request": human,
        "affirm": affirm,
        "deny": deny,
        "thanks": thanks,
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
        "en": ("my package never arrived", "I want a refund", "can I talk to a person?"),
        "es": ("mi pedido llegó roto", "me cobraron dos veces", "quiero hablar con una persona"),
        "pt": (
            "meu pedido não chegou",
            "quero meu dinheiro de volta",
            "não consigo entrar na conta",
        ),
    },
)
