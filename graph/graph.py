"""The conversation graph: load -> attend -> route -> (clarify | a lane) -> handoff -> finalize.

    load      hydrate (upcast + validate) the stored session, reset per-turn fields
    attend    a person has the conversation: record the message, no lane answers
    route     understand the message once (lane, intent, entities, language): a tapped
              button by its id, else the router (offline / llm / hybrid)
    clarify   not sure: one question offering every lane (built from the registry)
    <lane>    one subgraph per registered lane: its handoff rules, then its intent handlers
    handoff   a lane may pass the turn on (max two per turn, no loops)
    finalize  apply the patch (version + 1), store the session as a JSON dict

`build_graph(checkpointer)`: production passes the Redis saver, tests `InMemorySaver()`.
The module-level `graph` has no checkpointer: LangGraph Studio / `langgraph dev` supplies
its own (see `langgraph.json` and `server/studio.py`).
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from graph.context import Context
from graph.edges import on_the_loop
from graph.serde import allow_graph_types
from graph.state import InputState, State
from nodes.human.attend import after_attend, attend
from nodes.lanes.dispatch import lane_subgraph
from nodes.registry import LaneRegistry, default_registry
from nodes.turn.clarify import make_clarify
from nodes.turn.finalize import finalize
from nodes.turn.handoff import FINALIZE, after_handoff, make_handoff
from nodes.turn.load import make_load
from nodes.turn.route import CLARIFY, after_route, make_route

GRAPH_NAME = "conversation"


def build_graph(
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    *,
    registry: LaneRegistry | None = None,
) -> CompiledStateGraph[State, Context, InputState, State]:
    """Compile the conversation graph for `registry`'s lanes (default: info, commerce, support)."""
    lanes = registry or default_registry()
    builder = StateGraph(State, context_schema=Context, input_schema=InputState)
    builder.add_node("load", make_load(lanes))
    builder.add_node("attend", attend)
    builder.add_node("route", make_route(lanes))
    builder.add_node(CLARIFY, make_clarify(lanes))
    for spec in lanes:
        builder.add_node(spec.name, lane_subgraph(spec, lanes))
        builder.add_edge(spec.name, "handoff")
    builder.add_node("handoff", make_handoff(lanes))
    builder.add_node(FINALIZE, finalize)
    builder.add_edge(START, "load")
    builder.add_edge("load", "attend")
    builder.add_conditional_edges("attend", on_the_loop(after_attend), ["route", FINALIZE])
    # Lane names come from the registry, so the routers return `str` and the possible
    # destinations are listed here (which is also what Studio draws).
    builder.add_conditional_edges("route", on_the_loop(after_route), [CLARIFY, *lanes.names])
    builder.add_edge(CLARIFY, FINALIZE)
    builder.add_conditional_edges("handoff", on_the_loop(after_handoff), [FINALIZE, *lanes.names])
    builder.add_edge(FINALIZE, END)
    if checkpointer is not None:
        allow_graph_types(checkpointer)
    return builder.compile(checkpointer=checkpointer, name=GRAPH_NAME)


graph = build_graph()
