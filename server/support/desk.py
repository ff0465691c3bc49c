"""`SqlDesk`: the support desk the graph talks to (`nodes.human.desk.SupportDesk`), on SQL.

Built once per worker (`server.graph_runtime.build_context`) and injected through the
graph's `Context.desk`. Writes are idempotent on the inbound message id, because a turn
runs again when the commit fence refuses it. What must not block a turn (the agents'
webhook, the Chatwoot bridge) is enqueued as a job after the transaction commits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graph.session.contract import Language
from nodes.human.desk import HandoffRequest, HandoffView, TicketDraft, TicketRef
from nodes.human.team import idle_deadline, queue_deadline
from nodes.tenants import TenantProfile, load_profile
from server.logging import get_logger
from server.resources import Resources
from server.store.models import utcnow
from server.support import events, store
from server.support.models import (
    BOT,
    REQUESTED,
    TICKET_OPEN,
    TICKET_PENDING_HUMAN,
    WITH_AGENT,
    Conversation,
)
from server.support.timeutil import aware

log = get_logger(__name__)

AfterRequest = Callable[[Resources, Conversation], Awaitable[None]]
"""Runs after a request is committed (enqueue the agents' webhook, the Chatwoot sync)."""
AfterHeld = Callable[[Resources, Conversation, str], Awaitable[None]]
"""Runs after a muted customer message is recorded (mirror it to Chatwoot)."""


def profile_of(resources: Resources, phone_number_id: str) -> TenantProfile:
    return load_profile(phone_number_id, resources.settings.tenants_dir)


def view_of(conversation: Conversation | None) -> HandoffView:
    if conversation is None:
        return HandoffView()
    return HandoffView(
        state=conversation.state,  # type: ignore[arg-type]
        agent_name=conversation.agent_name,
        request_msg_id=conversation.request_msg_id,
        resume_lane=conversation.resume_lane if conversation.state == BOT else None,
    )


@dataclass
class SqlDesk:
    resources: Resources
    after_request: list[AfterRequest] = field(default_factory=list)
    after_held: list[AfterHeld] = field(default_factory=list)
    clock: Callable[[], datetime] = utcnow

    async def handoff_view(self, tenant_id: str, wa_id: str) -> HandoffView:
        async with self.resources.sessions() as session:
            return view_of(await store.conversation_of(session, tenant_id, wa_id))

    async def reachable(self, tenant_id: str) -> bool:
        """Someone would see a request: the agents' webhook or Chatwoot is set up for the
        business, or one of its agents has a live token for the inbox and the API."""
        profile = profile_of(self.resources, tenant_id)
        settings = self.resources.settings
        if profile.handoff.webhook_url or settings.handoff_webhook_url:
            return True
        account = settings.chatwoot_account(profile.tenant_id)
        if account is not None and (profile.handoff.chatwoot_inbox_id or account.inbox_id):
            return True
        async with self.resources.sessions() as session:
            return await store.has_live_agent(session, profile.tenant_id, self.clock())

    async def request_handoff(self, request: HandoffRequest) -> HandoffView:
        profile = profile_of(self.resources, request.tenant_id)
        now = self.clock()
        async with self.resources.sessions.begin() as session:
            conversation = await store.ensure_conversation(
                session,
                tenant=profile.tenant_id,
                phone_number_id=request.tenant_id,
                wa_id=request.wa_id,
                customer_name=request.customer_name,
            )
            if conversation.state != BOT:  # asked already (or this turn runs again)
                return view_of(conversation)
            await store.move(
                session,
                conversation,
                REQUESTED,
                actor="customer",
                reason=request.reason,
                values={
                    "request_msg_id": request.msg_id[:255],
                    "requested_at": now,
                    "claimed_at": None,
                    "agent_id": None,
                    "agent_name": None,
                    "expires_at": queue_deadline(profile, now),
                    "last_customer_at": now,
                    "language": request.language,
                    "resume_lane": request.lane,
                    "bot_context": _context(request),
                },
            )
            await store.mark_tickets(
                session,
                conversation.id,
                from_statuses=[TICKET_OPEN],
                to_status=TICKET_PENDING_HUMAN,
                actor="customer",
            )
        log.info(
            "handoff.requested",
            conversation_id=conversation.id,
            tenant=conversation.tenant,
            msg_id=request.msg_id,
        )
        await self._announce(conversation)
        for hook in self.after_request:
            await hook(self.resources, conversation)
        return view_of(conversation)

    async def cancel_request(self, tenant_id: str, wa_id: str, msg_id: str) -> bool:
        async with self.resources.sessions.begin() as session:
            conversation = await store.conversation_of(session, tenant_id, wa_id)
            if conversation is None or conversation.state != REQUESTED:
                return False
            try:
                await store.move(
                    session,
                    conversation,
                    BOT,
                    actor="customer",
                    reason="cancelled",
                    values={"expires_at": None},
                )
            except store.HandoffConflict:
                return False
            await store.mark_tickets(
                session,
                conversation.id,
                from_statuses=[TICKET_PENDING_HUMAN],
                to_status=TICKET_OPEN,
                actor="customer",
            )
        await self._announce(conversation)
        return True

    async def resumed(self, tenant_id: str, wa_id: str) -> None:
        async with self.resources.sessions.begin() as session:
            conversation = await store.conversation_of(session, tenant_id, wa_id)
            if conversation is not None and conversation.state == BOT:
                conversation.resume_lane = None

    async def hold_message(
        self, tenant_id: str, wa_id: str, msg_id: str, language: Language
    ) -> None:
        profile = profile_of(self.resources, tenant_id)
        now = self.clock()
        async with self.resources.sessions.begin() as session:
            conversation = await store.conversation_of(session, tenant_id, wa_id)
            if conversation is None:
                return
            conversation.last_customer_at = now
            conversation.language = language
            if conversation.state == WITH_AGENT:  # the customer writing keeps the chat alive
                conversation.expires_at = idle_deadline(profile, now)
        await events.publish(
            self.resources.redis,
            conversation.tenant,
            "message",
            conversation_id=conversation.id,
            direction="inbound",
        )
        for hook in self.after_held:
            await hook(self.resources, conversation, msg_id)

    async def open_ticket(self, draft: TicketDraft) -> TicketRef:
        profile = profile_of(self.resources, draft.tenant_id)
        async with self.resources.sessions.begin() as session:
            conversation = await store.ensure_conversation(
                session,
                tenant=profile.tenant_id,
                phone_number_id=draft.tenant_id,
                wa_id=draft.wa_id,
                customer_name=draft.customer_name,
            )
            ticket, created = await store.open_ticket(
                session,
                conversation,
                msg_id=draft.msg_id,
                category=draft.category,
                summary=draft.summary,
                order_ref=draft.order_ref,
            )
            if created:
                await store.attach_message(session, ticket, wamid=draft.msg_id, text=draft.summary)
        if created:
            log.info("ticket.opened", ticket=ticket.number, category=ticket.category)
            await events.publish(
                self.resources.redis, conversation.tenant, "ticket", conversation_id=conversation.id
            )
        return TicketRef(ticket.number, ticket.category, ticket.status, created=created)

    async def add_to_ticket(self, tenant_id: str, number: str, msg_id: str, text: str) -> bool:
        profile = profile_of(self.resources, tenant_id)
        async with self.resources.sessions.begin() as session:
            ticket = await store.ticket_by_number(session, profile.tenant_id, number)
            if ticket is None:
                return False
            await store.attach_message(session, ticket, wamid=msg_id, text=text)
            conversation_id = ticket.conversation_id
        await events.publish(
            self.resources.redis, profile.tenant_id, "ticket", conversation_id=conversation_id
        )
        return True

    async def _announce(self, conversation: Conversation) -> None:
        await events.publish(
            self.resources.redis,
            conversation.tenant,
            "handoff",
            conversation_id=conversation.id,
            state=conversation.state,
        )


def _context(request: HandoffRequest) -> dict[str, Any]:
    return {
        **dict(request.bot_context),
        "lane": request.lane,
        "intent": request.intent,
        "tickets": list(request.ticket_numbers),
        "reason": request.reason,
    }


def expires_in(conversation: Conversation, now: datetime) -> float | None:
    deadline = aware(conversation.expires_at)
    return None if deadline is None else (deadline - now).total_seconds()
