"""Builds the support desk with the hooks the settings enable (agents' webhook, Chatwoot)."""

from __future__ import annotations

from server.chatwoot import sync as chatwoot
from server.resources import Resources
from server.support.desk import SqlDesk
from server.support.notify import enqueue_notify


def build_desk(resources: Resources) -> SqlDesk:
    """The desk the worker's graph uses; hooks run after a request or a muted message."""
    return SqlDesk(
        resources,
        after_request=[enqueue_notify, chatwoot.after_request],
        after_held=[chatwoot.after_held],
    )
