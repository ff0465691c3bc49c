"""Chatwoot -> us: what an event from Chatwoot does to our conversation.

- `message_created`, outgoing, not private, written by an agent (`sender.type == "user"`):
  claimed by that agent if waiting (the customer hears who joined), then sent once
  through our outbox;
- `conversation_updated` / `assignee_changed` with an assignee, while waiting: claimed by
  the assignee;
- `conversation_status_changed` / `conversation_resolved` with status `resolved`: back to
  the bot (the customer is told).

Everything else is ignored: private notes, `incoming` messages (our own mirror of the
customer), activity and template messages, bot-sent messages, conversations we did not
open. An agent's message that cannot be sent (the bot has the chat, someone else claimed
it, the 24-hour window closed, not text) is marked `failed` in Chatwoot with the reason,
so the agent sees it did not reach the customer. Sending is keyed on Chatwoot's message
id: a repeated event sends nothing twice.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select

from graph.messages import TextMessage
from server.chatwoot.client import ChatwootClient, ChatwootError
from server.logging import get_logger
from server.resources import Resources
from server.settings import ChatwootAccount
from server.support import actions
from server.support.models import REQUESTED, Conversation
from server.whatsapp.limits import TEXT_BODY_MAX

log = get_logger(__name__)


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Person(_Loose):
    id: int | None = None
    name: str | None = None
    available_name: str | None = None
    type: str | None = None
    """contact | user (an agent) | agent_bot."""

    @property
    def display_name(self) -> str:
        return (self.available_name or self.name or "").strip() or "A team member"


class Meta(_Loose):
    assignee: Person | None = None


class ChatwootConversation(_Loose):
    id: int
    status: str | None = None
    meta: Meta | None = None


class ChatwootEvent(_Loose):
    """A webhook body: a message (with its `conversation`) or a conversation itself."""

    event: str
    id: int | None = None
    content: str | None = None
    message_type: str | int | None = None
    private: bool = False
    content_type: str | None = None
    sender: Person | None = None
    conversation: ChatwootConversation | None = None
    status: str | None = None
    meta: Meta | None = None

    @classmethod
    def parse(cls, data: Any) -> ChatwootEvent | None:
        try:
            return cls.model_validate(data)
        except ValidationError:
            return None

    @property
    def conversation_id(self) -> int | None:
        if self.conversation is not None:
            return self.conversation.id
        return self.id if self.event.startswith(("conversation_", "assignee_")) else None


def actor_of(person: Person) -> actions.Actor:
    return actions.Actor(key=f"chatwoot:{person.id}", name=person.display_name[:128])


async def _ours(resources: Resources, tenant: str, chatwoot_id: int) -> Conversation | None:
    async with resources.sessions() as session:
        result = await session.execute(
            select(Conversation).where(
                Conversation.tenant == tenant,
                Conversation.chatwoot_conversation_id == chatwoot_id,
            )
        )
        return result.scalars().first()


async def handle(
    resources: Resources, tenant: str, account: ChatwootAccount, event: ChatwootEvent
) -> str:
    """Apply one Chatwoot event; the outcome (for the response and the log)."""
    chatwoot_id = event.conversation_id
    if chatwoot_id is None:
        return "ignored"
    if event.event == "message_created" and not _agent_message(event):
        return "ignored"  # checked before the lookup: our own mirror is the common case
    conversation = await _ours(resources, tenant, chatwoot_id)
    if conversation is None:
        log.info("chatwoot.unknown_conversation", tenant=tenant, chatwoot_id=chatwoot_id)
        return "unknown_conversation"
    if event.event == "message_created":
        return await _agent_reply(resources, account, conversation, event)
    if event.event in ("conversation_status_changed", "conversation_resolved"):
        status = event.status or (event.conversation.status if event.conversation else None)
        if status == "resolved":
            return await _resolved(resources, conversation)
        return "ignored"
    if event.event in ("conversation_updated", "assignee_changed"):
        assignee = event.meta.assignee if event.meta else None
        if assignee is not None and assignee.type in (None, "user"):
            return await _claim(resources, conversation, actor_of(assignee))
    return "ignored"


def _agent_message(event: ChatwootEvent) -> bool:
    kind = event.message_type
    outgoing = kind in ("outgoing", 1)
    by_agent = event.sender is not None and event.sender.type == "user"
    return outgoing and by_agent and not event.private and event.id is not None


async def _claim(resources: Resources, conversation: Conversation, actor: actions.Actor) -> str:
    if conversation.state != REQUESTED:
        return "ignored"
    try:
        await actions.claim(resources, conversation.id, actor)
    except actions.NotAllowed:
        return "ignored"  # claimed meanwhile, or back with the bot
    log.info("chatwoot.claimed", conversation_id=conversation.id)
    return "claimed"


async def _resolved(resources: Resources, conversation: Conversation) -> str:
    actor = actions.Actor(key="chatwoot:resolved", name="Chatwoot")
    try:
        await actions.release(
            resources, conversation.id, actor, reason="resolved", any_claimer=True
        )
    except actions.NotAllowed:
        return "ignored"  # the bot has it already
    log.info("chatwoot.released", conversation_id=conversation.id)
    return "released"


async def _agent_reply(
    resources: Resources,
    account: ChatwootAccount,
    conversation: Conversation,
    event: ChatwootEvent,
) -> str:
    assert event.sender is not None and event.id is not None
    actor = actor_of(event.sender)
    text = (event.content or "").strip()
    if not text:
        return await _refuse(account, conversation, event, "only text is forwarded to WhatsApp")
    if len(text) > TEXT_BODY_MAX:
        return await _refuse(
            account, conversation, event, f"longer than WhatsApp's {TEXT_BODY_MAX} characters"
        )
    if conversation.state == REQUESTED:
        await _claim(resources, conversation, actor)
    try:
        await actions.reply(
            resources,
            conversation.id,
            actor,
            TextMessage(body=text),
            request_id=f"chatwoot:{account.account_id}:{event.id}",
        )
    except actions.NotAllowed as refused:
        reasons = {
            "not_claimed": "not sent: the assistant has this chat again (the customer must "
            "ask for a person)",
            "window_closed": "not sent: the customer's 24-hour window has closed; only a "
            "template can reach them now",
        }
        return await _refuse(account, conversation, event, reasons.get(refused.code, str(refused)))
    log.info("chatwoot.reply_sent", conversation_id=conversation.id, chatwoot_message=event.id)
    return "sent"


async def _refuse(
    account: ChatwootAccount, conversation: Conversation, event: ChatwootEvent, reason: str
) -> str:
    """Mark the agent's message failed in Chatwoot with the reason (best effort)."""
    log.warning("chatwoot.reply_refused", conversation_id=conversation.id, reason=reason)
    chatwoot_id = event.conversation_id
    if chatwoot_id is not None and event.id is not None:
        try:
            async with ChatwootClient(account) as client:
                await client.mark_failed(chatwoot_id, event.id, reason)
        except ChatwootError as exc:
            log.warning("chatwoot.mark_failed_failed", error=str(exc))
    return "refused"
