"""`finalize`: apply the turn's patch (one version per turn) and store the session back."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context, context_from
from graph.messages import ButtonsMessage, ListMessage, OutboundMessage
from graph.session.contract import DialogueTurn, SessionPatch, SessionState
from graph.session.patcher import apply_patch
from graph.state import State
from nodes.commerce.steer import reminder
from nodes.lanes.common import merge_patches

MAX_TURN_TEXT = 500


def summary(messages: list[OutboundMessage]) -> str:
    """The assistant's side of the dialogue window: bodies plus button titles."""
    parts = []
    for message in messages:
        text = message.body
        if isinstance(message, ButtonsMessage):
            text += " [" + " | ".join(b.title for b in message.buttons) + "]"
        elif isinstance(message, ListMessage):
            text += " [" + " | ".join(r.title for s in message.sections for r in s.rows) + "]"
        parts.append(text)
    return "\n".join(parts)[:MAX_TURN_TEXT]


def turn_patch(state: State, now: datetime) -> SessionPatch:
    """Meta (lane, stickiness, intent, language) and the two dialogue turns.

    The pending question is the one this turn's reply asked: a turn whose lanes asked none
    clears the previous one (a "yes" later must not answer an old question)."""
    understanding = state.understanding
    meta: dict[str, Any] = {"language": state.language}
    if "pending_question" not in ((state.patch.meta or {}) if state.patch else {}):
        meta["pending_question"] = None
    user = DialogueTurn(role="user", text=state.turn.text[:MAX_TURN_TEXT], lane=state.lane,
                        msg_id=state.turn.msg_id, at=now)  # fmt: skip
    if understanding is None:  # muted: a person has the conversation, no lane ran
        assert state.muted
        if not state.outbound:
            return SessionPatch(meta=meta, append_turns=[user])
        assistant = DialogueTurn(role="assistant", text=summary(state.outbound), at=now)
        return SessionPatch(meta=meta, append_turns=[user, assistant])
    meta["last_intent"] = understanding.intent
    answered = understanding.method != "clarify" and state.lane is not None
    if answered:
        meta["current_lane"] = state.lane
        meta["sticky_until"] = now + timedelta(seconds=understanding.sticky_seconds)
    turns = [
        user,
        DialogueTurn(role="assistant", text=summary(state.outbound), lane=state.lane, at=now),
    ]
    return SessionPatch(meta=meta, append_turns=turns)


async def finalize(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Apply lanes' patches + the turn's own as one new version; raises StaleStateError."""
    now = context_from(runtime.context).clock()
    session = SessionState.model_validate(state.session)
    extra: dict[str, Any] = {}
    if state.notices:  # told before the answer (an expired cart was dropped)
        state = replace(state, outbound=[*state.notices, *state.outbound])
        extra = {"outbound": state.outbound}
    waiting = reminder(state, session, now)  # a checkout left for another lane's answer
    if waiting is not None:
        message, reminded = waiting
        outbound = [*state.outbound, message]
        state = replace(state, outbound=outbound, patch=merge_patches(state.patch, reminded))
        extra = {"outbound": outbound}
    patch = merge_patches(state.patch, turn_patch(state, now))
    assert patch is not None
    updated = apply_patch(session, patch, expected_version=state.base_version, now=now)
    return {"session": updated.model_dump(mode="json"), "patch": patch, **extra}
