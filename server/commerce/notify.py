"""Tell the customer that their order moved, through the outbox like every reply.

Inside WhatsApp's 24-hour customer-service window (their last message is less than 24 h
old) the news goes out as a session text in the order's language; outside it, as the
tenant's approved template for that status (`commerce.templates` in the tenant YAML, body
parameters: order number, status in words). With no template configured there is no way
to reach the customer: the event records `not_possible` and the admin API says so.

Each notification is one outbox row whose idempotency key names the order event
(`order-event:{id}`), so a retried webhook or admin call never sends it twice. Like turn
replies, rows are `logged` when sending is disabled and `queued` + a send job otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import redis.asyncio as aioredis
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from graph.messages import TextMessage
from nodes.commerce.money import format_money
from nodes.commerce.texts import say
from nodes.tenants import TenantProfile
from server.commerce.models import Order, OrderEvent
from server.commerce.orders import latest_payment
from server.commerce.sql import insert_or_ignore
from server.jobs import SEND_MESSAGE, enqueue_once, job_queue, send_job_id
from server.logging import get_logger
from server.settings import Settings
from server.store import repository
from server.store.models import Direction, WaMessage, utcnow
from server.whatsapp.order_messages import OrderStatusMessage, WhatsAppOrderStatus
from server.whatsapp.payloads import Sendable
from server.whatsapp.templates import TemplateComponent, TemplateMessage, TemplateParameter

log = get_logger(__name__)

WHATSAPP_STATUS: dict[str, tuple[WhatsAppOrderStatus, bool]] = {
    "paid": ("processing", True),
    "preparing": ("processing", False),
    "ready_for_pickup": ("processing", False),
    "shipped": ("shipped", False),
    "delivered": ("completed", False),
}
"""Our status -> the WhatsApp order's status, and whether to mark the payment captured."""
WHATSAPP_PAID_METHODS = frozenset({"pix", "card_link"})

WINDOW = timedelta(hours=24)
Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True, slots=True)
class Notifier:
    """What telling a customer needs: the store, the queue, and whether sending is on."""

    sessions: Sessions
    redis: aioredis.Redis
    settings: Settings

    async def order_event(self, order: Order, event: OrderEvent, profile: TenantProfile) -> str:
        """Tell the customer about `event`; how (`session`, `template`, `not_possible`)."""
        text = status_text(order, event, profile)
        return await self.send(
            order,
            key=f"order-event:{event.id}",
            text=text,
            event=event,
            template_status=event.to_status,
            profile=profile,
            session_message=await self._order_status(order, event, profile, text),
        )

    async def _order_status(
        self, order: Order, event: OrderEvent, profile: TenantProfile, text: str
    ) -> OrderStatusMessage | None:
        """An order sent as WhatsApp Payments' `order_details` is updated with `order_status`
        (same reference), so the order in the customer's WhatsApp moves too. Cancelling is
        told as text: WhatsApp refuses to cancel an order with a payment pending or made."""
        update = WHATSAPP_STATUS.get(event.to_status)
        payments = profile.commerce.whatsapp_payments
        if update is None or not payments.enabled or order.currency != "BRL":
            return None
        if order.payment_method not in WHATSAPP_PAID_METHODS:
            return None
        async with self.sessions() as session:
            payment = await latest_payment(session, order)
        if payment is None:
            return None
        status, paid = update
        captured = paid and payment.status == "paid"
        return OrderStatusMessage(
            body=text,
            reference_id=payment.reference,
            status=status,
            payment_status="captured" if captured else None,
            payment_timestamp=int(payment.paid_at.timestamp())
            if captured and payment.paid_at
            else None,
        )

    async def send(
        self,
        order: Order,
        *,
        key: str,
        text: str,
        profile: TenantProfile,
        template_status: str | None = None,
        event: OrderEvent | None = None,
        session_message: Sendable | None = None,
    ) -> str:
        async with self.sessions() as session:
            inside = await within_window(session, order.phone_number_id, order.wa_id)
        message: Sendable | None = session_message or TextMessage(body=text)
        how = "session"
        if not inside:
            message, how = _template(order, template_status, profile), "template"
        if message is None:
            log.warning(
                "commerce.notify.not_possible",
                order=order.number,
                reason="no_template",
                status=template_status,
            )
            how = "not_possible"
        else:
            await self._outbox(order, key, message)
        if event is not None:
            async with self.sessions.begin() as session:
                await session.execute(
                    update(OrderEvent).where(OrderEvent.id == event.id).values(notified=how)
                )
        return how

    async def _outbox(self, order: Order, key: str, message: Sendable) -> None:
        status = repository.QUEUED if self.settings.sending_enabled else repository.LOGGED
        async with self.sessions.begin() as session:
            created = await insert_or_ignore(
                session,
                WaMessage,
                {
                    "direction": Direction.OUTBOUND.value,
                    "idempotency_key": key,
                    "tenant_id": order.phone_number_id,
                    "wa_id": order.wa_id,
                    "message_type": message.kind,
                    "text": getattr(message, "body", None),
                    "payload": message.model_dump(mode="json"),
                    "context_wamid": None,
                    "status": status,
                    "attempts": 0,
                    "created_at": utcnow(),
                    "updated_at": utcnow(),
                },
            )
            row = (
                await session.execute(select(WaMessage).where(WaMessage.idempotency_key == key))
            ).scalar_one()
        log.info(
            "commerce.notify.stored",
            order=order.number,
            outbound_id=row.id,
            kind=message.kind,
            created=created,
            status=row.status,
        )
        if row.status == repository.QUEUED:
            await enqueue_once(job_queue(self.redis), SEND_MESSAGE, row.id, job_id=send_job_id(key))


async def within_window(session: AsyncSession, phone_number_id: str, wa_id: str) -> bool:
    """The customer wrote to this number in the last 24 hours (session messages allowed)."""
    result = await session.execute(
        select(func.max(WaMessage.created_at)).where(
            WaMessage.direction == Direction.INBOUND.value,
            WaMessage.tenant_id == phone_number_id,
            WaMessage.wa_id == wa_id,
        )
    )
    last = result.scalar_one_or_none()
    if last is None:
        return False
    if last.tzinfo is None:  # SQLite returns naive datetimes (stored as UTC)
        last = last.replace(tzinfo=utcnow().tzinfo)
    return utcnow() - last < WINDOW


def status_text(order: Order, event: OrderEvent, profile: TenantProfile) -> str:
    language = order.language
    values = {"number": order.number, "location": order.pickup_location or profile.name}
    parts = [say(f"status.{event.to_status}", language, **values)]
    tracking = (event.details or {}).get("tracking")
    if tracking:
        parts.append(say("status.tracking", language, tracking=tracking))
    if event.reason and event.to_status == "cancelled":
        parts.append(say("status.reason", language, reason=event.reason))
    if event.to_status == "cancelled" and (event.details or {}).get("refund_due"):
        total = format_money(order.total_minor, order.currency, profile.commerce.locale)
        parts.append(say("status.refund", language, total=total))
    return "\n".join(parts)


def _template(order: Order, status: str | None, profile: TenantProfile) -> TemplateMessage | None:
    ref = profile.commerce.templates.get(status) if status else None  # type: ignore[call-overload]
    if ref is None:
        return None
    words = say(f"name.{status}", order.language)
    body = TemplateComponent(
        type="body",
        parameters=(
            TemplateParameter(text=order.number),
            TemplateParameter(text=words),
        ),
    )
    return TemplateMessage(name=ref.name, language=ref.language, components=(body,))
