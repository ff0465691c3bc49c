"""`attend`: while a person has the conversation, the bot stays quiet.

Runs after `load` on every turn. It reads the handoff state from the desk (the SQL copy
is the authoritative one, so an agent's claim or release made between two turns is seen
by the next turn) and either lets the turn go on to `route`, or records the message for
the agents and goes straight to `finalize` with no reply. A muted turn is still a turn:
the same controller, session lock, dedupe and fenced commit as any other.

The one thing a waiting customer can do is tap "Back to assistant" (`handoff:cancel`),
which withdraws the request and is answered.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from langgraph.runtime import Runtime

from graph.context import Context, context_from
from graph.messages import TextMessage
from graph.state import State
from nodes.human.texts import CANCEL_CHOICE, text

logger = logging.getLogger(__name__)

ROUTE: Literal["route"] = "route"
FINALIZE: Literal["finalize"] = "finalize"


async def attend(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Mute the turn when the conversation is waiting for or talking to a person."""
    desk = context_from(runtime.context).desk
    if desk is None:
        return {}
    turn = state.turn
    view = await desk.handoff_view(turn.tenant_id, turn.wa_id)
    if not view.mutes(turn.msg_id):
        return {}
    cancel = turn.choice_id == CANCEL_CHOICE and view.state == "requested"
    if cancel and await desk.cancel_request(turn.tenant_id, turn.wa_id, turn.msg_id):
        reply = TextMessage(body=text("cancelled", state.language))
        return {"muted": True, "outbound": [*state.outbound, reply]}
    await desk.hold_message(turn.tenant_id, turn.wa_id, turn.msg_id, state.language)
    logger.info(
        "handoff.muted_turn",
        extra={"fields": {"msg_id": turn.msg_id, "handoff": view.state}},
    )
    return {"muted": True}


def after_attend(state: State) -> Literal["route", "finalize"]:
    return FINALIZE if state.muted else ROUTE
