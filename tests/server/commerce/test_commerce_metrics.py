"""Orders and payments by status on `/metrics`: counted once, and only once committed.

An order placed, its card link started, Stripe's signed webhook delivered twice, a cash
order cancelled; the page is read before and after and the differences checked. Then the
mechanism under it: a change whose transaction rolls back is never counted.
"""

from __future__ import annotations

import httpx
import pytest
import respx
from commerce_support import (
    STRIPE_ENV,
    app_resources,
    checkout_session_event,
    customer_wrote,
    place,
    post_stripe,
    stripe_session,
)
from conftest import Sessions
from prometheus_client.parser import text_string_to_metric_families
from webhook_support import running_app

from nodes.tenants import load_profile
from server import metrics
from server.chat_payloads import ChatUser
from server.commerce import orders
from server.commerce.payments.service import start_payment
from server.commerce.webhooks import commerce_of
from server.store.committed import on_commit

SESSIONS_URL = "https://api.stripe.com/v1/checkout/sessions"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape() -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(metrics.render()[0].decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())

    def total(samples: Samples) -> float:
        return sum(v for (n, lbls), v in samples.items() if n == name and wanted <= lbls)

    return total(after) - total(before)


@respx.mock
async def test_orders_and_payments_are_counted_by_status_once(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    respx.post(SESSIONS_URL).mock(
        return_value=httpx.Response(200, json=stripe_session("cs_test_m", 2800))
    )
    async with running_app(monkeypatch, redis_url, **STRIPE_ENV) as (client, app):
        resources = app_resources(app)
        await customer_wrote(resources)
        before = scrape()
        card = await place(resources)
        again = await place(resources)  # the same confirmation: the first order, not counted
        assert again.order.number == card.order.number and not again.created
        stripe = commerce_of(type("R", (), {"app": app})()).providers.stripe_for("demo")
        payment = await start_payment(
            resources.sessions, card.order.number, load_profile("demo"), stripe,
            return_url="https://wa.me/15550001234",
        )  # fmt: skip
        event = checkout_session_event(
            "evt_m1", "cs_test_m", amount=2800, reference=payment.reference, order_number="A-1001"
        )
        outcomes = [(await post_stripe(client, event)).json()["outcome"] for _ in range(2)]
        assert outcomes == ["applied", "duplicate"]

        cash_user = ChatUser(wa_id="5511987650002", name="Bia")
        cash = await place(resources, "confirm-2", method="cash_on_delivery", user=cash_user)
        await start_payment(
            resources.sessions, cash.order.number, load_profile("demo"), None,
            return_url="https://wa.me/15550001234",
        )  # fmt: skip
        async with resources.sessions.begin() as session:
            order = await orders.find(session, "demo", cash.order.number)
            assert order is not None
            await orders.move(session, order, "cancelled", actor="admin:test")
        after = scrape()

    assert delta(before, after, "convo_orders_total", status="pending_payment") == 2
    assert delta(before, after, "convo_orders_total", status="paid") == 1
    assert delta(before, after, "convo_orders_total", status="cancelled") == 1
    assert delta(before, after, "convo_orders_total") == 4
    assert delta(before, after, "convo_payments_total", provider="stripe", status="pending") == 1
    assert delta(before, after, "convo_payments_total", provider="stripe", status="paid") == 1
    assert delta(before, after, "convo_payments_total", provider="offline", status="pending") == 1
    assert delta(before, after, "convo_payments_total", provider="offline", status="cancelled") == 1
    assert delta(before, after, "convo_payments_total") == 4


async def test_a_change_counts_only_when_its_transaction_commits(sessions: Sessions) -> None:
    counted: list[str] = []
    with pytest.raises(RuntimeError):
        async with sessions.begin() as session:
            on_commit(session, lambda: counted.append("rolled back"))
            raise RuntimeError("the transaction fails after the change")
    async with sessions() as session:  # a session closed without committing
        await session.connection()
        on_commit(session, lambda: counted.append("never committed"))
    async with sessions() as session:
        on_commit(session, lambda: counted.append("left over"))
        await session.rollback()
        await session.commit()  # a later commit does not run what the rollback dropped
    async with sessions.begin() as session:
        on_commit(session, lambda: counted.append("committed"))
        assert counted == []  # not before the commit
    assert counted == ["committed"]
