"""`load`: first node of every turn - validate the turn, hydrate the session, reset the rest."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context, context_from
from graph.messages import InboundTurn
from graph.session.builder import hydrate_session, new_session
from graph.session.contract import SessionState
from graph.session.errors import InvalidSessionError, UpcastError
from graph.state import PER_TURN_RESET, State
from nodes.lanes.common import Node
from nodes.registry import LaneRegistry

logger = logging.getLogger(__name__)


def _stored_version(raw: Mapping[str, Any] | None) -> int:
    version = (raw or {}).get("version")
    return version if isinstance(version, int) and version >= 0 else 0


def _session(
    state: State, turn: InboundTurn, now: datetime, registry: LaneRegistry
) -> SessionState:
    """The stored session, upcast and validated; an unreadable one is replaced, not fatal.

    A state that can't be upcast or breaks the contract would otherwise fail every later
    turn of this customer. It is logged and a fresh session continues from its version
    number (versions never go backwards); older checkpoints stay in the saver's history.
    """
    try:
        return hydrate_session(
            state.session, tenant_id=turn.tenant_id, wa_id=turn.wa_id, now=now, lanes=registry.names
        )
    except (InvalidSessionError, UpcastError) as error:
        logger.error(
            "session.unreadable",
            extra={"fields": {"error": type(error).__name__, "reason": str(error)[:300],
                              "msg_id": turn.msg_id}},
        )  # fmt: skip
        fresh = new_session(turn.tenant_id, turn.wa_id, now)
        return fresh.model_copy(update={"version": _stored_version(state.session)})


def make_load(registry: LaneRegistry) -> Node:
    async def load(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Hydrate (upcast + validate) the stored session and start the turn clean."""
        turn = InboundTurn.model_validate(state.turn)
        session = _session(state, turn, context_from(runtime.context).clock(), registry)
        return {
            **PER_TURN_RESET,
            "turn": turn,
            "session": session.model_dump(mode="json"),
            "base_version": session.version,
        }

    return load
