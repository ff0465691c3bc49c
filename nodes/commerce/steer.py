"""Keep the checkout's answers in the checkout, and let real questions out.

`route` understands a message on its own; during a checkout that is not enough: "Rua
Augusta 1500" is an address, "Maria" a name, "the second one" a delivery zone, "ok,
continue" a way back after asking the info lane about hours. `steer` runs after the
understanding and, while a checkout is in progress, sends such messages to the commerce
lane's `checkout` intent. A question for another lane ("what are your hours?", "my last
package never arrived") keeps its lane: the checkout waits, and "continue" resumes it.

The commerce lane's own button ids are also read here: checkout options and Confirm
(`checkout`), an order picked from a list (`order_status` with its number), cancelling an
order (`cancel_order` with its number).
"""

from __future__ import annotations

from datetime import datetime

from graph.messages import InboundTurn, OutboundMessage, TextMessage
from graph.session.contract import SessionPatch, SessionState
from graph.state import State
from graph.understanding import Understanding
from nodes.commerce.flow import CANCEL_WORDS, RESUME_WORDS, Shop, answers_step, is_active, said
from nodes.commerce.texts import say

LANE = "commerce"
CONFIDENT = 0.85
STAYS_AN_ANSWER = frozenset({"location", "faq_shipping", "unknown", "provide_info", "greeting",
                             "small_talk", "thanks", "affirm", "deny", "select"})  # fmt: skip
"""Readings of an address or a name that do not mean the customer asked something else."""
ASKS_SOMETHING_ELSE = frozenset({"order_status", "view_cart", "empty_cart"})
"""Commerce readings that are never an address or a name (others, like "browse_catalog",
are what the classifier makes of some addresses)."""
ORDER_ACTIONS = {"order": "order_status", "orders": "order_status", "cancelask": "cancel_order",
                 "cancelyes": "cancel_order", "cancelno": "cancel_order"}  # fmt: skip


def _to(understanding: Understanding, intent: str, **entities: object) -> Understanding:
    update: dict[str, object] = {"lane": LANE, "intent": intent}
    if understanding.method not in {"choice"}:
        update["method"] = "sticky"
    if entities:
        update["entities"] = understanding.entities.model_copy(update=entities)
    return understanding.model_copy(update=update)


def _tapped(understanding: Understanding, choice_id: str) -> Understanding | None:
    parts = choice_id.split(":", 2)
    if len(parts) < 2 or parts[0] != LANE:
        return None
    if parts[1] in {"checkout", "confirm"}:
        return _to(understanding, "checkout")
    if parts[1] in ORDER_ACTIONS:
        number = parts[2] if len(parts) == 3 else None
        return _to(understanding, ORDER_ACTIONS[parts[1]], order_number=number)
    return None


def _leaves(understanding: Understanding, text: str) -> bool:
    """The message asks something else (the checkout waits for it to be answered)."""
    if "?" in text or "¿" in text:
        return True
    if understanding.lane == LANE:  # "add 2 mugs", "where is my order" are not an address
        asks = understanding.intent in ASKS_SOMETHING_ELSE and understanding.confidence >= CONFIDENT
        classified = understanding.method not in {"sticky", "clarify"}
        entities = understanding.entities
        return bool(entities.products or entities.order_number) or (asks and classified)
    return (
        understanding.method not in {"sticky", "clarify"}
        and understanding.confidence >= CONFIDENT
        and understanding.intent not in STAYS_AN_ANSWER
    )


def steer(
    understanding: Understanding,
    turn: InboundTurn,
    session: SessionState,
    shop: Shop,
    now: datetime,
) -> Understanding:
    """The understanding the turn should run with (see the module docstring)."""
    steered = _steer(understanding, turn, session, shop, now)
    checkout = session.commerce.checkout
    free_text = checkout is not None and checkout.asked in {"address", "name"}
    if free_text and steered.intent == "checkout" and not turn.choice_id:
        # "Rua Augusta 1500" or "Maria" says nothing about the language: keep the chat's.
        return steered.model_copy(update={"language": session.meta.language or steered.language})
    return steered


def _steer(
    understanding: Understanding,
    turn: InboundTurn,
    session: SessionState,
    shop: Shop,
    now: datetime,
) -> Understanding:
    if turn.choice_id:
        return _tapped(understanding, turn.choice_id) or understanding
    checkout = session.commerce.checkout
    if not is_active(checkout, now) or checkout is None:
        return understanding
    if turn.message_type == "location":
        return _to(understanding, "checkout")
    if understanding.lane == LANE and understanding.intent == "checkout":
        return understanding
    text = turn.text
    if understanding.lane == LANE and understanding.intent == "cancel_order":
        return (
            understanding if understanding.entities.order_number else _to(understanding, "checkout")
        )
    if said(text, CANCEL_WORDS) and not understanding.entities.order_number:
        return _to(understanding, "checkout")
    if checkout.asked in {"address", "name"} and not _leaves(understanding, text):
        return _to(understanding, "checkout")
    fixed_options = checkout.asked not in {None, "address", "name"}
    if (
        fixed_options
        and "?" not in text
        and answers_step(checkout, text, understanding.entities, shop)
    ):
        return _to(understanding, "checkout")
    if said(text, RESUME_WORDS) and "?" not in text:
        return _to(understanding, "checkout")
    return understanding


def reminder(
    state: State, session: SessionState, now: datetime
) -> tuple[OutboundMessage, SessionPatch] | None:
    """After another lane answered mid-checkout: once, how to come back to the order."""
    checkout = session.commerce.checkout
    understanding = state.understanding
    if checkout is None or not is_active(checkout, now) or checkout.reminded:
        return None
    if understanding is None or understanding.method == "clarify" or state.muted:
        return None
    if state.lane in {None, LANE} or not state.outbound or not session.commerce.cart:
        return None
    marked = checkout.model_copy(update={"reminded": True})
    patch = SessionPatch(commerce=session.commerce.model_copy(update={"checkout": marked}))
    return TextMessage(body=say("checkout.waiting", state.language)), patch
