"""What every lane shares: reading the turn's session and tenant, replying, handing off."""

from __future__ import annotations

from typing import Any, Protocol

from langgraph.runtime import Runtime

from graph.context import Context, context_from
from graph.messages import OutboundMessage, TextMessage
from graph.session.contract import PendingQuestion, SessionPatch, SessionState
from graph.state import State
from graph.understanding import Entities, Understanding
from nodes.i18n import say
from nodes.tenants import Catalog, TenantProfile, load_catalog, load_profile

MAX_HANDOFFS = 2
"""A turn may pass between lanes at most this many times (loop guard)."""


class Node(Protocol):
    """The one node signature: `async def verb(state, runtime) -> dict` (a partial update)."""

    async def __call__(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]: ...


def understanding_of(state: State) -> Understanding:
    """What `route` understood of the message (lane, intent, entities, language)."""
    if state.understanding is None:
        raise RuntimeError("a lane ran before `route` set the understanding")
    return state.understanding


def entities_of(state: State) -> Entities:
    return understanding_of(state).entities


def session_of(state: State) -> SessionState:
    """The session as loaded (and validated) by `load` at the start of the turn."""
    return SessionState.model_validate(state.session)


def tenant_of(state: State, runtime: Runtime[Context]) -> TenantProfile:
    return load_profile(state.turn.tenant_id, context_from(runtime.context).tenants_dir)


def catalog_of(state: State, runtime: Runtime[Context]) -> Catalog:
    return load_catalog(tenant_of(state, runtime))


def merge_patches(first: SessionPatch | None, second: SessionPatch | None) -> SessionPatch | None:
    """`second` applied after `first` (later sections win, turns and slots accumulate)."""
    if first is None or second is None:
        return second or first
    return SessionPatch(
        meta={**(first.meta or {}), **(second.meta or {})} or None,
        append_turns=[*first.append_turns, *second.append_turns],
        slots={**(first.slots or {}), **(second.slots or {})} or None,
        commerce=second.commerce or first.commerce,
        support=second.support or first.support,
    )


def asking(yes: str | None = None, no: str | None = None) -> SessionPatch:
    """The patch recording that this reply asks a yes/no question: a typed yes (or no) next
    turn stands for the choice id `yes` (or `no`), as if its button had been tapped."""
    question = PendingQuestion(yes=yes, no=no)
    return SessionPatch(meta={"pending_question": question.model_dump(mode="json")})


ANYTHING_ELSE = asking(yes="info:capabilities", no="info:goodbye")
"""After "Anything else I can do for you?": a yes hears what the bot can do, a no a goodbye
(a graph without the info lane routes the answer as any other message)."""


def reply(
    state: State, *messages: OutboundMessage, patch: SessionPatch | None = None
) -> dict[str, Any]:
    """A lane's answer: messages appended to the turn's outbound, patch merged."""
    return {"outbound": [*state.outbound, *messages], "patch": merge_patches(state.patch, patch)}


def farewell(
    state: State, runtime: Runtime[Context], patch: SessionPatch | None = None
) -> dict[str, Any]:
    """ "Bye": the goodbye, from whichever lane holds the conversation (the lane that helped
    closes it)."""
    body = say("goodbye", state.language, business=tenant_of(state, runtime).name)
    return reply(state, TextMessage(body=body), patch=patch)


def visited(state: State) -> list[str]:
    """The lanes that ran this turn, in order (the routed one, then the handoffs)."""
    first = [state.understanding.lane] if state.understanding is not None else []
    return [*first, *state.handoffs]


def may_hand_off(state: State, target: str) -> bool:
    """A lane asks before handing off, so the loop guard rarely has to refuse.

    Only a lane kept by stickiness passes a turn on: when the router chose the lane on the
    message itself, that reading stands (measured on the conversation eval: handing off on
    router-chosen turns broke 11 turns, fixed 2).
    """
    understanding = state.understanding
    kept_by_stickiness = understanding is not None and understanding.method == "sticky"
    return (
        kept_by_stickiness and len(state.handoffs) < MAX_HANDOFFS and target not in visited(state)
    )
