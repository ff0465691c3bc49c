"""Which provider serves a tenant: its own Stripe account (`STRIPE_ACCOUNTS`), else the
deployment's (`STRIPE_SECRET_KEY`), else none (card links are then not offered)."""

from __future__ import annotations

from server.commerce.payments.stripe import StripeCheckout
from server.settings import Settings

DEFAULT = ""


class Providers:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._stripe: dict[str, StripeCheckout] = {}

    def stripe_for(self, tenant: str) -> StripeCheckout | None:
        """The Stripe account that takes this tenant's payments, if any."""
        if tenant in self._settings.stripe_accounts:
            return self.stripe_account(tenant)
        return self.stripe_account(DEFAULT)

    def stripe_account(self, name: str) -> StripeCheckout | None:
        """One account: a tenant's own (`name` = tenant id) or the default (`""`)."""
        if name not in self._stripe:
            own = self._settings.stripe_accounts.get(name) if name else None
            if own is not None:
                secret, webhook = own.secret_key, own.webhook_secret
            elif (
                not name
                and self._settings.stripe_secret_key
                and self._settings.stripe_webhook_secret
            ):
                secret = self._settings.stripe_secret_key
                webhook = self._settings.stripe_webhook_secret
            else:
                return None
            self._stripe[name] = StripeCheckout(
                secret_key=secret.get_secret_value(),
                webhook_secret=webhook.get_secret_value(),
                base_url=self._settings.stripe_api_base_url,
            )
        return self._stripe[name]

    async def aclose(self) -> None:
        for provider in self._stripe.values():
            await provider.aclose()
        self._stripe.clear()
