"""The SQL desk on SQLite and PostgreSQL: idempotent on the message id, one winner per
state change, every change in the history, timeouts back to the bot with a message."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from sqlalchemy import make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from nodes.human.desk import HandoffRequest, TicketDraft
from server.resources import Resources
from server.settings import Settings
from server.store import create_engine, migrate, session_factory
from server.store.models import WaMessage, utcnow
from server.support import actions, store
from server.support.desk import SqlDesk
from server.support.models import Conversation, Ticket

PHONE_ID = "100200300400500"
WA_ID = "5511933334444"


@pytest.fixture(params=["sqlite", "postgresql"])
async def resources(
    request: pytest.FixtureRequest, tmp_path: Path, redis_client: aioredis.Redis, redis_url: str
) -> AsyncIterator[Resources]:
    if request.param == "sqlite":
        async with _resources(
            f"sqlite+aiosqlite:///{tmp_path}/desk.db", redis_client, redis_url
        ) as r:
            yield r
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL to run the desk tests on it")
    name = f"convo_desk_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(make_url(base), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        async with _resources(url, redis_client, redis_url) as r:
            yield r
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@contextlib.asynccontextmanager
async def _resources(url: str, client: aioredis.Redis, redis_url: str) -> AsyncIterator[Resources]:
    await migrate(url)
    engine = create_engine(url)
    try:
        yield Resources(Settings(), redis_url, client, engine, session_factory(engine))
    finally:
        await engine.dispose()


def ask(msg_id: str = "wamid.ask", language: str = "es") -> HandoffRequest:
    return HandoffRequest(tenant_id=PHONE_ID, wa_id=WA_ID, msg_id=msg_id, language=language,  # type: ignore[arg-type]
                          customer_name="Lucía", lane="commerce")  # fmt: skip


async def conversation(resources: Resources) -> Conversation:
    async with resources.sessions() as session:
        found = await store.conversation_of(session, PHONE_ID, WA_ID)
    assert found is not None
    return found


async def test_a_request_is_stored_once_and_keeps_its_history(resources: Resources) -> None:
    requested: list[int] = []

    async def hook(_: Resources, c: Conversation) -> None:
        requested.append(c.id)

    desk = SqlDesk(resources, after_request=[hook])
    first = await desk.request_handoff(ask())
    again = await desk.request_handoff(ask())  # the turn ran again
    later = await desk.request_handoff(ask("wamid.other"))  # asked twice: still one request
    assert first.state == again.state == later.state == "requested"
    assert first.request_msg_id == later.request_msg_id == "wamid.ask"
    assert first.mutes("wamid.next") and not first.mutes("wamid.ask")
    assert len(requested) == 1
    row = await conversation(resources)
    assert (row.tenant, row.language, row.customer_name, row.resume_lane) == (
        "demo",
        "es",
        "Lucía",
        "commerce",
    )
    assert row.expires_at is not None
    async with resources.sessions() as session:
        history = await store.handoff_history(session, row.id)
    assert [(h.from_state, h.to_state, h.actor) for h in history] == [
        ("bot", "requested", "customer")
    ]


async def test_two_agents_claiming_at_once_one_wins(resources: Resources) -> None:
    await SqlDesk(resources).request_handoff(ask())
    row = await conversation(resources)
    ana = actions.Actor(key="agent:ana", name="Ana", agent_id=None)
    bo = actions.Actor(key="agent:bo", name="Bo", agent_id=None)
    results = await asyncio.gather(
        actions.claim(resources, row.id, ana),
        actions.claim(resources, row.id, bo),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, Conversation)]
    losers = [r for r in results if isinstance(r, actions.NotAllowed)]
    assert len(winners) == 1 and len(losers) == 1, results
    async with resources.sessions() as session:
        history = await store.handoff_history(session, row.id)
        joined = (await session.execute(
            select(WaMessage.text).where(WaMessage.author == "system")
        )).scalars().all()  # fmt: skip
    assert [h.to_state for h in history] == ["requested", "with_agent"]
    assert len(joined) == 1 and "se unió al chat" in joined[0]


async def test_the_timeout_sends_it_back_to_the_bot_and_says_so(resources: Resources) -> None:
    await SqlDesk(resources).request_handoff(ask(language="pt"))
    row = await conversation(resources)
    assert await actions.expire(resources, now=utcnow()) == 0  # not due yet
    late = utcnow() + timedelta(days=8)
    assert await actions.expire(resources, now=late) == 1
    assert await actions.expire(resources, now=late) == 0
    row = await conversation(resources)
    assert row.state == "bot"
    async with resources.sessions() as session:
        history = await store.handoff_history(session, row.id)
        notices = (await session.execute(
            select(WaMessage.text).where(WaMessage.author == "system")
        )).scalars().all()  # fmt: skip
    assert (history[-1].actor, history[-1].reason) == ("timeout", "queue_timeout")
    assert len(notices) == 1 and "Ninguém da nossa equipe" in notices[0]


async def test_a_ticket_per_message_and_follow_ups_attached(resources: Resources) -> None:
    desk = SqlDesk(resources)
    draft = TicketDraft(tenant_id=PHONE_ID, wa_id=WA_ID, msg_id="wamid.p1", category="late",
                        summary="my order is late", order_ref="1234")  # fmt: skip
    first, again = await desk.open_ticket(draft), await desk.open_ticket(draft)
    assert first.created and not again.created and first.number == again.number
    assert await desk.add_to_ticket(PHONE_ID, first.number, "wamid.p2", "it's order 1234")
    assert await desk.add_to_ticket(PHONE_ID, first.number, "wamid.p2", "it's order 1234")
    assert not await desk.add_to_ticket(PHONE_ID, "T-000000", "wamid.p3", "?")
    async with resources.sessions() as session:
        tickets = list((await session.execute(select(Ticket))).scalars())
        events = await store.ticket_events(session, [t.id for t in tickets])
    assert [(t.number, t.order_ref, t.status) for t in tickets] == [(first.number, "1234", "open")]
    assert [e.body for e in events if e.kind == "message"] == [
        "my order is late",
        "it's order 1234",
    ]


IDLE = {
    "en": "This chat with Ana ended after a while without messages. You're back with",
    "es": "Este chat con Ana terminó tras un rato sin mensajes. Vuelves con el asistente",
    "pt": "Esta conversa com Ana terminou depois de um tempo sem mensagens. Você voltou",
}


@pytest.mark.parametrize("language", ["en", "es", "pt"])
async def test_a_claimed_chat_gone_quiet_goes_back_to_the_bot_and_says_so(
    resources: Resources, language: str
) -> None:
    """The idle timeout: a claimed chat with no message from either side for the tenant's
    `idle_timeout_minutes` (60 in the demo) is given back, once, and the customer told so
    in their language; before the deadline nothing moves."""
    await SqlDesk(resources).request_handoff(ask(language=language))
    row = await conversation(resources)
    claimed = await actions.claim(resources, row.id, actions.Actor("agent:ana", "Ana", None))
    deadline = claimed.expires_at
    assert deadline is not None
    soon = utcnow() + timedelta(minutes=59)
    assert await actions.expire(resources, now=soon) == 0
    assert (await conversation(resources)).state == "with_agent"
    late = utcnow() + timedelta(minutes=61)
    assert await actions.expire(resources, now=late) == 1
    assert await actions.expire(resources, now=late) == 0
    row = await conversation(resources)
    assert (row.state, row.expires_at) == ("bot", None)
    async with resources.sessions() as session:
        history = await store.handoff_history(session, row.id)
        notices = (await session.execute(
            select(WaMessage.text).where(WaMessage.author == "system").order_by(WaMessage.id)
        )).scalars().all()  # fmt: skip
    assert [(h.to_state, h.actor, h.reason) for h in history][-1] == (
        "bot",
        "timeout",
        "idle_timeout",
    )
    assert len(notices) == 2  # who joined, then the timeout
    assert notices[1].startswith(IDLE[language])
