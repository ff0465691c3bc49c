"""The session state: contract, builder, validator, upcaster and patcher."""

from graph.session.builder import hydrate_session, new_session
from graph.session.contract import (
    CURRENT_SCHEMA_VERSION,
    DIALOGUE_WINDOW,
    CartLine,
    CommerceState,
    Dialogue,
    DialogueTurn,
    Meta,
    PendingOrder,
    SessionPatch,
    SessionState,
    SupportState,
    Ticket,
)
from graph.session.errors import InvalidSessionError, SessionError, StaleStateError, UpcastError
from graph.session.patcher import apply_patch
from graph.session.upcaster import upcast
from graph.session.validator import DEFAULT_LANES, validate_session

__all__ = [
    "CURRENT_SCHEMA_VERSION",
    "DEFAULT_LANES",
    "DIALOGUE_WINDOW",
    "CartLine",
    "CommerceState",
    "Dialogue",
    "DialogueTurn",
    "InvalidSessionError",
    "Meta",
    "PendingOrder",
    "SessionError",
    "SessionPatch",
    "SessionState",
    "StaleStateError",
    "SupportState",
    "Ticket",
    "UpcastError",
    "apply_patch",
    "hydrate_session",
    "new_session",
    "upcast",
    "validate_session",
]
