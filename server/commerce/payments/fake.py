"""`convo fake-provider`: a local stand-in for Stripe Checkout, so payments can be tried
without an account (development only; it keeps everything in memory).

It answers the one API call the service makes (`POST /v1/checkout/sessions`, same form
fields, same `Idempotency-Key` behaviour, same answer shape) with a link to its own page,
`GET /pay/{id}`. Pressing **Pay** there (or `curl -X POST <link>`) sends the service a
`checkout.session.completed` event signed exactly like Stripe signs it, with
`STRIPE_WEBHOOK_SECRET`; **Decline** sends `checkout.session.async_payment_failed`.
Point the service at it with `STRIPE_API_BASE_URL=http://127.0.0.1:8390`.
"""

from __future__ import annotations

import html
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from nodes.commerce.money import format_money
from server.commerce.payments.stripe import SIGNATURE_HEADER, signature_header
from server.settings import Settings


@dataclass
class FakeStripe:
    base_url: str
    webhook_url: str
    webhook_secret: str
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    http: httpx.AsyncClient | None = None
    """How webhooks are delivered (tests pass the app's client); None: a new client each."""

    def create(self, form: dict[str, str], idempotency_key: str | None) -> dict[str, Any]:
        if idempotency_key and idempotency_key in self.by_key:
            return self.sessions[self.by_key[idempotency_key]]
        session_id = f"cs_fake_{secrets.token_hex(12)}"
        items = _line_items(form)
        session = {
            "id": session_id,
            "object": "checkout.session",
            "url": f"{self.base_url}/pay/{session_id}",
            "amount_total": sum(item["unit_amount"] * item["quantity"] for item in items),
            "currency": form.get("line_items[0][price_data][currency]", "usd"),
            "client_reference_id": form.get("client_reference_id"),
            "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
            "payment_status": "unpaid",
            "status": "open",
            "expires_at": int(time.time()) + 24 * 3600,
            "line_items": items,
        }
        self.sessions[session_id] = session
        if idempotency_key:
            self.by_key[idempotency_key] = session_id
        return session

    async def settle(self, session_id: str, paid: bool) -> tuple[int, str]:
        """Mark the session paid (or declined) and deliver the signed event to the service."""
        session = self.sessions[session_id]
        session["payment_status"] = "paid" if paid else "unpaid"
        session["status"] = "complete" if paid else "open"
        event_type = (
            "checkout.session.completed" if paid else "checkout.session.async_payment_failed"
        )
        public = {k: v for k, v in session.items() if k != "line_items"}
        event = {
            "id": f"evt_fake_{secrets.token_hex(12)}",
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "data": {"object": public},
        }
        body = json.dumps(event).encode()
        headers = {
            SIGNATURE_HEADER: signature_header(body, self.webhook_secret),
            "Content-Type": "application/json",
        }
        try:
            if self.http is not None:
                answer = await self.http.post(self.webhook_url, content=body, headers=headers)
            else:
                async with httpx.AsyncClient(timeout=10) as client:
                    answer = await client.post(self.webhook_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return 0, f"could not reach {self.webhook_url}: {exc!r}"
        return answer.status_code, answer.text


async def _form(request: Request) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body (parsed here: no multipart dependency)."""
    return dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))


def _line_items(form: dict[str, str]) -> list[dict[str, Any]]:
    items = []
    index = 0
    while f"line_items[{index}][quantity]" in form:
        prefix = f"line_items[{index}]"
        items.append(
            {
                "name": form.get(f"{prefix}[price_data][product_data][name]", "?"),
                "quantity": int(form[f"{prefix}[quantity]"]),
                "unit_amount": int(form.get(f"{prefix}[price_data][unit_amount]", "0")),
            }
        )
        index += 1
    return items


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:32em;margin:2em auto}"
        "button{font-size:1.1em;margin-right:1em}</style>"
        f"<h1>{html.escape(title)}</h1>{body}"
        "<p><small>convo fake-provider: a local stand-in for Stripe Checkout. "
        "No real money moves.</small></p>"
    )


def build_fake_app(fake: FakeStripe) -> FastAPI:
    app = FastAPI(title="convo fake payment provider", docs_url=None, redoc_url=None)

    @app.post("/v1/checkout/sessions")
    async def create_session(request: Request) -> JSONResponse:
        if not request.headers.get("Authorization", "").startswith("Bearer sk_"):
            error = {"type": "invalid_request_error", "message": "Invalid API Key provided"}
            return JSONResponse({"error": error}, 401)
        form = await _form(request)
        return JSONResponse(fake.create(form, request.headers.get("Idempotency-Key")))

    @app.get("/pay/{session_id}")
    async def payment_page(session_id: str) -> HTMLResponse:
        session = fake.sessions.get(session_id)
        if session is None:
            return _page("Unknown payment link", "<p>This link does not exist here.</p>")
        currency = str(session["currency"]).upper()
        rows = "".join(
            f"<li>{item['quantity']} × {html.escape(item['name'])}: "
            f"{format_money(item['unit_amount'] * item['quantity'], currency)}</li>"
            for item in session["line_items"]
        )
        total = format_money(session["amount_total"], currency)
        if session["payment_status"] == "paid":
            return _page("Already paid", f"<ul>{rows}</ul><p>Total {total}: paid.</p>")
        return _page(
            f"Order {html.escape(str(session['client_reference_id']))}",
            f"<ul>{rows}</ul><p><b>Total {total}</b></p>"
            f"<form method=post><button name=outcome value=pay>Pay {total}</button>"
            "<button name=outcome value=decline>Decline</button></form>",
        )

    @app.post("/pay/{session_id}")
    async def pay(session_id: str, request: Request) -> HTMLResponse:
        if session_id not in fake.sessions:
            return _page("Unknown payment link", "<p>This link does not exist here.</p>")
        outcome = (await _form(request)).get("outcome", "pay")
        status, text = await fake.settle(session_id, paid=outcome != "decline")
        verdict = "Paid" if outcome != "decline" else "Declined"
        return _page(
            verdict,
            f"<p>The service answered the webhook with {status}: "
            f"<code>{html.escape(text[:300])}</code></p><p>Go back to WhatsApp.</p>",
        )

    return app


def serve_fake_provider(host: str, port: int, webhook_url: str, settings: Settings) -> int:
    import uvicorn

    secret = settings.stripe_webhook_secret
    if secret is None:
        print(
            "convo fake-provider: set STRIPE_WEBHOOK_SECRET (the same value the service uses), "
            "e.g. in .env: STRIPE_SECRET_KEY=sk_test_fake, STRIPE_WEBHOOK_SECRET=whsec_fake, "
            f"STRIPE_API_BASE_URL=http://{host}:{port}"
        )
        return 2
    fake = FakeStripe(f"http://{host}:{port}", webhook_url, secret.get_secret_value())
    print(f"fake payment provider on http://{host}:{port}; webhooks go to {webhook_url}")
    uvicorn.run(build_fake_app(fake), host=host, port=port, log_level="warning")
    return 0
