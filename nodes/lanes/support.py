"""The support lane: records the problem as a ticket, acknowledges it, offers a human.

The ticket number is derived from the inbound message id, so a retried turn finds the same
ticket instead of opening a second one. "Talk to a person" (typed or the button) sets
`support.handoff = "requested"`; the full ticket and human workflow is a later issue.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from graph.context import Context, context_from
from graph.messages import Button, ButtonsMessage, TextMessage
from graph.session.contract import MAX_OPEN_TICKETS, SessionPatch, SupportState, Ticket
from graph.state import State
from nodes.i18n import say
from nodes.lanes.common import lane_subgraph, reply, session_of
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


def _open_ticket(support: SupportState, state: State, now: datetime) -> tuple[SupportState, Ticket]:
    number = ticket_number(state.turn.msg_id)
    existing = next((t for t in support.open_tickets if t.number == number), None)
    if existing is not None:
        return support, existing
    ticket = Ticket(number=number, category=categorize(state.turn.text),
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


async def gate(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Support keeps whatever reaches it: a problem is never bounced to another lane."""
    return {}


async def answer(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    support = session_of(state).support
    text, choice = state.turn.text, state.turn.choice_id
    offered = support.handoff == "offered" and is_followup(text)  # "yes"/"no" to our offer
    if choice == "support:human" or has_phrase(text, HUMAN) or (offered and has_phrase(text, YES)):
        return _human(state, support)
    if choice == "support:no_human" or (offered and has_phrase(text, NO)):
        return _decline(state, support)
    if choice == "lane:support":
        return _ask_problem(state)
    if is_acknowledgement(text):
        return reply(state, TextMessage(body=say(acknowledgement_key(text), state.language)))
    if is_followup(text) and support.open_tickets:  # "2", "the blue one": about the ticket
        number = support.open_tickets[-1].number
        return reply(state, TextMessage(body=say("support.noted", state.language, number=number)))
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
