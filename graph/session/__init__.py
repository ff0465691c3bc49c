"""The session state: contract, builder, validator, upcaster and patcher."""

from graph.session.contract import (
    CURRENT_SCHEMA_VERSION,
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

__all__ = [
    "CURRENT_SCHEMA_VERSION",
    "CartLine",
    "CommerceState",
    "Dialogue",
    "DialogueTurn",
    "Meta",
    "PendingOrder",
    "SessionPatch",
    "SessionState",
    "SupportState",
    "Ticket",
]
