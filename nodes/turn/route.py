"""`route`: decide the lane - a button/list choice directly, else the router."""

from __future__ import annotations

import logging
from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context, context_from
from graph.session.contract import SessionState
from graph.state import State
from nodes.lanes.common import Node
from nodes.registry import LaneRegistry
from nodes.router.types import RouteDecision

logger = logging.getLogger(__name__)
CLARIFY = "clarify"


def choice_decision(
    choice_id: str | None, registry: LaneRegistry, sticky_seconds: int
) -> RouteDecision | None:
    """`lane:<name>` or `<lane>:...` reply ids route straight to that lane."""
    if not choice_id:
        return None
    prefix, _, rest = choice_id.partition(":")
    lane = rest if prefix == "lane" else prefix
    if lane not in registry:
        return None
    intent = "choose_lane" if prefix == "lane" else f"choice:{rest.split(':', 1)[0]}"
    return RouteDecision(lane=lane, intent=intent, confidence=1.0,
                         sticky_seconds=sticky_seconds, method="choice")  # fmt: skip


def make_route(
    registry: LaneRegistry,
) -> Node:
    async def route(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Pick the lane for this turn (or decide to ask a clarifying question)."""
        ctx = context_from(runtime.context)
        meta = SessionState.model_validate(state.session).meta
        decision = choice_decision(state.turn.choice_id, registry, ctx.sticky_seconds)
        if decision is None:
            sticky = meta.sticky_until is not None and meta.sticky_until > ctx.clock()
            decision = await ctx.router_for(registry).route(
                state.turn.text, current_lane=meta.current_lane, sticky_active=sticky
            )
        logger.info(
            "router.decision",
            extra={"fields": {"lane": decision.lane, "intent": decision.intent,
                              "method": decision.method, "confidence": decision.confidence,
                              "prompt_hash": decision.prompt_hash, "msg_id": state.turn.msg_id}},
        )  # fmt: skip
        return {"decision": decision, "lane": decision.lane}

    return route


def after_route(state: State) -> str:
    """The lane node to run, or `clarify` (lane names come from the registry)."""
    assert state.decision is not None
    return CLARIFY if state.decision.method == "clarify" else state.decision.lane
