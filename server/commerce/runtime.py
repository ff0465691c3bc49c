"""The commerce services of a process, built once from its `Resources`."""

from __future__ import annotations

from dataclasses import dataclass, field

from nodes.tenants import TenantProfile, load_profile
from server.commerce.models import Order, OrderEvent
from server.commerce.notify import Notifier
from server.commerce.payments.registry import Providers
from server.commerce.payments.service import Applied, raise_alert
from server.logging import get_logger
from server.resources import Resources

log = get_logger(__name__)


@dataclass
class Commerce:
    resources: Resources
    providers: Providers = field(init=False)
    notifier: Notifier = field(init=False)

    def __post_init__(self) -> None:
        self.providers = Providers(self.resources.settings)
        self.notifier = Notifier(
            self.resources.sessions, self.resources.redis, self.resources.settings
        )

    def profile(self, tenant: str) -> TenantProfile:
        return load_profile(tenant, self.resources.settings.tenants_dir)

    async def tell(self, order: Order, event: OrderEvent) -> str:
        """Tell the order's customer about one status change (idempotent per event)."""
        return await self.notifier.order_event(order, event, self.profile(order.tenant))

    async def after_payment_event(self, applied: Applied, event_id: str) -> None:
        """Alert, or tell the customer, after a provider event was applied (or repeated)."""
        order, payment = applied.order, applied.payment
        if applied.outcome in {"unknown_payment", "amount_mismatch", "order_not_payable"}:
            await raise_alert(
                self.resources.redis,
                f"payment_{applied.outcome}",
                event_id=event_id,
                order=order.number if order else None,
                payment=payment.reference if payment else None,
            )
            return
        if order is not None and applied.event is not None:
            await self.tell(order, applied.event)
        elif order is not None and payment is not None and applied.outcome == "failed":
            profile = self.profile(order.tenant)
            from nodes.commerce.texts import say

            await self.notifier.send(
                order,
                key=f"payment-failed:{payment.id}",
                text=say("payment.failed", order.language, number=order.number),
                profile=profile,
            )

    async def aclose(self) -> None:
        await self.providers.aclose()
