"""`handoff`: after a lane ran - accept its handoff, refuse a loop, or move on to finalize.

At most `MAX_HANDOFFS` per turn, and never back to a lane already visited this turn (loop
detection). A refused handoff, or a lane that produced nothing, gets the menu as the reply.
"""

from __future__ import annotations

import logging
from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import State
from nodes.lanes.common import MAX_HANDOFFS, Node, visited
from nodes.lanes.menu import menu
from nodes.registry import LaneRegistry

logger = logging.getLogger(__name__)
FINALIZE = "finalize"


def refusal(state: State, target: str, registry: LaneRegistry) -> str | None:
    if target not in registry:
        return "unknown_lane"
    if len(state.handoffs) >= MAX_HANDOFFS:
        return "too_many_handoffs"
    if target in visited(state):
        return "loop"
    return None


def make_handoff(
    registry: LaneRegistry,
) -> Node:
    async def handoff(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Move the turn to the lane asked for, if allowed."""
        target = state.handoff_to
        fields = {"from": state.lane, "to": target, "msg_id": state.turn.msg_id}
        if target is not None and not state.outbound:
            reason = refusal(state, target, registry)
            if reason is None:
                logger.info("lane.handoff", extra={"fields": fields})
                return {"handoff_to": None, "lane": target, "handoffs": [*state.handoffs, target]}
            logger.warning("lane.handoff_refused", extra={"fields": {**fields, "reason": reason}})
        if state.outbound:
            return {"handoff_to": None}
        return {"handoff_to": None, "outbound": [menu(registry, state.language)]}

    return handoff


def after_handoff(state: State) -> str:
    """Finalize once someone answered; otherwise run the lane handed to."""
    if state.outbound or state.lane is None:
        return FINALIZE
    return state.lane
