"""`load`: first node of every turn - validate the turn, hydrate the session, reset the rest."""

from __future__ import annotations

import logging
from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context, context_from
from graph.messages import InboundTurn
from graph.session.builder import hydrate_session
from graph.session.contract import Language
from graph.state import PER_TURN_RESET, State
from nodes.lanes.common import Node
from nodes.language import detect_language
from nodes.registry import LaneRegistry
from nodes.text import tokens

logger = logging.getLogger(__name__)
SHORT_MESSAGE_WORDS = 2
""""ok", "2", "sí": too short to tell a language; keep the conversation's."""


def choose_language(text: str, previous: Language | None) -> Language:
    """The language to answer in: detected, except that short replies keep the previous one."""
    if previous is not None and len(tokens(text)) <= SHORT_MESSAGE_WORDS:
        return previous
    return detect_language(text, default=previous or "en")


def make_load(
    registry: LaneRegistry,
) -> Node:
    async def load(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Hydrate (upcast + validate) the stored session and start the turn clean."""
        turn = InboundTurn.model_validate(state.turn)
        session = hydrate_session(
            state.session,
            tenant_id=turn.tenant_id,
            wa_id=turn.wa_id,
            now=context_from(runtime.context).clock(),
            lanes=registry.names,
        )
        return {
            **PER_TURN_RESET,
            "turn": turn,
            "session": session.model_dump(mode="json"),
            "base_version": session.version,
            "language": choose_language(turn.text, session.meta.language),
        }

    return load
