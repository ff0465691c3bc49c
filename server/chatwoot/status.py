"""What WhatsApp did with a Chatwoot agent's reply, shown on that message in Chatwoot.

A reply that came from Chatwoot is an outbox row keyed `agent:{conversation}:chatwoot:
{account}:{message}`. When the sender or a status webhook moves it to `sent`, `delivered`,
`read` or `failed`, a job PATCHes the Chatwoot message's status (API inboxes accept it),
with WhatsApp's error as `external_error` on a failure (e.g. "131047 Re-engagement
message"), so the agent sees a reply that never reached the customer. Statuses arrive
monotonically from our store; a job per (message, status) runs once.
"""

from __future__ import annotations

import re
from typing import Any

from arq.worker import Retry, func

from server.chatwoot.client import ChatwootClient, ChatwootError
from server.chatwoot.sync import bridge_of
from server.jobs import enqueue_once, job_queue
from server.logging import get_logger
from server.resources import Resources
from server.store import repository
from server.store.models import WaMessage
from server.support.models import Conversation

log = get_logger(__name__)

CHATWOOT_STATUS = "chatwoot_status"
MAX_TRIES = 6
REPORTED = frozenset({"sent", "delivered", "read", "failed"})
KEY = re.compile(r"^agent:(\d+):chatwoot:\d+:(\d+)$")


def chatwoot_reply_of(row: WaMessage) -> tuple[int, int] | None:
    """(our conversation id, Chatwoot message id) of a reply written in Chatwoot."""
    match = KEY.match(row.idempotency_key or "")
    return (int(match[1]), int(match[2])) if match else None


def _bridge_configured(resources: Resources) -> bool:
    settings = resources.settings
    return settings.chatwoot_base_url is not None or bool(settings.chatwoot_accounts)


async def report(resources: Resources, *, outbound_id: int | None = None,
                 wamid: str | None = None) -> None:  # fmt: skip
    """After the send job or a status webhook: queue the status for Chatwoot (best effort:
    a failure here is logged and never fails the send or the status)."""
    if not _bridge_configured(resources):
        return
    try:
        async with resources.sessions() as session:
            row = (
                await session.get(WaMessage, outbound_id)
                if outbound_id is not None
                else await repository.get_by_wamid(session, wamid or "")
            )
        reply = chatwoot_reply_of(row) if row is not None else None
        if row is None or reply is None or row.status not in REPORTED:
            return
        error = f"{row.error_code} {row.error_title}".strip() if row.error_code else None
        await enqueue_once(
            job_queue(resources.redis),
            CHATWOOT_STATUS,
            reply[0],
            reply[1],
            row.status,
            error,
            job_id=f"chatwoot:status:{reply[1]}:{row.status}",
        )
    except Exception as exc:  # best effort: the send itself is done
        log.warning("chatwoot.status_not_queued", error=type(exc).__name__)


async def chatwoot_status(
    ctx: dict[str, Any], conversation_id: int, message_id: int, status: str, error: str | None
) -> str:
    resources: Resources = ctx["resources"]
    async with resources.sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
    bridge = bridge_of(resources, conversation) if conversation is not None else None
    if conversation is None or bridge is None or conversation.chatwoot_conversation_id is None:
        return "off"
    try:
        async with ChatwootClient(bridge[0]) as client:
            await client.set_status(
                conversation.chatwoot_conversation_id, message_id, status, error=error
            )
    except ChatwootError as exc:
        job_try = int(ctx.get("job_try") or 1)
        if exc.transient and job_try < MAX_TRIES:
            raise Retry(defer=min(2.0**job_try, 60.0)) from exc
        log.warning("chatwoot.status_failed", message_id=message_id, error=str(exc))
        return "failed"
    return status


CHATWOOT_STATUS_JOB = func(chatwoot_status, name=CHATWOOT_STATUS, max_tries=MAX_TRIES)
