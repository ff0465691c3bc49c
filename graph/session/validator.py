"""Semantic checks a schema cannot express: the state makes sense for this thread, now.

Structure (types, bounds, unknown fields) is checked by the Pydantic contract when the state
is built; this module checks meaning and raises one :class:`InvalidSessionError` listing
every problem found.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from graph.session.contract import CURRENT_SCHEMA_VERSION, SessionState
from graph.session.errors import InvalidSessionError

DEFAULT_LANES: frozenset[str] = frozenset({"info", "commerce", "support"})
MAX_STICKY = timedelta(hours=24)
"""A sticky lane further ahead than this is a bug (a unit mix-up), not a preference."""
CLOCK_SKEW = timedelta(minutes=5)


def _problems(
    state: SessionState,
    *,
    now: datetime,
    previous: SessionState | None,
    lanes: Collection[str],
    thread_id: str | None,
) -> list[str]:
    meta = state.meta
    found: list[str] = []
    if state.schema_version != CURRENT_SCHEMA_VERSION:
        found.append(f"schema_version {state.schema_version} is not {CURRENT_SCHEMA_VERSION}")
    if meta.current_lane is not None and meta.current_lane not in lanes:
        found.append(f"unknown lane {meta.current_lane!r} (known: {', '.join(sorted(lanes))})")
    if meta.sticky_until is not None:
        if meta.sticky_until > now + MAX_STICKY:
            ahead = meta.sticky_until.isoformat()
            found.append(f"sticky_until {ahead} is more than {MAX_STICKY} ahead")
        if meta.current_lane is None:
            found.append("sticky_until is set but there is no current_lane to stick to")
    if meta.updated_at < meta.created_at:
        found.append("updated_at is before created_at")
    if meta.created_at > now + CLOCK_SKEW:
        found.append("created_at is in the future")
    if thread_id is not None and thread_id != f"{meta.tenant_id}:{meta.wa_id}":
        found.append("tenant_id/wa_id do not match the thread this state was loaded for")
    if previous is not None:
        if state.version < previous.version:
            found.append(f"version went backwards: {previous.version} -> {state.version}")
        if (meta.tenant_id, meta.wa_id) != (previous.meta.tenant_id, previous.meta.wa_id):
            found.append("tenant_id/wa_id differ from the previous version of this session")
    return found


def validate_session(
    state: SessionState,
    *,
    now: datetime,
    previous: SessionState | None = None,
    lanes: Collection[str] = DEFAULT_LANES,
    thread_id: str | None = None,
) -> None:
    """Raise :class:`InvalidSessionError` if `state` is not a sensible session.

    `previous` is the version this one replaces (its version must not go backwards);
    `lanes` are the lane names the graph knows; `thread_id` is `"{tenant_id}:{wa_id}"`
    of the thread the state was loaded for.
    """
    found = _problems(state, now=now, previous=previous, lanes=lanes, thread_id=thread_id)
    if found:
        raise InvalidSessionError("invalid session state: " + "; ".join(found))
