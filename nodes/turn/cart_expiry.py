"""A cart older than the tenant's lifetime is dropped at the start of the next turn, and the
customer is told in that turn's replies (before whatever the turn answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from graph.messages import TextMessage
from graph.session.contract import Language, SessionPatch, SessionState
from nodes.commerce.cart import empty_cart, expired
from nodes.i18n import say
from nodes.tenants import TenantProfile


def drop_expired_cart(
    session: SessionState, profile: TenantProfile, now: datetime, language: Language
) -> dict[str, Any]:
    """The state update that drops an expired cart (nothing when the cart is current): the
    session the lanes read, the patch `finalize` applies and the note sent first."""
    lifetime = profile.commerce.cart_lifetime_hours
    if not expired(session.commerce, lifetime, now):
        return {}
    commerce = empty_cart(session.commerce, now=now)
    dropped = session.model_copy(update={"commerce": commerce})
    note = TextMessage(body=say("cart.expired", language, hours=f"{lifetime:g}"))
    return {
        "session": dropped.model_dump(mode="json"),
        "patch": SessionPatch(commerce=commerce),
        "notices": [note],
    }
