"""The agents' webhook is retried with backoff on a failing receiver, with the same delivery
id and a valid signature each time, and never holds up the customer's answer; a receiver
that refuses the event (a 4xx other than 408/425/429) is not retried."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import httpx
import pytest
import respx
from support_helpers import SENDING_ENV, GraphStandIn, drain
from webhook_support import post_webhook, running_app

from server.chat_payloads import ChatUser, text_payload

HOOK = "https://hooks.test/handoff"
SECRET = "hook-secret"
ASK = {
    "en": "I want to talk to a human",
    "es": "quiero hablar con una persona",
    "pt": "quero falar com um atendente",
}
REQUESTED = {
    "en": "passed this chat to our team",
    "es": "Pasé este chat a nuestro equipo",
    "pt": "Passei esta conversa para a nossa equipe",
}


def _signed_ok(request: httpx.Request) -> bool:
    signed = request.headers["X-Convo-Timestamp"].encode() + b"." + request.content
    expected = "sha256=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(request.headers["X-Convo-Signature"], expected)


@pytest.mark.parametrize(
    ("lang", "answers", "calls"),
    [("en", [503, 204], 2), ("es", [429, 500, 200], 3), ("pt", [400], 1)],
)
async def test_a_failing_receiver_is_retried_and_the_customer_is_answered_anyway(
    monkeypatch: pytest.MonkeyPatch,
    redis_url: str,
    caplog: pytest.LogCaptureFixture,
    lang: str,
    answers: list[int],
    calls: int,
) -> None:
    user = ChatUser(wa_id="5511987650020", name="Lucía")
    env = SENDING_ENV | {"HANDOFF_WEBHOOK_URL": HOOK, "HANDOFF_WEBHOOK_SECRET": SECRET}
    hooks: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        hooks.append(request)
        return httpx.Response(answers[min(len(hooks), len(answers)) - 1])

    with respx.mock(assert_all_called=False) as router, caplog.at_level(logging.INFO):
        graph = GraphStandIn(router)
        router.post(HOOK).mock(side_effect=receiver)
        router.route(host="testserver").pass_through()
        async with running_app(monkeypatch, redis_url, **env) as (client, app):
            response = await post_webhook(client, text_payload(user, "wamid.ask", ASK[lang]))
            assert response.status_code == 200
            await drain(app)
            [ack] = graph.texts()
    assert REQUESTED[lang] in ack, "the customer is answered whatever the receiver does"
    assert len(hooks) == calls
    assert len({h.headers["X-Convo-Delivery"] for h in hooks}) == 1, "one delivery id"
    assert all(_signed_ok(h) for h in hooks)
    assert {json.loads(h.content)["event"] for h in hooks} == {"handoff.requested"}
    events = [
        r.getMessage() for r in caplog.records if r.getMessage().startswith("handoff_webhook")
    ]
    if answers[-1] < 300:
        assert events.count("handoff_webhook.retry") == calls - 1
        assert events[-1] == "handoff_webhook.delivered"
    else:
        assert events == ["handoff_webhook.refused"]
