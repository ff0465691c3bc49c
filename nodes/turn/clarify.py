"""`clarify`: one short question with reply buttons when the router is not sure."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context
from graph.messages import Button, ButtonsMessage
from graph.state import State
from nodes.i18n import say
from nodes.lanes.common import Node
from nodes.registry import LaneRegistry

MAX_BUTTONS = 3


def clarifying_question(registry: LaneRegistry, state: State) -> ButtonsMessage:
    """Information / Shopping / Help (the first three lanes), in the user's language."""
    buttons = tuple(
        Button(id=f"lane:{spec.name}", title=spec.label(state.language)[:20])
        for spec in list(registry)[:MAX_BUTTONS]
    )
    return ButtonsMessage(body=say("clarify", state.language), buttons=buttons)


def make_clarify(
    registry: LaneRegistry,
) -> Node:
    async def clarify(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Ask instead of guessing; the button reply routes directly next turn."""
        return {"outbound": [*state.outbound, clarifying_question(registry, state)], "lane": None}

    return clarify
