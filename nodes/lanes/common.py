"""What every lane shares: reading the turn's session and tenant, replying, handing off."""

from __future__ import annotations

from typing import Any, Literal, Protocol

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from graph.context import Context, context_from
from graph.messages import Button, ButtonsMessage, OutboundMessage
from graph.session.contract import Language, SessionPatch, SessionState
from graph.state import State
from nodes.i18n import say
from nodes.tenants import TenantProfile, load_profile

MAX_HANDOFFS = 2
"""A turn may pass between lanes at most this many times (loop guard)."""


class Node(Protocol):
    """The one node signature: `async def verb(state, runtime) -> dict` (a partial update)."""

    async def __call__(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]: ...


LaneNode = Node


def session_of(state: State) -> SessionState:
    """The session as loaded (and validated) by `load` at the start of the turn."""
    return SessionState.model_validate(state.session)


def tenant_of(state: State, runtime: Runtime[Context]) -> TenantProfile:
    return load_profile(state.turn.tenant_id, context_from(runtime.context).tenants_dir)


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


def reply(
    state: State, *messages: OutboundMessage, patch: SessionPatch | None = None
) -> dict[str, Any]:
    """A lane's answer: messages appended to the turn's outbound, patch merged."""
    return {"outbound": [*state.outbound, *messages], "patch": merge_patches(state.patch, patch)}


def visited(state: State) -> list[str]:
    first = [state.decision.lane] if state.decision is not None else []
    return [*first, *state.handoffs]


def may_hand_off(state: State, target: str) -> bool:
    """A lane asks before handing off, so the loop guard rarely has to refuse.

    Only a lane kept by stickiness second-guesses the router: when the router chose the lane
    on the message itself, its classifier knows better than a lane's keyword cues (measured
    on the conversation eval: handing off on router-chosen turns broke 11 turns, fixed 2).
    """
    kept_by_stickiness = state.decision is not None and state.decision.method == "sticky"
    return (
        kept_by_stickiness and len(state.handoffs) < MAX_HANDOFFS and target not in visited(state)
    )


def lane_buttons(language: Language, lanes: tuple[str, ...], body: str) -> ButtonsMessage:
    """Reply buttons that route straight to lanes (choice ids `lane:<name>`)."""
    buttons = tuple(
        Button(id=f"lane:{lane}", title=say(f"lane.{lane}", language)) for lane in lanes
    )
    return ButtonsMessage(body=body, buttons=buttons[:3])


def menu(language: Language) -> ButtonsMessage:
    """The "what can I do for you" message, used when nothing else fits."""
    return lane_buttons(language, ("info", "commerce", "support"), say("menu", language))


def _after_gate(state: State) -> Literal["answer", "__end__"]:
    return "__end__" if state.handoff_to else "answer"


def lane_subgraph(
    name: str, gate: LaneNode, answer: LaneNode
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """A lane as a two-step subgraph: `gate` (hand off?) then `answer`."""
    builder = StateGraph(State, context_schema=Context)
    builder.add_node("gate", gate)
    builder.add_node("answer", answer)
    builder.add_edge(START, "gate")
    builder.add_conditional_edges("gate", _after_gate)
    builder.add_edge("answer", END)
    return builder.compile(name=name)
