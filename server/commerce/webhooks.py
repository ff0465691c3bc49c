"""The payment provider's webhook: `POST /payments/stripe/webhook[/{tenant}]`.

Order of checks: size (413) -> the account exists (404) -> `Stripe-Signature` over the raw
body (401: nothing is read or changed) -> a Stripe event (400) -> stored once per event
id and applied (see `payments.service`) -> 200. A database error answers 503, so Stripe
delivers the event again later; a repeated event is acknowledged and changes nothing.
"""

from __future__ import annotations

import sqlalchemy.exc
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from server.commerce.payments.base import MalformedEvent, SignatureError
from server.commerce.payments.registry import DEFAULT
from server.commerce.payments.service import apply_event
from server.commerce.runtime import Commerce
from server.jobs.retry import TRANSIENT_ERRORS
from server.logging import get_logger

log = get_logger(__name__)
router = APIRouter(tags=["payments"])
MAX_BODY = 512 * 1024


def commerce_of(request: Request) -> Commerce:
    """The app's commerce services, created on first use."""
    state = request.app.state
    if getattr(state, "commerce", None) is None:
        state.commerce = Commerce(state.resources)
    commerce: Commerce = state.commerce
    return commerce


@router.post("/payments/stripe/webhook", include_in_schema=False)
async def stripe_webhook_default(request: Request) -> JSONResponse:
    return await _stripe_webhook(request, DEFAULT)


@router.post("/payments/stripe/webhook/{tenant}", include_in_schema=False)
async def stripe_webhook_tenant(request: Request, tenant: str) -> JSONResponse:
    return await _stripe_webhook(request, tenant)


async def _stripe_webhook(request: Request, account: str) -> JSONResponse:
    commerce = commerce_of(request)
    provider = commerce.providers.stripe_account(account)
    if provider is None:
        log.warning("payments.webhook.no_account", account=account or "default")
        return JSONResponse({"error": "no Stripe account is configured here"}, 404)
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse({"error": "body too large"}, 413)
    try:
        event = provider.verify_event(request.headers, body)
    except SignatureError as exc:
        log.warning("payments.webhook.signature_refused", reason=str(exc))
        return JSONResponse({"error": "invalid signature"}, 401)
    except MalformedEvent as exc:
        log.warning("payments.webhook.malformed", reason=str(exc))
        return JSONResponse({"error": str(exc)}, 400)
    try:
        applied = await apply_event(
            commerce.resources.sessions, event, tenant=account if account else None
        )
        await commerce.after_payment_event(applied, event.event_id)
    except (*TRANSIENT_ERRORS, sqlalchemy.exc.SQLAlchemyError) as exc:  # type: ignore[misc]
        log.error("payments.webhook.store_failed", error=type(exc).__name__)
        return JSONResponse({"error": "try again later"}, 503)
    log.info(
        "payments.webhook.applied",
        event_id=event.event_id,
        event_type=event.event_type,
        outcome=applied.outcome,
        order=applied.order.number if applied.order else None,
    )
    return JSONResponse({"received": True, "outcome": applied.outcome})
