"""A minimal graph with the conversation graph's state contract, for state benchmarks/tests.

Same contract as `graph.graph.build_graph` (input `{"turn": InboundTurn}`; a `session`
channel holding the SessionState JSON; `outbound` replies): load (hydrate + upcast) ->
lane (keyword routing, optional test hook) -> finalize (`apply_patch`). It measures the
cost of state and checkpointing without the router's or the lanes' own cost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from graph.messages import InboundTurn, OutboundMessage, TextMessage
from graph.session import DialogueTurn, SessionPatch, SessionState, apply_patch, hydrate_session

Hook = Callable[[InboundTurn], Awaitable[None]]


@dataclass
class TurnContext:
    hook: Hook | None = None
    """Awaited inside the lane node: tests use it to pause a turn or record order."""


class TurnState(TypedDict, total=False):
    turn: InboundTurn
    session: dict[str, Any]
    loaded_version: int
    lane: str
    outbound: list[OutboundMessage]


async def load(state: TurnState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    turn = state["turn"]
    session = hydrate_session(
        state.get("session"), tenant_id=turn.tenant_id, wa_id=turn.wa_id, now=turn.received_at
    )
    return {"session": session.model_dump(mode="json"), "loaded_version": session.version}


async def lane(state: TurnState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    text = state["turn"].text.lower()
    if runtime.context and runtime.context.hook:
        await runtime.context.hook(state["turn"])
    chosen = "commerce" if "buy" in text else "support" if "help" in text else "info"
    return {"lane": chosen}


async def finalize(state: TurnState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    turn, now = state["turn"], state["turn"].received_at
    reply = f"[{state['lane']}] you said: {turn.text}"
    patch = SessionPatch(
        meta={"current_lane": state["lane"], "sticky_until": now + timedelta(minutes=10)},
        append_turns=[
            DialogueTurn(role="user", text=turn.text, msg_id=turn.msg_id, at=now),
            DialogueTurn(role="assistant", text=reply, lane=state["lane"], at=now),
        ],
        slots={"last_text_length": len(turn.text)},
    )
    session = SessionState.model_validate(state["session"])
    new = apply_patch(session, patch, expected_version=state["loaded_version"], now=now)
    return {"session": new.model_dump(mode="json"), "outbound": [TextMessage(body=reply)]}


def build_contract_graph(checkpointer: BaseCheckpointSaver | None = None) -> Any:
    builder = StateGraph(TurnState, context_schema=TurnContext)
    builder.add_node("load", load)
    builder.add_node("lane", lane)
    builder.add_node("finalize", finalize)
    builder.add_edge(START, "load")
    builder.add_edge("load", "lane")
    builder.add_edge("lane", "finalize")
    builder.add_edge("finalize", END)
    return builder.compile(checkpointer=checkpointer)
