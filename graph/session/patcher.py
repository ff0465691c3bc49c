"""Apply a lane's patch to a session: a new model, one version later, or a refusal.

Never mutates its input. A patch computed from an old version is refused with
`StaleStateError` instead of being applied on top of someone else's newer state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from graph.session.contract import DIALOGUE_WINDOW, SessionPatch, SessionState
from graph.session.errors import InvalidSessionError, StaleStateError


def _merged_slots(current: dict[str, Any], changes: dict[str, Any] | None) -> dict[str, Any]:
    slots = dict(current)
    for key, value in (changes or {}).items():
        if value is None:
            slots.pop(key, None)
        else:
            slots[key] = value
    return slots


def _dialogue(state: SessionState, patch: SessionPatch) -> dict[str, Any]:
    turns = [*state.dialogue.turns, *patch.append_turns][-DIALOGUE_WINDOW:]
    last_user = state.dialogue.last_user_msg_id
    for turn in patch.append_turns:
        if turn.role == "user" and turn.msg_id:
            last_user = turn.msg_id
    return {"turns": [t.model_dump() for t in turns], "last_user_msg_id": last_user}


def apply_patch(
    state: SessionState, patch: SessionPatch, *, expected_version: int, now: datetime
) -> SessionState:
    """Return `state` with `patch` applied, `version + 1` and `meta.updated_at = now`.

    `expected_version` is the version the patch was computed from; if the state has moved
    on since, `StaleStateError` is raised and nothing is applied.
    """
    if state.version != expected_version:
        raise StaleStateError(
            f"stale patch: computed from version {expected_version}, session is at {state.version}",
            expected=expected_version,
            actual=state.version,
        )
    data = state.model_dump()
    meta_changes = dict(patch.meta or {})
    for key in ("tenant_id", "wa_id"):
        if key in meta_changes and meta_changes[key] != getattr(state.meta, key):
            raise InvalidSessionError(f"a patch cannot change meta.{key} (the thread's identity)")
    data["meta"] = {**data["meta"], **meta_changes, "updated_at": now}
    data["dialogue"] = _dialogue(state, patch)
    data["slots"] = _merged_slots(state.slots, patch.slots)
    if patch.commerce is not None:
        data["commerce"] = patch.commerce.model_dump()
    if patch.support is not None:
        data["support"] = patch.support.model_dump()
    data["version"] = state.version + 1
    try:
        return SessionState.model_validate(data)
    except ValidationError as exc:
        raise InvalidSessionError(f"patch produces an invalid session: {exc}") from exc
