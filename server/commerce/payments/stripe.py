"""Stripe Checkout through its documented HTTP API: payment links and signed webhooks.

- `start()` creates a Checkout Session (`POST /v1/checkout/sessions`, form-encoded, with an
  `Idempotency-Key`, so a retried turn gets the same session back) whose `url` is the
  hosted payment page; the order number is the `client_reference_id` and our payment
  reference travels in `metadata`.
- `verify_event()` checks the `Stripe-Signature` header (`t=<unix time>,v1=<hex>`: an
  HMAC-SHA256 of `"{t}.{raw body}"` with the endpoint's signing secret, compared in
  constant time, `t` within 5 minutes) before reading anything in the body.

Events used: `checkout.session.completed` (paid when `payment_status == "paid"`),
`checkout.session.async_payment_succeeded` / `_failed`, `checkout.session.expired`;
any other type is acknowledged and ignored. Connect a real account: README, *Payments*.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from server.commerce.payments.base import (
    EventKind,
    MalformedEvent,
    PaymentRequest,
    ProviderEvent,
    ProviderRefused,
    ProviderUnavailable,
    SignatureError,
    StartedPayment,
)
from server.logging import get_logger

log = get_logger(__name__)

SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE_S = 300
CHECKOUT_LOCALES = {"en": "en", "es": "es", "pt": "pt-BR"}
PAID_TYPES = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}


def signature_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The header Stripe sends for `body` (used by tests and `convo fake-provider`)."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify_signature(
    body: bytes, header: str | None, secret: str, *, now: float | None = None
) -> None:
    """Raise `SignatureError` unless `header` signs `body` with `secret`, recently."""
    if not header:
        raise SignatureError("missing Stripe-Signature header")
    parts = [item.split("=", 1) for item in header.split(",") if "=" in item]
    timestamps = [value for key, value in parts if key.strip() == "t"]
    signatures = [value.strip() for key, value in parts if key.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].strip().isdigit() or not signatures:
        raise SignatureError("malformed Stripe-Signature header")
    timestamp = int(timestamps[0])
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_S:
        raise SignatureError("Stripe-Signature timestamp outside the 5-minute tolerance")
    signed = f"{timestamp}.".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureError("Stripe-Signature does not match the body")


def _form(request: PaymentRequest) -> dict[str, str]:
    """The Checkout Session parameters, in Stripe's bracketed form encoding."""
    currency = request.currency.lower()
    form = {
        "mode": "payment",
        "success_url": request.return_url,
        "cancel_url": request.return_url,
        "client_reference_id": request.order_number,
        "metadata[reference]": request.reference,
        "metadata[order_number]": request.order_number,
        "metadata[tenant]": request.tenant,
        "payment_intent_data[metadata][reference]": request.reference,
        "locale": CHECKOUT_LOCALES.get(request.language, "auto"),
    }
    items = [(item.name, item.quantity, item.unit_minor) for item in request.items]
    if request.shipping_minor:
        items.append(("Delivery", 1, request.shipping_minor))
    for index, (name, quantity, unit_minor) in enumerate(items):
        prefix = f"line_items[{index}]"
        form |= {
            f"{prefix}[quantity]": str(quantity),
            f"{prefix}[price_data][currency]": currency,
            f"{prefix}[price_data][unit_amount]": str(unit_minor),
            f"{prefix}[price_data][product_data][name]": name[:250],
        }
    return form


class StripeCheckout:
    """One Stripe account's Checkout: start payments, verify its webhooks."""

    name = "stripe"

    def __init__(
        self,
        *,
        secret_key: str,
        webhook_secret: str,
        base_url: str = "https://api.stripe.com",
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret_key = secret_key
        self._webhook_secret = webhook_secret
        self._base_url = base_url.rstrip("/")
        self._http = http
        self._clock = clock

    def _client(self) -> httpx.AsyncClient:
        """Created on first use: the web app only verifies webhooks and never needs one."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def start(self, request: PaymentRequest) -> StartedPayment:
        try:
            response = await self._client().post(
                f"{self._base_url}/v1/checkout/sessions",
                data=_form(request),
                headers={
                    "Authorization": f"Bearer {self._secret_key}",
                    "Idempotency-Key": request.idempotency_key,
                },
            )
        except httpx.HTTPError as exc:
            log.warning("payments.stripe.unreachable", error=type(exc).__name__)
            raise ProviderUnavailable(f"Stripe did not answer ({type(exc).__name__})") from exc
        body = _json(response)
        if response.status_code == 429 or response.status_code >= 500:
            log.warning("payments.stripe.unavailable", status=response.status_code)
            raise ProviderUnavailable(f"Stripe answered {response.status_code}")
        if response.status_code >= 400:
            error = _object(body.get("error"))
            log.error(
                "payments.stripe.refused",
                status=response.status_code,
                type=error.get("type"),
                code=error.get("code"),
                message=error.get("message"),
            )
            raise ProviderRefused(f"Stripe refused the payment link ({response.status_code})")
        session_id, url = body.get("id"), body.get("url")
        if not isinstance(session_id, str) or not isinstance(url, str):
            raise ProviderUnavailable("Stripe answered without a session id or url")
        expires = body.get("expires_at")
        return StartedPayment(
            provider=self.name,
            provider_ref=session_id,
            url=url,
            expires_at=datetime.fromtimestamp(expires, UTC) if isinstance(expires, int) else None,
        )

    def verify_event(self, headers: Mapping[str, str], body: bytes) -> ProviderEvent:
        """The event of a webhook request, after its signature checked out."""
        verify_signature(
            body, headers.get(SIGNATURE_HEADER), self._webhook_secret, now=self._clock()
        )
        try:
            event = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MalformedEvent("body is not JSON") from exc
        if not isinstance(event, dict) or not isinstance(event.get("id"), str):
            raise MalformedEvent("not a Stripe event (no id)")
        return _event(event)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _event(event: dict[str, Any]) -> ProviderEvent:
    event_type = str(event.get("type") or "")
    session = _object(_object(event.get("data")).get("object"))
    metadata = _object(session.get("metadata"))
    kind: EventKind = "ignored"
    if event_type in PAID_TYPES and session.get("payment_status") == "paid":
        kind = "paid"
    elif event_type == "checkout.session.async_payment_failed":
        kind = "failed"
    elif event_type == "checkout.session.expired":
        kind = "expired"
    amount = session.get("amount_total")
    return ProviderEvent(
        provider="stripe",
        event_id=event["id"],
        event_type=event_type,
        kind=kind,
        provider_ref=_text(session.get("id")),
        reference=_text(metadata.get("reference")),
        order_number=_text(session.get("client_reference_id")),
        amount_minor=amount if isinstance(amount, int) and not isinstance(amount, bool) else None,
        currency=str(session.get("currency") or "").upper() or None,
        raw=event,
    )
