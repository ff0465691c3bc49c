"""Payment providers behind one interface, chosen per tenant and payment method.

    PaymentProvider            start(request) -> StartedPayment
      OfflinePayments            pix / bank transfer / cash on delivery / pay in store:
                                 instructions; the merchant confirms (admin API `mark_paid`)
      StripeCheckout             card_link: a Stripe Checkout Session (its hosted page);
                                 confirmed by Stripe's signed webhook (`verify_event`)

Errors: `ProviderUnavailable` (transient: timeouts, 5xx, 429; ask again later),
`ProviderRefused` (permanent: bad key, invalid request), both `PaymentUnavailable` for the
lane; `SignatureError` / `MalformedEvent` for webhooks (answered 401 / 400).
"""

from server.commerce.payments.base import (
    MalformedEvent,
    PaymentProvider,
    PaymentRequest,
    ProviderEvent,
    ProviderRefused,
    ProviderUnavailable,
    SignatureError,
    StartedPayment,
)

__all__ = [
    "MalformedEvent",
    "PaymentProvider",
    "PaymentRequest",
    "ProviderEvent",
    "ProviderRefused",
    "ProviderUnavailable",
    "SignatureError",
    "StartedPayment",
]
