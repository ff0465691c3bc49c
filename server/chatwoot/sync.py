"""Our side -> Chatwoot: open the conversation there when a person is asked for, and
mirror what the customer writes while the bot is muted.

One job, `chatwoot_sync(conversation_id)`, enqueued after a request is committed and
after each muted customer message. It never runs inside a turn, so a
slow or absent Chatwoot cannot delay or fail the bot. Runs of one conversation take a
Redis lock and move a cursor (the last `wa_messages.id` shown in Chatwoot), so messages
appear in order and once, whichever job runs first:

1. no Chatwoot conversation yet: find or create the contact (phone `+wa_id`), give it a
   contact inbox whose `source_id` is the `wa_id`, create an open conversation, post the
   transcript so far and the bot's context as one private note;
2. a new request for a conversation that has one: reopen it, post what happened since;
3. then every customer message past the cursor is posted as `incoming`.

Nothing we post can come back as a message to the customer: private notes and
`incoming` messages are ignored by `inbound`.
"""

from __future__ import annotations

import secrets
from typing import Any

from arq.worker import Retry, func
from sqlalchemy import select, update

from server.chatwoot.client import ChatwootClient, ChatwootError
from server.jobs import enqueue_once, job_queue
from server.logging import get_logger
from server.resources import Resources
from server.settings import ChatwootAccount
from server.store.models import Direction, WaMessage
from server.support.desk import profile_of
from server.support.models import BOT, Conversation

log = get_logger(__name__)

CHATWOOT_SYNC = "chatwoot_sync"
MAX_TRIES = 8
LOCK_TTL_MS = 30_000
CURSOR_TTL_S = 30 * 24 * 3600
NOTE_MAX = 8000
TRANSCRIPT_ROWS = 40


def bridge_of(
    resources: Resources, conversation: Conversation
) -> tuple[ChatwootAccount, int] | None:
    """The tenant's Chatwoot account and inbox; None when the bridge is off for it."""
    account = resources.settings.chatwoot_account(conversation.tenant)
    if account is None:
        return None
    profile = profile_of(resources, conversation.phone_number_id)
    inbox = profile.handoff.chatwoot_inbox_id or account.inbox_id
    if inbox is None:
        log.warning("chatwoot.no_inbox", tenant=conversation.tenant)
        return None
    return account, inbox


async def after_request(resources: Resources, conversation: Conversation) -> None:
    """`SqlDesk` hook: a person was asked for (once per request: the version is in the id)."""
    if bridge_of(resources, conversation) is None:
        return
    job_id = f"chatwoot:sync:{conversation.id}:v{conversation.version}"
    await enqueue_once(job_queue(resources.redis), CHATWOOT_SYNC, conversation.id, job_id=job_id)


async def after_held(resources: Resources, conversation: Conversation, msg_id: str) -> None:
    """`SqlDesk` hook: a customer message the bot stayed quiet on."""
    if bridge_of(resources, conversation) is None:
        return
    job_id = f"chatwoot:sync:{conversation.id}:m{msg_id}"
    await enqueue_once(job_queue(resources.redis), CHATWOOT_SYNC, conversation.id, job_id=job_id)


def _cursor_key(conversation_id: int) -> str:
    return f"chatwoot:cursor:{conversation_id}"


def _request_key(conversation_id: int) -> str:
    """The request (its inbound message id) the Chatwoot conversation was last opened for."""
    return f"chatwoot:request:{conversation_id}"


async def chatwoot_sync(ctx: dict[str, Any], conversation_id: int) -> str:
    resources: Resources = ctx["resources"]
    job_try = int(ctx.get("job_try") or 1)
    async with resources.sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        return "missing"
    bridge = bridge_of(resources, conversation)
    if bridge is None:
        return "off"
    account, inbox = bridge
    lock_key, token = f"chatwoot:sync:{conversation_id}:lock", secrets.token_hex(8)
    if not await resources.redis.set(lock_key, token, nx=True, px=LOCK_TTL_MS):
        raise Retry(defer=1.0)  # another run of this conversation: after it, in order
    try:
        async with ChatwootClient(account) as client:
            await _sync(resources, client, conversation, inbox)
    except ChatwootError as exc:
        if exc.transient and job_try < MAX_TRIES:
            log.warning("chatwoot.sync_retry", conversation_id=conversation_id, error=str(exc))
            raise Retry(defer=min(2.0**job_try, 120.0)) from exc
        log.error("chatwoot.sync_failed", conversation_id=conversation_id, error=str(exc))
        return "failed"
    finally:
        if await resources.redis.get(lock_key) == token.encode():
            await resources.redis.delete(lock_key)
    return "synced"


