"""The Chatwoot webhook's bad input and edge cases: authentication (signature, URL token),
unknown conversations, assignment, replies that cannot be sent, an existing contact, and
a Chatwoot that is down (the customer's turn is not held up)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx
from chatwoot_standin import (
    CW_ENV,
    ChatwootStandIn,
    agent_message,
    assigned_event,
    post_chatwoot,
    resolved_event,
    signed,
)
from support_helpers import SENDING_ENV, GraphStandIn, drain
from webhook_support import post_webhook, running_app

from server.chat_payloads import ChatUser, text_payload

USER = ChatUser(wa_id="5511987650001", name="Rui")


@pytest.fixture
async def bridge(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Any, GraphStandIn, ChatwootStandIn]]:
    with respx.mock(assert_all_called=False) as router:
        graph = GraphStandIn(router)
        chatwoot = ChatwootStandIn(router)
        router.route(host="testserver").pass_through()
        async with running_app(monkeypatch, redis_url, **SENDING_ENV, **CW_ENV) as (client, app):
            yield client, app, graph, chatwoot


async def ask_for_a_person(client: httpx.AsyncClient, app: Any) -> None:
    payload = text_payload(USER, "wamid.ask", "I want to talk to a human")
    assert (await post_webhook(client, payload)).status_code == 200
    await drain(app)


async def test_bad_signature_stale_timestamp_and_wrong_url_token_are_refused(
    bridge: tuple[httpx.AsyncClient, Any, GraphStandIn, ChatwootStandIn],
) -> None:
    client, app, graph, _ = bridge
    await ask_for_a_person(client, app)
    sent = len(graph.sent)
    reply = agent_message(601, "hi")
    body, headers = signed(reply, secret="not-the-secret")
    forged = await client.post("/webhooks/chatwoot/demo", content=body, headers=headers)
    assert forged.status_code == 401
    body, headers = signed(reply, age_s=3600)
    replayed = await client.post("/webhooks/chatwoot/demo", content=body, headers=headers)
    assert replayed.status_code == 401
    unsigned = await client.post("/webhooks/chatwoot/demo", json=reply)
    assert unsigned.status_code == 401
    wrong = await client.post("/webhooks/chatwoot/demo/guessed", json=reply)
    assert wrong.status_code == 401
    nobody = await client.post("/webhooks/chatwoot/demo/cw-url-token", content=b"{not json")
    assert nobody.status_code == 400
    await drain(app)
    assert len(graph.sent) == sent, "nothing refused reaches the customer"
    # An instance that does not sign: the secret in the URL is enough.
    ok = await client.post("/webhooks/chatwoot/demo/cw-url-token", json=reply)
    assert ok.status_code == 200 and ok.json()["outcome"] == "sent"


async def test_a_tenant_without_chatwoot_gets_404(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    async with running_app(monkeypatch, redis_url) as (client, _app):
        answer = await post_chatwoot(client, resolved_event())
    assert answer.status_code == 404


async def test_an_event_for_a_conversation_we_did_not_open_is_ignored(
    bridge: tuple[httpx.AsyncClient, Any, GraphStandIn, ChatwootStandIn],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, app, graph, _ = bridge
    stranger = agent_message(700, "hello") | {"conversation": {"id": 9999, "status": "open"}}
    with caplog.at_level(logging.INFO):
        answer = await post_chatwoot(client, stranger)
    assert answer.status_code == 200 and answer.json()["outcome"] == "unknown_conversation"
    [logged] = [r for r in caplog.records if r.getMessage() == "chatwoot.unknown_conversation"]
    assert getattr(logged, "fields", {}).get("chatwoot_id") == 9999
    await drain(app)
    assert graph.sent == []


async def test_assigning_in_chatwoot_claims_and_the_customer_hears_who_joined(
    bridge: tuple[httpx.AsyncClient, Any, GraphStandIn, ChatwootStandIn],
) -> None:
    client, app, graph, _ = bridge
    await ask_for_a_person(client, app)
    assert (await post_chatwoot(client, assigned_event("Bea"))).json()["outcome"] == "claimed"
    assert (await post_chatwoot(client, assigned_event("Bea") | {"x": 1})).json()[
        "outcome"
    ] == "ignored"  # already claimed: nothing new to say
    await drain(app)
    assert graph.texts()[-1] == "Bea from Casa Aurora joined the chat."
    assert graph.texts().count("Bea from Casa Aurora joined the chat.") == 1


async def test_a_reply_while_the_bot_has_the_chat_is_marked_failed_not_sent(
    bridge: tuple[httpx.AsyncClient, Any, GraphStandIn, ChatwootStandIn],
) -> None:
    client, app, graph, chatwoot = bridge
    await ask_for_a_person(client, app)
    assert (await post_chatwoot(client, resolved_event())).json()["outcome"] == "released"
    await drain(app)
    sent = len(graph.sent)
    late = await post_chatwoot(client, agent_message(801, "are you still there?"))
    assert late.json()["outcome"] == "refused"
    await drain(app)
    assert len(graph.sent) == sent
    [(message_id, reason)] = chatwoot.failed
    assert message_id == 801 and "assistant has this chat" in reason


async def test_an_existing_contact_is_found_not_duplicated(
    bridge: tuple[httpx.AsyncClient, Any, GraphStandIn, ChatwootStandIn],
) -> None:
    client, app, _, chatwoot = bridge
    chatwoot.contact_exists = True
    await ask_for_a_person(client, app)
    paths = [(method, path) for method, path, _ in chatwoot.calls]
    assert ("GET", "/contacts/search") in paths
    assert ("POST", "/conversations") in paths
    assert chatwoot.calls[-1][2]["private"] is True  # the transcript note


async def test_chatwoot_down_does_not_hold_up_the_customer_and_is_retried(
    bridge: tuple[httpx.AsyncClient, Any, GraphStandIn, ChatwootStandIn],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, app, graph, chatwoot = bridge
    answer = chatwoot._answer
    failures = iter([httpx.Response(503)])
    monkeypatch.setattr(
        chatwoot, "_answer", lambda request: next(failures, None) or answer(request)
    )
    await ask_for_a_person(client, app)  # the worker runs the retry (2 s later) too
    assert "passed this chat to our team" in graph.texts()[0]
    paths = [(method, path) for method, path, _ in chatwoot.calls]
    assert paths.count(("POST", "/conversations")) == 1
    assert len(chatwoot.notes()) == 1, "the transcript is posted once, after the retry"


async def test_a_reply_whatsapp_refuses_is_marked_failed_in_chatwoot_with_the_error(
    bridge: tuple[httpx.AsyncClient, Any, GraphStandIn, ChatwootStandIn],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, app, graph, chatwoot = bridge
    await ask_for_a_person(client, app)
    refusal = httpx.Response(
        400,
        json={
            "error": {"code": 131047, "message": "Re-engagement message", "type": "OAuthException"}
        },
    )
    answer = graph._answer

    def refuse_the_agent(request: httpx.Request) -> httpx.Response:
        return refusal if b"too late" in request.content else answer(request)

    monkeypatch.setattr(graph, "_answer", refuse_the_agent)
    assert (await post_chatwoot(client, agent_message(901, "too late?"))).json()[
        "outcome"
    ] == "sent"
    await drain(app)
    [(message_id, error)] = chatwoot.failed
    assert message_id == 901 and error is not None and "131047" in error


async def test_asking_again_after_a_resolve_reopens_the_same_chatwoot_conversation(
    bridge: tuple[httpx.AsyncClient, Any, GraphStandIn, ChatwootStandIn],
) -> None:
    client, app, graph, chatwoot = bridge
    await ask_for_a_person(client, app)
    assert (await post_chatwoot(client, resolved_event())).json()["outcome"] == "released"
    await drain(app)
    again = text_payload(USER, "wamid.again", "can I talk to a person again?")
    assert (await post_webhook(client, again)).status_code == 200
    await drain(app)
    assert "passed this chat to our team" in graph.texts()[-1]
    paths = [(method, path) for method, path, _ in chatwoot.calls]
    assert paths.count(("POST", "/conversations")) == 1, "the same conversation, reopened"
    assert chatwoot.statuses == ["open"]
    _first, second = chatwoot.notes()
    assert second.startswith("The customer asked for a person again.")
    assert "Customer: can I talk to a person again?" in second
    assert "Customer: I want to talk to a human" not in second  # only what is new
