"""The SQL message store: every inbound and outbound WhatsApp message, in `wa_messages`."""

from server.store.db import create_engine, migrate, session_factory
from server.store.models import Base, Direction, WaMessage, WaStatusEvent

__all__ = [
    "Base",
    "Direction",
    "WaMessage",
    "WaStatusEvent",
    "create_engine",
    "migrate",
    "session_factory",
]
