"""`route`: understand the message once - lane, intent, entities, language - for the whole turn.

A tapped button or list row is understood from its id (`nodes.router.choices`); so is a
typed yes or no to the yes/no question the bot just asked (`Meta.pending_question`: "sí"
to "Would you like to talk to a person?" is the "Talk to a person" button). Anything else
typed goes to the router with the conversation's language, stickiness and the tenant's
catalog (so "the second one" and "la azul" resolve against what was shown last). A thanks,
a goodbye or an acknowledgement typed while a lane holds the conversation stays in that lane
(`nodes.router.social`); "and the french press too" after an add is another add
(`nodes.router.ellipsis`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context, context_from
from graph.session.contract import PendingQuestion, SessionState
from graph.state import State
from graph.understanding import Entities, Understanding
from nodes.commerce.flow import Shop
from nodes.commerce.steer import LANE as COMMERCE
from nodes.commerce.steer import steer
from nodes.entities import extract_entities
from nodes.lanes.common import Node
from nodes.lanes.info_vocabulary import is_salutation
from nodes.language import turn_language
from nodes.registry import LaneRegistry
from nodes.router.acts import dialogue_act
from nodes.router.choices import choice_understanding
from nodes.router.ellipsis import continued
from nodes.router.social import kept_in_holding_lane
from nodes.tenants import load_catalog, load_profile
from nodes.turn.cart_expiry import drop_expired_cart

logger = logging.getLogger(__name__)
CLARIFY = "clarify"
Choose = Callable[[str | None], Understanding | None]
"""A choice id -> its understanding (None for an id no lane owns)."""


CONVERSATION_GAP = timedelta(hours=3)
"""Turns closer than this are one conversation: "good night" then closes it."""


def salutation_in_context(
    understanding: Understanding, text: str, session: SessionState, now: datetime
) -> Understanding:
    """ "Good night", "buenas noches", "boa noite" alone: a greeting when the chat starts (or
    resumes after a long pause), a goodbye when it ends a conversation."""
    if understanding.intent not in {"greeting", "goodbye"} or not is_salutation(text):
        return understanding
    turns = session.dialogue.turns
    talking = bool(turns) and now - turns[-1].at < CONVERSATION_GAP
    return understanding.model_copy(update={"intent": "goodbye" if talking else "greeting"})


def answered_choice(question: PendingQuestion | None, text: str, entities: Entities) -> str | None:
    """The choice a typed yes / no stands for, when the bot's last reply asked a question."""
    if question is None:
        return None
    act = dialogue_act(text, entities)
    return question.yes if act == "affirm" else question.no if act == "deny" else None


def answer_understanding(
    session: SessionState, text: str, entities: Entities, choose: Choose
) -> Understanding | None:
    """A typed yes / no to the question the bot just asked, understood as its choice. One
    that stays in the conversation's lane is a follow-up kept there (`sticky`); one that
    moves on ("yes" to "talk to a person?" asked by info) is a `choice`."""
    answer = answered_choice(session.meta.pending_question, text, entities)
    answered = choose(answer)
    if answered is None or answered.lane != session.meta.current_lane:
        return answered
    return answered.model_copy(update={"method": "sticky"})


async def understand(
    state: State, ctx: Context, registry: LaneRegistry, session: SessionState
) -> Understanding:
    """The turn's understanding: from the tapped choice, else from the answer to the bot's
    question, else from the router; then kept in the checkout when it answers the checkout's
    question (`nodes.commerce.steer`)."""
    profile = load_profile(state.turn.tenant_id, ctx.tenants_dir)
    catalog = load_catalog(profile)
    language = turn_language(state.turn, session.meta.language)
    choose: Choose = partial(choice_understanding, registry=registry, language=language,
                             sticky_seconds=ctx.sticky_seconds, catalog=catalog)  # fmt: skip
    chosen = choose(state.turn.choice_id)
    if chosen is None:
        text, meta = state.turn.text, session.meta
        entities = extract_entities(text, catalog=catalog, shown=session.commerce.last_shown_skus)
        sticky = meta.sticky_until is not None and meta.sticky_until > ctx.clock()
        answered = answer_understanding(session, text, entities, choose) if sticky else None
        chosen = answered or await ctx.router_for(registry).route(
            text,
            current_lane=meta.current_lane,
            sticky_active=sticky,
            language=language,
            entities=entities,
            profile=profile,
        )
        chosen = salutation_in_context(chosen, text, session, ctx.clock())
        holding = meta.current_lane if sticky else None
        chosen = kept_in_holding_lane(chosen, text, holding=holding,
                                      last_intent=meta.last_intent, registry=registry)  # fmt: skip
        if holding is not None and chosen.lane == holding:
            chosen = continued(chosen, text, meta.last_intent)
    if COMMERCE not in registry:
        return chosen
    shop = Shop(profile, catalog, card_links=True)
    return steer(chosen, state.turn, session, shop, ctx.clock())


def make_route(registry: LaneRegistry) -> Node:
    async def route(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Understand the message (or decide to ask a clarifying question)."""
        session = SessionState.model_validate(state.session)
        understanding = await understand(state, context_from(runtime.context), registry, session)
        logger.info(
            "router.decision",
            extra={"fields": {"lane": understanding.lane, "intent": understanding.intent,
                              "method": understanding.method,
                              "confidence": understanding.confidence,
                              "language": understanding.language,
                              "prompt_hash": understanding.prompt_hash,
                              "msg_id": state.turn.msg_id}},
        )  # fmt: skip
        ctx = context_from(runtime.context)
        profile = load_profile(state.turn.tenant_id, ctx.tenants_dir)
        expiry = drop_expired_cart(session, profile, ctx.clock(), understanding.language)
        return {"understanding": understanding, "lane": understanding.lane, **expiry}

    return route


def after_route(state: State) -> str:
    """The lane node to run, or `clarify` (lane names come from the registry)."""
    assert state.understanding is not None
    return CLARIFY if state.understanding.method == "clarify" else state.understanding.lane
