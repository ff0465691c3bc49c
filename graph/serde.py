"""The types the graph keeps in its channels, allow-listed for checkpoint deserialization.

LangGraph warns (and will refuse) when a checkpoint holds a class it was not told about.
`checkpoint_serializer()` is a serializer that allows exactly the graph's types;
`build_graph` installs it on a checkpointer still using the default permissive one.
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from graph.messages import (
    Button,
    ButtonsMessage,
    InboundTurn,
    ListMessage,
    ListRow,
    ListSection,
    TextMessage,
)
from graph.session.contract import (
    CartLine,
    CommerceState,
    DialogueTurn,
    PendingOrder,
    SessionPatch,
    SupportState,
    Ticket,
)
from graph.understanding import Entities, IntentScore, ProductMention, Understanding

CHECKPOINT_TYPES: tuple[type, ...] = (
    InboundTurn, Understanding, Entities, ProductMention, IntentScore, TextMessage,
    ButtonsMessage, ListMessage, Button, ListRow, ListSection, SessionPatch, DialogueTurn,
    CommerceState, CartLine, PendingOrder, SupportState, Ticket,
)  # fmt: skip
ALLOWED_MSGPACK_MODULES: tuple[tuple[str, str], ...] = tuple(
    (cls.__module__, cls.__name__) for cls in CHECKPOINT_TYPES
)


def checkpoint_serializer() -> JsonPlusSerializer:
    """The default serializer, restricted to the graph's own types (plus LangGraph's safe ones)."""
    return JsonPlusSerializer(allowed_msgpack_modules=ALLOWED_MSGPACK_MODULES)


def allow_graph_types(checkpointer: BaseCheckpointSaver[Any]) -> BaseCheckpointSaver[Any]:
    """Give a checkpointer with the stock serializer the graph's allowlist (others untouched)."""
    if type(checkpointer.serde) is JsonPlusSerializer:
        checkpointer.serde = checkpoint_serializer()
    return checkpointer
