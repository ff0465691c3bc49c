"""Build a session state: a fresh one, or one hydrated from what the checkpointer stored."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from graph.session.contract import Meta, SessionState
from graph.session.errors import InvalidSessionError
from graph.session.upcaster import upcast
from graph.session.validator import DEFAULT_LANES, validate_session


def new_session(tenant_id: str, wa_id: str, now: datetime) -> SessionState:
    """The state of a conversation that has never been seen: version 0, no lane."""
    return SessionState(meta=Meta(tenant_id=tenant_id, wa_id=wa_id, created_at=now, updated_at=now))


def hydrate_session(
    raw: Mapping[str, Any] | None,
    *,
    tenant_id: str,
    wa_id: str,
    now: datetime,
    lanes: Collection[str] = DEFAULT_LANES,
) -> SessionState:
    """`raw` (a stored JSON dict of any schema version) -> a validated current `SessionState`.

    None gives a new session. Raises `UpcastError` or `InvalidSessionError` (both permanent).
    """
    if raw is None:
        return new_session(tenant_id, wa_id, now)
    migrated = upcast(raw)
    try:
        state = SessionState.model_validate(migrated)
    except ValidationError as exc:
        raise InvalidSessionError(f"stored session breaks the contract: {exc}") from exc
    validate_session(state, now=now, lanes=lanes, thread_id=f"{tenant_id}:{wa_id}")
    return state
