"""Lanes as tables of intent handlers: the framework every lane runs on.

A lane is a `Handlers` table (intent -> handler) on its `LaneSpec`. The graph builds each
lane's subgraph from the spec (`lane_subgraph`):

    gate    the spec's `handoffs` (data): an intent this lane passes to another lane is handed
            off, when stickiness (not the message itself) brought the turn here
    answer  `state.understanding.intent` -> its handler (or the table's fallback)

A handler has the node signature, `async def handler(state, runtime) -> dict`, reads
`state.understanding` (lane, intent, entities, language) and returns `reply(state, ...)`
(or `{"handoff_to": lane}` to pass the turn on). No handler reads the message's words to
decide what was asked: that was decided once, in `route`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from graph.context import Context, context_from
from graph.edges import on_the_loop
from graph.state import State
from nodes.lanes.common import Node, may_hand_off

if TYPE_CHECKING:
    from nodes.registry import LaneRegistry, LaneSpec

logger = logging.getLogger(__name__)
Handler = Node
"""`async def handler(state: State, runtime: Runtime[Context]) -> dict` (a partial update)."""


@dataclass(frozen=True)
class Handlers:
    """A lane's intent -> handler table, with the handler for everything else."""

    table: Mapping[str, Handler]
    fallback: Handler
    """Answers an intent the table does not list (the lane's default behaviour)."""
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Intent -> another intent whose handler answers it too (`{"hours_on_day": "hours"}`)."""

    def handler_for(self, intent: str) -> Handler:
        name = self.aliases.get(intent, intent)
        return self.table.get(name, self.fallback)

    def with_handlers(self, **handlers: Handler) -> Handlers:
        """A copy with `handlers` added or replaced (for a tenant's or a test's variant)."""
        return dataclasses.replace(self, table={**self.table, **handlers})


def intent_of(state: State) -> str:
    """The intent the turn is about (`route` always sets the understanding first)."""
    return state.understanding.intent if state.understanding is not None else ""


def make_gate(spec: LaneSpec) -> Node:
    async def gate(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Pass the turn on when the spec says this intent belongs to another lane."""
        target = spec.handoffs.get(intent_of(state))
        if target is not None and target != spec.name and may_hand_off(state, target):
            return {"handoff_to": target}
        return {}

    return gate


def make_answer(spec: LaneSpec, registry: LaneRegistry) -> Node:
    async def answer(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Run the handler of the understood intent (the graph's lanes visible to menus)."""
        intent = intent_of(state)
        handler = spec.handlers.handler_for(intent)
        logger.debug("lane.dispatch", extra={"fields": {"lane": spec.name, "intent": intent}})
        ctx = context_from(runtime.context)
        if ctx.lanes is not registry:
            ctx = dataclasses.replace(ctx, lanes=registry, router=ctx.router_for(registry))
        return await handler(state, runtime.override(context=ctx))

    return answer


def _after_gate(state: State) -> Literal["answer", "__end__"]:
    return "__end__" if state.handoff_to else "answer"


def lane_subgraph(spec: LaneSpec, registry: LaneRegistry) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The lane's subgraph: `gate` (hand off by the spec's rules?) then `answer` (dispatch)."""
    builder = StateGraph(State, context_schema=Context)
    builder.add_node("gate", make_gate(spec))
    builder.add_node("answer", make_answer(spec, registry))
    builder.add_edge(START, "gate")
    builder.add_conditional_edges("gate", on_the_loop(_after_gate))
    builder.add_edge("answer", END)
    return builder.compile(name=spec.name)
