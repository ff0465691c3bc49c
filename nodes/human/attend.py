"""`attend`: while a person has the conversation, the bot stays quiet.

Runs after `load` on every turn. It reads the handoff state from the desk (the SQL copy
is the authoritative one, so an agent's claim or release made between two turns is seen
by the next turn) and either lets the turn go on to `route`, or records the message for
the agents and goes straight to `finalize` with no reply. A muted turn is still a turn:
the same controller, session lock, dedupe and fenced commit as any other.

The one thing a waiting customer can do is tap "Back to assistant" (`handoff:cancel`),
which withdraws the request and is answered.

The first turn after the people give the conversation back starts in the lane they named
(or the one it had before the handoff): that lane is the current, sticky one, so a "yes"
or "2" that follows the agent's last words is read in it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Literal

from langgraph.runtime import Runtime

from graph.context import Context, context_from
from graph.messages import TextMessage
from graph.session.contract import SessionPatch, SessionState
from graph.state import State
from nodes.human.texts import CANCEL_CHOICE, text
from nodes.lanes.common import merge_patches

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
    if view.state == "bot" and view.resume_lane:
        return await _resume(state, runtime, view.resume_lane)
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


async def _resume(state: State, runtime: Runtime[Context], lane: str) -> dict[str, Any]:
    """Make `lane` the conversation's current, sticky lane for this turn (the route node
    reads it from the session) and keep it (the same fields in the turn's patch)."""
    ctx, turn = context_from(runtime.context), state.turn
    meta = {
        "current_lane": lane,
        "sticky_until": ctx.clock() + timedelta(seconds=ctx.sticky_seconds),
    }
    session = SessionState.model_validate(state.session)
    resumed = session.model_copy(update={"meta": session.meta.model_copy(update=meta)})
    assert ctx.desk is not None
    await ctx.desk.resumed(turn.tenant_id, turn.wa_id)
    logger.info("handoff.resumed_lane", extra={"fields": {"lane": lane}})
    return {
        "session": resumed.model_dump(mode="json"),
        "patch": merge_patches(state.patch, SessionPatch(meta=meta)),
    }


def after_attend(state: State) -> Literal["route", "finalize"]:
    return FINALIZE if state.muted else ROUTE
