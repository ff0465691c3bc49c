"""The agent API refuses what it must: 401, 404 across tenants, 409 on state, 422 on input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from support_helpers import PHONE_ID, agent_token, bearer
from webhook_support import running_app

from nodes.human.desk import HandoffRequest
from server.agents.tokens import issue
from server.store.models import Direction, WaMessage, utcnow
from server.support.desk import SqlDesk
from server.support.models import Conversation

WA_ID = "5511911112222"


@pytest.fixture
async def app(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    async with running_app(monkeypatch, redis_url) as pair:
        yield pair


async def waiting_conversation(app: FastAPI, *, wa_id: str = WA_ID, inbound_at: Any = None) -> int:
    """A customer message stored, then a request for a person (as the lane makes it)."""
    resources = app.state.resources
    async with resources.sessions.begin() as session:
        session.add(
            WaMessage(direction=Direction.INBOUND.value, wamid=f"wamid.{wa_id}", tenant_id=PHONE_ID,
                      wa_id=wa_id, message_type="text", text="a person please", payload={},
                      status="answered", attempts=0, provider_timestamp=inbound_at or utcnow())
        )  # fmt: skip
    await SqlDesk(resources).request_handoff(
        HandoffRequest(tenant_id=PHONE_ID, wa_id=wa_id, msg_id=f"wamid.{wa_id}", language="en")
    )
    async with resources.sessions() as session:
        found = await session.scalar(select(Conversation.id).where(Conversation.wa_id == wa_id))
    assert found is not None
    return int(found)


async def test_no_unknown_revoked_or_expired_token_is_401(
    app: tuple[httpx.AsyncClient, FastAPI],
) -> None:
    client, fastapi_app = app
    resources = fastapi_app.state.resources
    async with resources.sessions.begin() as session:
        expired = await issue(session, tenant="demo", handle="old", display_name="Old",
                              valid_for=timedelta(seconds=-1))  # fmt: skip
    for headers in ({}, {"Authorization": "Basic abc"}, bearer("cva_nope"), bearer(expired.token)):
        response = await client.get("/agent/api/conversations", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Bearer")
    token = await agent_token(resources)
    assert (await client.get("/agent/api/me", headers=bearer(token))).status_code == 200
    await client.post("/agent/api/me", headers=bearer(token))  # wrong verb: not a data leak
    cid = await waiting_conversation(fastapi_app)
    for path in (f"/agent/api/conversations/{cid}", "/agent/api/events"):
        assert (await client.get(path)).status_code == 401


async def test_another_tenants_conversation_is_404_like_a_missing_one(
    app: tuple[httpx.AsyncClient, FastAPI],
) -> None:
    client, fastapi_app = app
    cid = await waiting_conversation(fastapi_app)
    other = await agent_token(
        fastapi_app.state.resources, tenant="other-shop", handle="bo", name="Bo"
    )
    assert (await client.get("/agent/api/conversations", headers=bearer(other))).json() == {
        "conversations": []
    }
    routes = [("GET", "", None), ("POST", "/claim", None), ("POST", "/release", {}),
              ("POST", "/notes", {"text": "x"}), ("POST", "/reply", {"text": "x"})]  # fmt: skip
    for method, path, body in routes:
        response = await client.request(
            method, f"/agent/api/conversations/{cid}{path}", headers=bearer(other), json=body
        )
        assert response.status_code == 404, path
    missing = await client.get("/agent/api/conversations/999999", headers=bearer(other))
    assert missing.status_code == 404 and missing.json() == response.json()


async def test_replying_needs_a_claim_by_that_agent_409(
    app: tuple[httpx.AsyncClient, FastAPI],
) -> None:
    client, fastapi_app = app
    resources = fastapi_app.state.resources
    ana, bo = await agent_token(resources), await agent_token(resources, handle="bo", name="Bo")
    cid = await waiting_conversation(fastapi_app)
    url = f"/agent/api/conversations/{cid}"
    not_claimed = await client.post(f"{url}/reply", json={"text": "hi"}, headers=bearer(ana))
    assert not_claimed.status_code == 409 and not_claimed.json()["detail"]["error"] == "not_claimed"
    assert (await client.post(f"{url}/claim", headers=bearer(ana))).status_code == 200
    taken = await client.post(f"{url}/claim", headers=bearer(bo))
    assert taken.status_code == 409 and taken.json()["detail"]["state"] == "with_agent"
    other = await client.post(f"{url}/reply", json={"text": "hi"}, headers=bearer(bo))
    assert other.status_code == 409 and other.json()["detail"]["error"] == "claimed_by_another"
    assert (await client.post(f"{url}/release", headers=bearer(bo))).status_code == 409
    assert (
        await client.post(f"{url}/reply", json={"text": "hi"}, headers=bearer(ana))
    ).status_code == 201
    assert (await client.post(f"{url}/release", headers=bearer(ana))).status_code == 200
    again = await client.post(f"{url}/release", headers=bearer(ana))
    assert again.status_code == 409 and again.json()["detail"]["error"] == "not_handed_off"


@pytest.mark.parametrize(
    "body",
    [{"text": ""}, {"text": "   "}, {"text": "x" * 4097}, {},
     {"text": "a", "template": {"name": "hello_world"}}, {"template": {"name": "not_approved"}},
     {"text": 5}, {"text": "ok", "extra": 1}],
)  # fmt: skip
async def test_bad_replies_are_422_and_nothing_is_sent(
    app: tuple[httpx.AsyncClient, FastAPI], body: dict[str, Any]
) -> None:
    client, fastapi_app = app
    token = await agent_token(fastapi_app.state.resources)
    cid = await waiting_conversation(fastapi_app)
    await client.post(f"/agent/api/conversations/{cid}/claim", headers=bearer(token))
    response = await client.post(
        f"/agent/api/conversations/{cid}/reply", json=body, headers=bearer(token)
    )
    assert response.status_code == 422
    seen = (await client.get(f"/agent/api/conversations/{cid}", headers=bearer(token))).json()
    assert [m["author"] for m in seen["transcript"]] == ["customer", "system"]  # + "joined"


async def test_after_24_hours_the_api_asks_for_a_template_and_sends_one(
    app: tuple[httpx.AsyncClient, FastAPI],
) -> None:
    client, fastapi_app = app
    token = await agent_token(fastapi_app.state.resources)
    cid = await waiting_conversation(fastapi_app, inbound_at=utcnow() - timedelta(hours=25))
    url = f"/agent/api/conversations/{cid}"
    claimed = (await client.post(f"{url}/claim", headers=bearer(token))).json()
    assert claimed["reply"]["needs"] == "template" and not claimed["reply"]["window_open"]
    assert claimed["reply"]["templates"] == [
        {"name": "hello_world", "language": "en_US", "parameters": 0}
    ]
    text = await client.post(f"{url}/reply", json={"text": "hi"}, headers=bearer(token))
    assert text.status_code == 409 and text.json()["detail"]["error"] == "window_closed"
    sent = await client.post(
        f"{url}/reply", json={"template": {"name": "hello_world"}}, headers=bearer(token)
    )
    assert sent.status_code == 201 and sent.json()["message"]["kind"] == "template"


async def test_notes_stay_private_and_tickets_can_be_solved_then_closed(
    app: tuple[httpx.AsyncClient, FastAPI],
) -> None:
    client, fastapi_app = app
    resources = fastapi_app.state.resources
    token = await agent_token(resources)
    from nodes.human.desk import TicketDraft

    desk = SqlDesk(resources)
    ticket = await desk.open_ticket(
        TicketDraft(tenant_id=PHONE_ID, wa_id=WA_ID, msg_id="wamid.problem", category="damaged",
                    summary="it arrived broken")
    )  # fmt: skip
    assert await desk.add_to_ticket(PHONE_ID, ticket.number, "wamid.more", "the handle is off")
    cid = await waiting_conversation(fastapi_app)
    url = f"/agent/api/conversations/{cid}"
    assert (
        await client.post(f"{url}/notes", json={"text": " "}, headers=bearer(token))
    ).status_code == 422
    assert (
        await client.post(f"{url}/notes", json={"text": "VIP"}, headers=bearer(token))
    ).status_code == 201
    solved = await client.post(f"{url}/tickets/{ticket.number}/solve", headers=bearer(token))
    assert solved.json()["ticket"]["status"] == "solved"
    closed = await client.post(f"{url}/tickets/{ticket.number}/close", headers=bearer(token))
    assert closed.json()["ticket"]["status"] == "closed"
    assert (
        await client.post(f"{url}/tickets/T-NOPE/solve", headers=bearer(token))
    ).status_code == 404
    seen = (await client.get(url, headers=bearer(token))).json()
    assert [n["text"] for n in seen["notes"]] == ["VIP"]
    assert all(m["text"] != "VIP" for m in seen["transcript"])
    [t] = seen["tickets"]
    assert [(h["kind"], h["to"] or h["text"]) for h in t["history"]] == [
        ("status", "open"), ("message", "it arrived broken"), ("message", "the handle is off"),
        ("status", "pending_human"), ("status", "solved"), ("status", "closed"),
    ]  # fmt: skip


async def test_releasing_to_a_lane_is_kept_for_the_next_turn_once(
    app: tuple[httpx.AsyncClient, FastAPI],
) -> None:
    client, fastapi_app = app
    resources = fastapi_app.state.resources
    token = await agent_token(resources)
    cid = await waiting_conversation(fastapi_app, wa_id="5511900007777")
    url = f"/agent/api/conversations/{cid}"
    await client.post(f"{url}/claim", headers=bearer(token))
    bad = await client.post(f"{url}/release", json={"lane": "nowhere"}, headers=bearer(token))
    assert bad.status_code == 422
    done = await client.post(f"{url}/release", json={"lane": "commerce"}, headers=bearer(token))
    assert done.status_code == 200 and done.json()["state"] == "bot"
    desk = SqlDesk(resources)
    assert (await desk.handoff_view(PHONE_ID, "5511900007777")).resume_lane == "commerce"
    await desk.resumed(PHONE_ID, "5511900007777")
    assert (await desk.handoff_view(PHONE_ID, "5511900007777")).resume_lane is None
