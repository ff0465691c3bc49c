"""The agents' webhook: an HMAC-signed POST to a configured URL when a customer asks for
a person. It runs as a job after the turn's request is committed, so a slow or failing
receiver never blocks or fails the turn, and it is retried with backoff.

Request (`Content-Type: application/json`)::

    X-Convo-Event: handoff.requested
    X-Convo-Delivery: handoff:12:3          (the same on every retry: dedupe on it)
    X-Convo-Timestamp: 1732459200
    X-Convo-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.{raw body}" with the secret>

    {"event": "handoff.requested", "delivery_id": "handoff:12:3",
     "conversation": {"id": 12, "tenant": "demo", "phone_number_id": "...",
                      "customer": {"name": "Lucía", "wa_id": "..."}, "language": "es",
                      "requested_at": "...", "expires_at": "...", "context": {...}}}

A receiver checks the signature in constant time and refuses timestamps older than a few
minutes. Answers: 2xx done; 408, 429 and 5xx or no answer are retried (2 s, 4 s, 8 s, ...
up to `MAX_TRIES` runs); any other status is final and logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx
from arq.worker import Retry, func

from server.jobs import enqueue_once, job_queue
from server.logging import get_logger
from server.resources import Resources
from server.support.desk import profile_of
from server.support.models import Conversation
from server.support.timeutil import aware

log = get_logger(__name__)

NOTIFY_HANDOFF = "notify_handoff"
MAX_TRIES = 8
TIMEOUT_S = 10.0
RETRY_STATUSES = frozenset({408, 425, 429})


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def webhook_url(resources: Resources, conversation: Conversation) -> str | None:
    """The tenant's URL (profile `handoff.webhook_url`), else `HANDOFF_WEBHOOK_URL`."""
    profile = profile_of(resources, conversation.phone_number_id)
    return profile.handoff.webhook_url or resources.settings.handoff_webhook_url


def delivery_id(conversation: Conversation) -> str:
    return f"handoff:{conversation.id}:{conversation.version}"


async def enqueue_notify(resources: Resources, conversation: Conversation) -> None:
    """After a request is committed: one delivery per request (job id = delivery id)."""
    if webhook_url(resources, conversation) is None:
        return
    job_id = delivery_id(conversation)
    await enqueue_once(
        job_queue(resources.redis),
        NOTIFY_HANDOFF,
        conversation.id,
        conversation.version,
        job_id=job_id,
    )


def payload(conversation: Conversation) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        when = aware(value)
        return when.isoformat() if when else None

    return {
        "event": "handoff.requested",
        "delivery_id": delivery_id(conversation),
        "conversation": {
            "id": conversation.id,
            "tenant": conversation.tenant,
            "phone_number_id": conversation.phone_number_id,
            "customer": {"name": conversation.customer_name, "wa_id": conversation.wa_id},
            "state": conversation.state,
            "language": conversation.language,
            "requested_at": iso(conversation.requested_at),
            "expires_at": iso(conversation.expires_at),
            "context": conversation.bot_context or {},
        },
    }


async def notify_handoff(ctx: dict[str, Any], conversation_id: int, version: int) -> str:
    """POST the signed event for the request that made `conversation_id` reach `version`."""
    resources: Resources = ctx["resources"]
    async with resources.sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        return "missing"
    url = webhook_url(resources, conversation)
    secret = resources.settings.handoff_webhook_secret
    if url is None:
        return "no_url"
    if secret is None:
        log.error("handoff_webhook.no_secret", conversation_id=conversation_id)
        return "no_secret"
    snapshot = payload(conversation)
    snapshot["delivery_id"] = f"handoff:{conversation_id}:{version}"
    body = json.dumps(snapshot, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Convo-Event": "handoff.requested",
        "X-Convo-Delivery": snapshot["delivery_id"],
        "X-Convo-Timestamp": timestamp,
        "X-Convo-Signature": sign(secret.get_secret_value(), timestamp, body),
    }
    job_try = int(ctx.get("job_try") or 1)
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
            response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return _retry(job_try, conversation_id, f"{type(exc).__name__}")
    if response.is_success:
        log.info("handoff_webhook.delivered", conversation_id=conversation_id, attempt=job_try)
        return "delivered"
    if response.status_code in RETRY_STATUSES or response.status_code >= 500:
        return _retry(job_try, conversation_id, f"HTTP {response.status_code}")
    log.error(
        "handoff_webhook.refused", conversation_id=conversation_id, status=response.status_code
    )
    return "refused"


def _retry(job_try: int, conversation_id: int, reason: str) -> str:
    if job_try >= MAX_TRIES:
        log.error("handoff_webhook.gave_up", conversation_id=conversation_id, reason=reason)
        return "gave_up"
    defer = min(2.0**job_try, 300.0)
    log.warning(
        "handoff_webhook.retry", conversation_id=conversation_id, reason=reason, defer_s=defer
    )
    raise Retry(defer=defer)


NOTIFY_HANDOFF_JOB = func(notify_handoff, name=NOTIFY_HANDOFF, max_tries=MAX_TRIES + 1)
