"""`clarify`: one short question offering every lane, when the router is not sure."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import State
from nodes.lanes.common import Node
from nodes.lanes.menu import clarifying_question
from nodes.registry import LaneRegistry


def make_clarify(registry: LaneRegistry) -> Node:
    async def clarify(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Ask instead of guessing; the tapped option routes directly next turn."""
        question = clarifying_question(registry, state.language)
        return {"outbound": [*state.outbound, question], "lane": None}

    return clarify
