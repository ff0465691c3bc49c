"""End to end through the signed webhook and the real worker: a customer asks for a person,
the agents are notified once, the bot stays quiet, an agent claims, replies and releases,
and the bot answers again. Graph API and the agents' webhook receiver are respx stand-ins."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest
import respx
from support_helpers import SENDING_ENV, GraphStandIn, agent_token, bearer, drain
from webhook_support import post_webhook, running_app

from server.chat_payloads import ChatUser, text_payload

HOOK = "https://hooks.test/handoff"
SECRET = "hook-secret"

SCRIPT = {
    "en": ("I want to talk to a human", "hello? my order never came", "it's order 1234",
           "what are your opening hours?", "passed this chat to our team",
           "Ana from Casa Aurora joined the chat.", "back with Casa Aurora's assistant"),
    "es": ("quiero hablar con una persona", "¿hola? mi pedido nunca llegó", "es el pedido 1234",
           "¿cuál es su horario de atención?", "Pasé este chat a nuestro equipo",
           "Ana de Casa Aurora se unió al chat.", "Vuelves a hablar con el asistente"),
    "pt": ("quero falar com um atendente", "oi? meu pedido não chegou", "é o pedido 1234",
           "qual é o horário de funcionamento?", "Passei esta conversa para a nossa equipe",
           "Ana da Casa Aurora entrou na conversa.", "voltou a falar com o assistente"),
}  # fmt: skip
HOURS = "09:00-19:00"
"""In the demo's opening hours (Monday to Thursday): the bot's own answer to the question."""


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_a_person_takes_over_and_gives_the_chat_back(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, lang: str
) -> None:
    ask, later1, later2, question, requested, joined, released = SCRIPT[lang]
    user = ChatUser(wa_id="5511987650000", name="Lucía")
    env = SENDING_ENV | {"HANDOFF_WEBHOOK_URL": HOOK, "HANDOFF_WEBHOOK_SECRET": SECRET}
    hooks: list[httpx.Request] = []
    with respx.mock(assert_all_called=False) as router:
        graph = GraphStandIn(router)
        router.post(HOOK).mock(side_effect=lambda r: hooks.append(r) or httpx.Response(204))
        router.route(host="testserver").pass_through()
        async with running_app(monkeypatch, redis_url, **env) as (client, app):
            token = await agent_token(app.state.resources)

            async def say(wamid: str, text: str) -> list[str]:
                before = len(graph.sent)
                assert (
                    await post_webhook(client, text_payload(user, wamid, text))
                ).status_code == 200
                await drain(app)
                return graph.texts()[before:]

            [ack] = await say("wamid.ask", ask)
            assert requested in ack
            assert len(hooks) == 1, "the agents' webhook fires once"
            await drain(app)  # nothing left over fires it again
            assert len(hooks) == 1
            hook = hooks[0]
            signed = hook.headers["X-Convo-Timestamp"].encode() + b"." + hook.content
            expected = "sha256=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(hook.headers["X-Convo-Signature"], expected)
            event = json.loads(hook.content)
            assert event["event"] == "handoff.requested"
            assert event["conversation"]["customer"]["name"] == "Lucía"

            assert await say("wamid.later1", later1) == []  # the bot stays quiet
            assert await say("wamid.later2", later2) == []
            assert len(hooks) == 1, "later messages do not notify again"

            queue = (await client.get("/agent/api/conversations", headers=bearer(token))).json()
            [waiting] = queue["conversations"]
            cid = waiting["id"]
            assert event["conversation"]["id"] == cid
            seen = (
                await client.get(f"/agent/api/conversations/{cid}", headers=bearer(token))
            ).json()
            inbound = [m["text"] for m in seen["transcript"] if m["direction"] == "inbound"]
            assert inbound == [ask, later1, later2]  # in order, as they arrived

            before_claim = len(graph.sent)
            claimed = await client.post(
                f"/agent/api/conversations/{cid}/claim", headers=bearer(token)
            )
            assert claimed.status_code == 200 and claimed.json()["state"] == "with_agent"
            body = {"text": "Hi, I'm Ana. Let me check order 1234.", "request_id": "r1"}
            for _ in range(2):  # a retried request sends one message
                sent = await client.post(
                    f"/agent/api/conversations/{cid}/reply", json=body, headers=bearer(token)
                )
                assert sent.status_code == 201
            await drain(app)
            # Exactly: who joined, then the reply, once each, in that order.
            assert graph.texts()[before_claim:] == [joined, body["text"]]

            before_release = len(graph.sent)
            released_now = await client.post(
                f"/agent/api/conversations/{cid}/release", headers=bearer(token)
            )
            assert released_now.json()["state"] == "bot"
            await drain(app)
            [back] = graph.texts()[before_release:]
            assert released in back

            [answer] = await say("wamid.after", question)
            assert HOURS in answer, "the bot answers the question itself after the release"
            final = (
                await client.get(f"/agent/api/conversations/{cid}", headers=bearer(token))
            ).json()
    assert [(h["from"], h["to"]) for h in final["history"]] == [
        ("bot", "requested"),
        ("requested", "with_agent"),
        ("with_agent", "bot"),
    ]
    assert len(hooks) == 1
    outbound = {m["text"]: m for m in final["transcript"] if m["direction"] == "outbound"}
    assert outbound[body["text"]]["status"] == "sent"
    assert (outbound[body["text"]]["author"], outbound[body["text"]]["author_name"]) == (
        "agent:ana",
        "Ana",
    )
