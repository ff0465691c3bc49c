"""What the support lane tells the customer is what happened, through the signed webhook,
the real worker and the SQL desk (EN/ES/PT):

- asking for the manager is a request for a person: the request is stored and the team
  is named, and no ticket is opened for it (before or after a ticket for a problem);
- "I've added that to ticket T-..." is said only once the message is attached to the
  ticket in SQL;
- a business nobody would hear a request from (no agent with a live token, no agents'
  webhook, no Chatwoot) is not promised a person: the bot says it cannot bring one in.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import respx
from sqlalchemy import select
from support_helpers import SENDING_ENV, GraphStandIn, agent_token, drain
from webhook_support import post_webhook, running_app

from server.chat_payloads import ChatUser, text_payload
from server.support.models import Conversation, Ticket, TicketEvent

MANAGER = {
    "en": "can I speak to the manager",
    "es": "quiero hablar con el gerente",
    "pt": "quero falar com o gerente",
}
REQUESTED = {
    "en": "passed this chat to our team",
    "es": "Pasé este chat a nuestro equipo",
    "pt": "Passei esta conversa para a nossa equipe",
}
PROBLEM = {
    "en": "my order arrived damaged",
    "es": "mi pedido llegó roto",
    "pt": "meu pedido chegou quebrado",
}
CANNOT = {
    "en": "can't bring a person into this chat right now",
    "es": "no puedo traer a una persona a este chat",
    "pt": "não consigo chamar uma pessoa para esta conversa",
}
OFFER = {"en": "talk to a person", "es": "hablar con una persona", "pt": "falar com uma pessoa"}
RECORDED = {"en": "recorded it as ticket", "es": "Lo registré como ticket",
            "pt": "Registrei isso como chamado"}  # fmt: skip
TICKET = {"en": "I've opened ticket", "es": "Abrí el ticket", "pt": "Abri o chamado"}
FOLLOW_UP = {
    "en": "the order number is 1234",
    "es": "el número de pedido es 1234",
    "pt": "o número do pedido é 1234",
}
NOTED = {
    "en": "I've added that to ticket",
    "es": "lo agregué al ticket",
    "pt": "adicionei isso ao chamado",
}


async def _tickets(app: object) -> list[Ticket]:
    async with app.state.resources.sessions() as session:  # type: ignore[attr-defined]
        return list((await session.execute(select(Ticket))).scalars())


async def _state(app: object) -> str:
    async with app.state.resources.sessions() as session:  # type: ignore[attr-defined]
        return (await session.execute(select(Conversation.state))).scalar_one()


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_asking_for_the_manager_is_a_request_for_a_person_not_a_ticket(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, lang: str
) -> None:
    user = ChatUser(wa_id="5511987650010", name="Lucía")
    with respx.mock(assert_all_called=False) as router:
        graph = GraphStandIn(router)
        router.route(host="testserver").pass_through()
        async with running_app(monkeypatch, redis_url, **SENDING_ENV) as (client, app):
            await agent_token(app.state.resources)  # someone who would see the request
            await post_webhook(client, text_payload(user, "wamid.manager", MANAGER[lang]))
            await drain(app)
            [ack] = graph.texts()
            assert REQUESTED[lang] in ack
            assert await _state(app) == "requested"
            assert await _tickets(app) == []


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_after_a_ticket_the_manager_request_brings_a_person_without_a_second_ticket(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, lang: str
) -> None:
    user = ChatUser(wa_id="5511987650011", name="Lucía")
    with respx.mock(assert_all_called=False) as router:
        graph = GraphStandIn(router)
        router.route(host="testserver").pass_through()
        async with running_app(monkeypatch, redis_url, **SENDING_ENV) as (client, app):
            await agent_token(app.state.resources)
            await post_webhook(client, text_payload(user, "wamid.problem", PROBLEM[lang]))
            await drain(app)
            await post_webhook(client, text_payload(user, "wamid.manager", MANAGER[lang]))
            await drain(app)
            ticket_reply, ack = graph.texts()
            assert TICKET[lang] in ticket_reply
            assert REQUESTED[lang] in ack and TICKET[lang] not in ack
            [ticket] = await _tickets(app)
            assert ticket.status == "pending_human"
            assert await _state(app) == "requested"


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_a_follow_up_is_in_the_ticket_when_the_bot_says_it_was_added(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, lang: str
) -> None:
    user = ChatUser(wa_id="5511987650012", name="Lucía")
    with respx.mock(assert_all_called=False) as router:
        graph = GraphStandIn(router)
        router.route(host="testserver").pass_through()
        async with running_app(monkeypatch, redis_url, **SENDING_ENV) as (client, app):
            await agent_token(app.state.resources)
            await post_webhook(client, text_payload(user, "wamid.problem", PROBLEM[lang]))
            await drain(app)
            await post_webhook(client, text_payload(user, "wamid.more", FOLLOW_UP[lang]))
            await drain(app)
            ticket_reply, noted = graph.texts()
            [number] = re.findall(r"T-[0-9A-F]+", ticket_reply)
            assert NOTED[lang] in noted and number in noted
            async with app.state.resources.sessions() as session:
                events = (await session.execute(select(TicketEvent))).scalars().all()
            attached = [(e.wamid, e.body) for e in events if e.kind == "message"]
            assert ("wamid.more", FOLLOW_UP[lang]) in attached
            assert len(await _tickets(app)) == 1


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
async def test_nobody_to_hear_the_request_no_person_is_promised_or_offered(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, lang: str
) -> None:
    """No agent can sign in (only a revoked and an expired token), no agents' webhook, no
    Chatwoot: asking for a person is answered with what is true, and the chat stays with
    the bot; a problem is recorded as a ticket without offering a person."""
    from server.agents.tokens import issue, revoke

    user = ChatUser(wa_id="5511987650013", name="Lucía")
    with respx.mock(assert_all_called=False) as router:
        graph = GraphStandIn(router)
        router.route(host="testserver").pass_through()
        async with running_app(monkeypatch, redis_url, **SENDING_ENV) as (client, app):
            async with app.state.resources.sessions.begin() as session:
                await issue(session, tenant="demo", handle="old", display_name="Old",
                            valid_for=timedelta(seconds=-1))  # fmt: skip
                await issue(session, tenant="demo", handle="gone", display_name="Gone")
                assert await revoke(session, tenant="demo", handle="gone")
            await post_webhook(client, text_payload(user, "wamid.manager", MANAGER[lang]))
            await drain(app)
            await post_webhook(client, text_payload(user, "wamid.problem", PROBLEM[lang]))
            await drain(app)
            answer, ticket_reply = graph.texts()
            assert CANNOT[lang] in answer and REQUESTED[lang] not in answer
            assert all(body["type"] == "text" for body in graph.sent), "no button offers one"
            [number] = re.findall(r"T-[0-9A-F]+", ticket_reply)
            assert RECORDED[lang] in ticket_reply and CANNOT[lang] in ticket_reply
            assert OFFER[lang] not in ticket_reply.lower()
            [ticket] = await _tickets(app)
            assert (ticket.number, ticket.status) == (number, "open")
            async with app.state.resources.sessions() as session:
                states = (await session.execute(select(Conversation.state))).scalars().all()
            assert states == ["bot"]
