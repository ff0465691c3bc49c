"""Deliver one outbound row of the outbox: pace, claim, send, record.

The send job (`server.jobs.send`) is a thin wrapper around :meth:`OutboxSender.deliver`;
this module holds the policy:

- **Once only.** A row is claimed (queued -> sending) before the request and recorded
  after it (see `outbox` for the states and the crash case). A re-run finds the row done
  and sends nothing.
- **Order.** A reply waits while an earlier reply to the same user message is pending; a
  text over 4096 characters becomes one row per part (`{key}:part:{n}`), sent in order.
- **Pace.** A token from the shared limiter (`server.ratelimit`) before each message; when
  none comes within `WHATSAPP_SEND_MAX_WAIT_SECONDS`, :class:`SendLater`.
- **Errors by code** (`errors`): transient ones release the row and ask to be retried with
  exponential backoff and jitter until `WHATSAPP_SEND_MAX_ATTEMPTS`; permanent ones are
  recorded. 131047 queues the business number's re-engagement template if one is set;
  190 / 368 / 131031 raise an alert.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import redis.asyncio as aioredis

from graph.messages import TextMessage
from server.logging import get_logger
from server.ratelimit import RateLimited, SendRateLimiter
from server.settings import Settings
from server.store.models import WaMessage
from server.whatsapp import metrics, outbox
from server.whatsapp.client import WhatsAppClient
from server.whatsapp.errors import (
    OutsideWindowError,
    PairRateLimitError,
    SendError,
    ThroughputLimitError,
)
from server.whatsapp.limits import TEXT_BODY_MAX
from server.whatsapp.payloads import SENDABLE, Sendable, message_body
from server.whatsapp.splitting import split_text
from server.whatsapp.templates import TemplateMessage, reengagement_template

log = get_logger(__name__)

CLAIM_LEASE = timedelta(seconds=60)
"""A claim older than this belongs to a worker that died mid-send (requests time out at 10 s)."""
THROUGHPUT_UPGRADE = 131057
ORDER_WAIT_SECONDS = 1.0
"""Deferral while an earlier reply of the same turn is still being sent."""


class SendLater(Exception):
    """Not now: run this send again in `seconds` (rate limited, retryable error, order)."""

    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(f"send again in {seconds:.2f} s ({reason})")
        self.seconds = seconds
        self.reason = reason


def backoff_seconds(error: SendError, attempt: int, rng: random.Random) -> float:
    """Delay before attempt `attempt + 1`: exponential, with up to 25 % jitter added.

    131056 follows Meta's advice (4^X s); 130429 starts short (1 s), 131057 (throughput
    upgrade in progress) waits a minute; others start at 2 s.
    """
    exponent = max(attempt - 1, 0)
    if isinstance(error, PairRateLimitError):
        base = min(4.0**exponent, 600.0)
    elif isinstance(error, ThroughputLimitError):
        base = min(2.0**exponent, 60.0)
        if error.code == THROUGHPUT_UPGRADE:  # Meta: "retry after about a minute"
            base = max(base, 60.0)
    else:
        base = min(2.0 * 2.0**exponent, 300.0)
    return base * (1 + 0.25 * rng.random())


@dataclass(frozen=True, slots=True)
class Unit:
    """One WhatsApp message to send for a row (a long text gives several)."""

    row_id: int
    key: str
    message: Sendable
    reply_to: str | None


Enqueue = Callable[[int, str], Awaitable[None]]
"""Enqueue a send job for (outbound row id, idempotency key)."""


@dataclass
class OutboxSender:
    settings: Settings
    sessions: outbox.Sessions
    redis: aioredis.Redis
    client: WhatsAppClient
    limiter: SendRateLimiter
    enqueue: Enqueue
    rng: random.Random = field(default_factory=random.Random)

    async def deliver(self, row: WaMessage) -> str:
        """Send the row (all its parts); returns the row's status after (`sent`, ...)."""
        if row.status not in outbox.PENDING:
            log.info("send_message.duplicate", outbound_id=row.id, status=row.status)
            return row.status
        if await outbox.earlier_pending(self.sessions, row):
            raise SendLater(ORDER_WAIT_SECONDS, "earlier_reply_pending")
        units = await self._units(row)
        for index, unit in enumerate(units):
            if not await self._send_unit(row, unit):
                await self._abandon(units[index + 1 :])
                break
        after = await outbox.load(self.sessions, row.id)
        return after.status if after is not None else "missing"

    async def _units(self, row: WaMessage) -> list[Unit]:
        key = row.idempotency_key or f"outbound:{row.id}"
        message = SENDABLE.validate_python(row.payload)
        if not isinstance(message, TextMessage) or len(message.body) <= TEXT_BODY_MAX:
            return [Unit(row.id, key, message, row.context_wamid)]
        parts = split_text(message.body)
        await outbox.set_text(self.sessions, row.id, parts[0])
        units = [Unit(row.id, key, TextMessage(body=parts[0]), row.context_wamid)]
        for number, part in enumerate(parts[1:], start=2):
            part_key = f"{key}:part:{number}"
            child = await outbox.add_outbound(
                self.sessions,
                key=part_key,
                like=row,
                message=TextMessage(body=part),
                context_wamid=row.context_wamid,
            )
            units.append(Unit(child.id, part_key, TextMessage(body=part), None))
        return units

    async def _send_unit(self, row: WaMessage, unit: Unit) -> bool:
        """Send one message unless done already; False when it failed for good."""
        current = await outbox.load(self.sessions, unit.row_id)
        if current is None or current.status not in outbox.PENDING:
            return current is not None and current.status != outbox.FAILED
        try:  # check the limits before spending a rate token or an attempt
            message_body(row.wa_id, unit.message, callback_data=unit.key)
        except SendError as error:
            await self._fail(row, unit, error)
            return False
        await self._pace(row)
        attempt = await outbox.claim(self.sessions, unit.row_id)
        if attempt is None:
            return await self._claimed_elsewhere(unit)
        try:
            sent = await self.client.send(
                row.tenant_id,
                row.wa_id,
                unit.message,
                reply_to=unit.reply_to,
                callback_data=unit.key,
            )
        except SendError as error:
            return await self._on_error(row, unit, error, attempt)
        status = await outbox.record_sent(self.sessions, unit.row_id, sent.wamid)
        await metrics.count(self.redis, "sent")
        log.info("send_message.sent", outbound_id=unit.row_id, wamid=sent.wamid, status=status)
        return True

    async def _pace(self, row: WaMessage) -> None:
        try:
            await self.limiter.acquire(
                row.tenant_id, row.wa_id, max_wait=self.settings.whatsapp_send_max_wait_seconds
            )
        except RateLimited as limited:
            await metrics.count(self.redis, "rate_limited")
            jitter = 0.1 * self.rng.random()
            raise SendLater(limited.retry_after + jitter, "rate_limited") from limited

    async def _claimed_elsewhere(self, unit: Unit) -> bool:
        current = await outbox.load(self.sessions, unit.row_id)
        if current is None or current.status != outbox.SENDING:
            return current is not None and current.status != outbox.FAILED
        if await outbox.expire_claim(self.sessions, unit.row_id, CLAIM_LEASE):
            log.error("send_message.outcome_unknown", outbound_id=unit.row_id)
            await metrics.count(self.redis, "unknown")
            return True  # at-most-once: later parts still go out
        raise SendLater(CLAIM_LEASE.total_seconds(), "claimed_by_another_job")

    async def _on_error(self, row: WaMessage, unit: Unit, error: SendError, attempt: int) -> bool:
        await metrics.count(self.redis, f"error:{error.code}")
        if isinstance(error, PairRateLimitError):
            await self.limiter.penalize_pair(row.tenant_id, row.wa_id)
        elif isinstance(error, ThroughputLimitError):
            await self.limiter.penalize_number(row.tenant_id)
        if error.transient and attempt < self.settings.whatsapp_send_max_attempts:
            await outbox.release(self.sessions, unit.row_id, error)
            await metrics.count(self.redis, "retried")
            delay = backoff_seconds(error, attempt, self.rng)
            log.warning(
                "send_message.retry",
                outbound_id=unit.row_id,
                attempt=attempt,
                code=error.code,
                error=str(error),
                defer_s=round(delay, 3),
            )
            raise SendLater(delay, f"error {error.code}") from error
        await self._fail(row, unit, error, attempt=attempt)
        return False

    async def _fail(
        self, row: WaMessage, unit: Unit, error: SendError, *, attempt: int | None = None
    ) -> None:
        await outbox.record_failed(self.sessions, unit.row_id, error)
        await metrics.count(self.redis, "failed")
        log.error(
            "send_message.failed",
            outbound_id=unit.row_id,
            attempt=attempt,
            code=error.code,
            error=type(error).__name__,
            title=str(error),
            transient=error.transient,
        )
        if error.alert:
            await metrics.raise_alert(self.redis, error, phone_number_id=row.tenant_id)
        if isinstance(error, OutsideWindowError) and not isinstance(unit.message, TemplateMessage):
            await self._reengage(row)

    async def reengage_after_failure(self, row: WaMessage) -> bool:
        """For a `failed` status webhook: 131047 on a reply -> queue the template (once)."""
        if row.status != outbox.FAILED or row.error_code != OutsideWindowError.code_value:
            return False
        if row.message_type == "template":
            return False
        return await self._reengage(row)

    async def _reengage(self, row: WaMessage) -> bool:
        """Outside the 24 h window: queue the number's re-engagement template, once per turn."""
        template = reengagement_template(self.settings, row.tenant_id)
        if template is None:
            log.info("send_message.no_reengagement_template", phone_number_id=row.tenant_id)
            return False
        key = f"{row.context_wamid or row.idempotency_key or row.id}:reengage"
        created = await outbox.add_outbound(
            self.sessions, key=key, like=row, message=template, context_wamid=None
        )
        log.info("send_message.reengage", outbound_id=created.id, template=template.name)
        await self.enqueue(created.id, key)
        return True

    async def _abandon(self, units: list[Unit]) -> None:
        """Later parts of a reply whose part failed for good: fail them too, unsent."""
        for unit in units:
            error = SendError("not sent: an earlier part of this reply failed")
            await outbox.record_failed(self.sessions, unit.row_id, error)