async def _sync(
    resources: Resources,
    client: ChatwootClient,
    conversation: Conversation,
    inbox: int,
) -> None:
    redis = resources.redis
    raw = await redis.get(_cursor_key(conversation.id))
    cursor = int(raw) if raw else 0
    chatwoot_id = conversation.chatwoot_conversation_id
    request = conversation.request_msg_id or ""
    stored = await redis.get(_request_key(conversation.id))
    opened_for = stored.decode() if isinstance(stored, bytes) else (stored or "")
    if chatwoot_id is None:
        chatwoot_id = await _open(resources, client, conversation, inbox)
        rows = await _rows(resources, conversation, after_id=0)
        await client.post_message(
            chatwoot_id, _note(conversation, rows[-TRANSCRIPT_ROWS:], first=True), private=True,
            message_type="outgoing",
        )  # fmt: skip
        cursor = rows[-1].id if rows else cursor
    elif conversation.state != BOT and opened_for != request:
        await client.toggle_status(chatwoot_id, "open")
        rows = await _rows(resources, conversation, after_id=cursor)
        await client.post_message(
            chatwoot_id, _note(conversation, rows[-TRANSCRIPT_ROWS:], first=False), private=True,
            message_type="outgoing",
        )  # fmt: skip
        cursor = rows[-1].id if rows else cursor
    await redis.set(_cursor_key(conversation.id), cursor, ex=CURSOR_TTL_S)
    if conversation.state != BOT:
        await redis.set(_request_key(conversation.id), request, ex=CURSOR_TTL_S)
    for row in await _rows(resources, conversation, after_id=cursor):
        if row.direction == Direction.INBOUND.value:
            await client.post_message(chatwoot_id, _content(row), source_id=row.wamid)
        await redis.set(_cursor_key(conversation.id), row.id, ex=CURSOR_TTL_S)


async def _open(
    resources: Resources, client: ChatwootClient, conversation: Conversation, inbox: int
) -> int:
    """Find or create the contact, then a new conversation; both ids stored on our row."""
    contact_id = conversation.chatwoot_contact_id or await _contact(client, conversation, inbox)
    try:
        await client.create_contact_inbox(contact_id, inbox_id=inbox, source_id=conversation.wa_id)
    except ChatwootError as exc:
        if exc.transient:
            raise
        # 422: this contact already has the inbox with that source id (an earlier handoff)
    chatwoot_id = await client.create_conversation(
        inbox_id=inbox, contact_id=contact_id, source_id=conversation.wa_id
    )
    async with resources.sessions.begin() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id)
            .values(chatwoot_contact_id=contact_id, chatwoot_conversation_id=chatwoot_id)
            .execution_options(synchronize_session=False)
        )
    conversation.chatwoot_contact_id, conversation.chatwoot_conversation_id = (
        contact_id,
        chatwoot_id,
    )
    log.info("chatwoot.opened", conversation_id=conversation.id, chatwoot_id=chatwoot_id)
    return chatwoot_id


async def _contact(client: ChatwootClient, conversation: Conversation, inbox: int) -> int:
    phone = f"+{conversation.wa_id}"
    try:
        created = await client.create_contact(
            inbox_id=inbox,
            name=conversation.customer_name or phone,
            phone_number=phone,
            identifier=f"whatsapp:{conversation.wa_id}",
        )
        if "id" in created:
            return int(created["id"])
    except ChatwootError as exc:
        if exc.transient:
            raise  # else 422: a contact with this phone exists; find it
    for contact in await client.search_contacts(conversation.wa_id):
        if contact.get("phone_number") == phone or contact.get("identifier") == (
            f"whatsapp:{conversation.wa_id}"
        ):
            return int(contact["id"])
    raise ChatwootError("the contact could neither be created nor found", transient=False)


async def _rows(
    resources: Resources, conversation: Conversation, *, after_id: int
) -> list[WaMessage]:
    async with resources.sessions() as session:
        result = await session.execute(
            select(WaMessage)
            .where(
                WaMessage.tenant_id == conversation.phone_number_id,
                WaMessage.wa_id == conversation.wa_id,
                WaMessage.id > after_id,
            )
            .order_by(WaMessage.id)
        )
        return list(result.scalars())


def _content(row: WaMessage) -> str:
    return row.text or f"[{row.message_type}]"


def _speaker(row: WaMessage) -> str:
    if row.direction == Direction.INBOUND.value:
        return "Customer"
    author = row.author or ""
    if author.startswith(("agent:", "chatwoot:")):
        return "Agent"
    return "System" if author == "system" else "Bot"


def _note(conversation: Conversation, rows: list[WaMessage], *, first: bool) -> str:
    context = conversation.bot_context or {}
    head = "The customer asked for a person." if first else "The customer asked for a person again."
    facts = [f"Customer: {conversation.customer_name or '-'}"]
    facts.append(f"Language: {conversation.language}")
    if context.get("lane") or context.get("intent"):
        facts.append(
            f"Bot lane before: {context.get('lane') or '-'}, intent: {context.get('intent') or '-'}"
        )
    if context.get("tickets"):
        facts.append("Tickets: " + ", ".join(str(t) for t in context["tickets"]))
    if context.get("cart"):
        facts.append(f"Cart: {len(context['cart'])} line(s)")
    lines = [f"{_speaker(row)}: {_content(row)}" for row in rows]
    note = "\n".join([head, *facts, "", "Transcript:", *lines])
    return note if len(note) <= NOTE_MAX else note[: NOTE_MAX - 1] + "…"


CHATWOOT_SYNC_JOB = func(chatwoot_sync, name=CHATWOOT_SYNC, max_tries=MAX_TRIES + 30)
"""Extra tries for the lock's short waits (`Retry(defer=1)`) besides Chatwoot's failures."""
