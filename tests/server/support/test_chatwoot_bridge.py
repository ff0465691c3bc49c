"""The Chatwoot bridge end to end, through the signed WhatsApp webhook and the real worker:
the customer asks for a person -> the conversation opens in Chatwoot with the transcript ->
the bot stays quiet and the next two messages are mirrored in order -> a Chatwoot agent's
reply claims the chat and reaches the customer once (however often Chatwoot delivers it)
-> resolving in Chatwoot gives the chat back to the bot. Chatwoot and the Graph API are
respx stand-ins; Chatwoot's webhooks are signed posts."""

from __future__ import annotations

import pytest
import respx
from chatwoot_standin import (
    CW_ENV,
    ChatwootStandIn,
    agent_message,
    post_chatwoot,
    resolved_event,
    status_webhook,
)
from support_helpers import SENDING_ENV, GraphStandIn, agent_token, bearer, drain
from webhook_support import post_webhook, running_app

from server.chat_payloads import ChatUser, text_payload

SCRIPT = {
    "en": ("I want to talk to a human", "hello? my order never came", "it's order 1234",
           "what are your opening hours?", "passed this chat to our team",
           "Ana from Casa Aurora joined the chat", "back with Casa Aurora's assistant"),
    "es": ("quiero hablar con una persona", "¿hola? mi pedido nunca llegó", "es el pedido 1234",
           "¿cuál es su horario de atención?", "Pasé este chat a nuestro equipo",
           "Ana de Casa Aurora se unió al chat", "Vuelves a hablar con el asistente"),
    "pt": ("quero falar com um atendente", "oi? meu pedido não chegou", "é o pedido 1234",
           "qual é o horário de funcionamento?", "Passei esta conversa para a nossa equipe",
           "Ana da Casa Aurora entrou na conversa", "voltou a falar com o assistente"),
}  # fmt: skip
AGENT_TEXT = {
    "en": "Hi, I'm Ana. Let me check order 1234.",
    "es": "Hola, soy Ana. Reviso el pedido 1234.",
    "pt": "Oi, sou a Ana. Vou ver o pedido 1234.",
}


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_a_chatwoot_agent_takes_over_and_resolving_gives_the_chat_back(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, lang: str
) -> None:
    ask, later1, later2, question, requested, joined, released = SCRIPT[lang]
    user = ChatUser(wa_id="5511987650000", name="Lucía")
    with respx.mock(assert_all_called=False) as router:
        graph = GraphStandIn(router)
        chatwoot = ChatwootStandIn(router)
        router.route(host="testserver").pass_through()
        async with running_app(monkeypatch, redis_url, **SENDING_ENV, **CW_ENV) as (client, app):

            async def say(wamid: str, text: str) -> list[str]:
                before = len(graph.sent)
                response = await post_webhook(client, text_payload(user, wamid, text))
                assert response.status_code == 200
                await drain(app)
                return graph.texts()[before:]

            [ack] = await say("wamid.ask", ask)
            assert requested in ack
            await drain(app)  # nothing left over opens it twice
            creates = [(m, p) for m, p, _ in chatwoot.calls if m == "POST" and "/messages" not in p]
            assert creates == [
                ("POST", "/contacts"),
                ("POST", "/contacts/77/contact_inboxes"),
                ("POST", "/conversations"),
            ]
            contact = chatwoot.calls[0][2]
            assert (contact["phone_number"], contact["name"]) == ("+5511987650000", "Lucía")
            [note] = chatwoot.notes()
            assert f"Customer: {ask}" in note and requested[:20] in note

            assert await say("wamid.later1", later1) == []  # the bot stays quiet
            assert await say("wamid.later2", later2) == []
            assert chatwoot.mirrored() == [later1, later2]  # in order, once each

            reply = agent_message(501, AGENT_TEXT[lang])
            for delivery in ("d-1", "d-1", "d-2"):  # a duplicate, then a re-delivery
                answer = await post_chatwoot(client, reply, delivery=delivery)
                assert answer.status_code == 200
            await drain(app)
            sent = graph.texts()
            assert sent.count(AGENT_TEXT[lang]) == 1, "the agent's reply is sent once"
            assert sent.count(f"{joined}.") == 1
            assert sent.index(f"{joined}.") < sent.index(AGENT_TEXT[lang])
            assert chatwoot.patched == [(501, "sent", None)], "the agent sees it went out"
            reply_wamid = f"wamid.out{sent.index(AGENT_TEXT[lang]) + 1}"
            for status in ("delivered", "read"):
                await post_webhook(client, status_webhook(reply_wamid, status))
                await drain(app)
            assert [status for _, status, _ in chatwoot.patched] == ["sent", "delivered", "read"]

            # Our own mirror and private notes come back through the callback: never sent.
            contact = {"id": 9, "type": "contact"}
            echo = agent_message(502, later1) | {"message_type": "incoming", "sender": contact}
            note_back = agent_message(503, "internal: VIP customer", private=True)
            for event in (echo, note_back):
                assert (await post_chatwoot(client, event)).json()["outcome"] == "ignored"
            await drain(app)
            assert len(graph.sent) == len(sent)

            before_release = len(graph.sent)
            assert (await post_chatwoot(client, resolved_event())).json()["outcome"] == "released"
            await drain(app)
            [back] = graph.texts()[before_release:]
            assert released in back

            [answer] = await say("wamid.after", question)
            assert "09:00-19:00" in answer, "the bot answers the question itself once resolved"
            assert len(chatwoot.mirrored()) == 2, "nothing is mirrored once the bot has it"

            token = await agent_token(app.state.resources)
            [row] = (
                await client.get("/agent/api/conversations?state=bot", headers=bearer(token))
            ).json()["conversations"]
            final = (
                await client.get(f"/agent/api/conversations/{row['id']}", headers=bearer(token))
            ).json()
    assert [(h["from"], h["to"], h["actor"]) for h in final["history"]] == [
        ("bot", "requested", "customer"),
        ("requested", "with_agent", "chatwoot:5"),
        ("with_agent", "bot", "chatwoot:resolved"),
    ]
    statuses = {m["text"]: m["status"] for m in final["transcript"] if m["direction"] == "outbound"}
    assert statuses[AGENT_TEXT[lang]] == "read"
