"""`POST /webhooks/chatwoot/{tenant}` (signed) and `/webhooks/chatwoot/{tenant}/{token}`.

Point the Chatwoot API-channel inbox's callback URL (or an account webhook) here.
Order of checks: the tenant has a Chatwoot account (404) -> size (413) -> authenticated
(401, nothing read further): an `X-Chatwoot-Signature: sha256=HMAC(secret,
"{X-Chatwoot-Timestamp}.{body}")` no older than 5 minutes when a webhook secret is
configured and the request is signed, else the URL token -> JSON (400) -> seen before
(`X-Chatwoot-Delivery`, else the body's hash: Chatwoot sends duplicates) -> applied
(`inbound.handle`) -> 200. A database or Redis error answers 503.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from server.chatwoot import inbound
from server.chatwoot.client import ChatwootError
from server.jobs.retry import TRANSIENT_ERRORS
from server.logging import get_logger
from server.resources import Resources
from server.settings import ChatwootAccount

log = get_logger(__name__)
router = APIRouter(tags=["chatwoot"])

MAX_BODY = 256 * 1024
MAX_AGE_S = 300
SEEN_TTL_S = 24 * 3600


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def authenticated(
    account: ChatwootAccount, headers: dict[str, str], body: bytes, token: str | None
) -> bool:
    signed = headers.get("x-chatwoot-signature")
    if account.webhook_secret is not None and signed:
        stamp = headers.get("x-chatwoot-timestamp", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > MAX_AGE_S:
            return False
        expected = signature(account.webhook_secret.get_secret_value(), stamp, body)
        return hmac.compare_digest(signed.strip(), expected)
    if account.webhook_token is not None and token:
        return hmac.compare_digest(token, account.webhook_token.get_secret_value())
    return False


@router.post("/webhooks/chatwoot/{tenant}", include_in_schema=False)
async def chatwoot_signed(request: Request, tenant: str) -> JSONResponse:
    return await _receive(request, tenant, None)


@router.post("/webhooks/chatwoot/{tenant}/{token}", include_in_schema=False)
async def chatwoot_with_token(request: Request, tenant: str, token: str) -> JSONResponse:
    return await _receive(request, tenant, token)


async def _receive(request: Request, tenant: str, token: str | None) -> JSONResponse:
    resources: Resources = request.app.state.resources
    account = resources.settings.chatwoot_account(tenant)
    if account is None:
        return JSONResponse({"error": "no Chatwoot account is configured here"}, 404)
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse({"error": "body too large"}, 413)
    headers = {k.lower(): v for k, v in request.headers.items()}
    if not authenticated(account, headers, body, token):
        log.warning("chatwoot.webhook_refused", tenant=tenant)
        return JSONResponse({"error": "invalid signature or token"}, 401)
    try:
        data = json.loads(body)
    except ValueError:
        return JSONResponse({"error": "the body is not JSON"}, 400)
    event = inbound.ChatwootEvent.parse(data)
    if event is None:
        log.info("chatwoot.webhook_unreadable", tenant=tenant)
        return JSONResponse({"outcome": "ignored"})
    delivery = headers.get("x-chatwoot-delivery") or hashlib.sha256(body).hexdigest()
    seen_key = f"chatwoot:seen:{tenant}:{delivery[:128]}"
    try:
        if not await resources.redis.set(seen_key, 1, nx=True, ex=SEEN_TTL_S):
            return JSONResponse({"outcome": "duplicate"})
        outcome = await inbound.handle(resources, tenant, account, event)
    except (*TRANSIENT_ERRORS, ChatwootError) as exc:  # type: ignore[misc]
        await _forget(resources, seen_key)
        log.error("chatwoot.webhook_failed", error=type(exc).__name__)
        return JSONResponse({"error": "try again later"}, 503)
    except BaseException:
        await _forget(resources, seen_key)
        raise
    log.info("chatwoot.webhook", tenant=tenant, event=event.event, outcome=outcome)
    return JSONResponse({"outcome": outcome})


async def _forget(resources: Resources, key: str) -> None:
    try:
        await resources.redis.delete(key)
    except TRANSIENT_ERRORS:
        log.warning("chatwoot.forget_failed")
