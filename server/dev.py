"""Development-only endpoints (`CONVO_ENV=development`), used by `convo chat`.

`GET /dev/outbox?tenant_id=&wa_id=&after_id=&wamid=` returns the outbox rows to one user
newer than `after_id` (with who wrote each: the bot, the system, an agent), the processing
state of inbound message `wamid`, so the chat knows when the bot has finished answering,
and the conversation's handoff state (`bot`, `requested`, `with_agent` and the agent's
name), so it can show why the bot stays quiet. Outside development, or to a client that is
not on this machine, it answers 404: the outbox holds customers' conversations.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from server.resources import Resources
from server.store import repository
from server.store.models import WaMessage
from server.support.store import conversation_of

router = APIRouter()

DONE_STATUSES = frozenset({repository.ANSWERED, repository.TURN_FAILED})


def _row(row: WaMessage) -> dict[str, Any]:
    return {
        "id": row.id,
        "wamid": row.wamid,
        "kind": row.message_type,
        "text": row.text,
        "payload": row.payload,
        "status": row.status,
        "context_wamid": row.context_wamid,
        "author": row.author,
    }


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def _from_this_machine(request: Request) -> bool:
    client = request.client
    return client is not None and client.host in LOOPBACK_HOSTS


@router.get("/dev/outbox")
async def dev_outbox(
    request: Request, tenant_id: str, wa_id: str, after_id: int = 0, wamid: str | None = None
) -> JSONResponse:
    resources: Resources = request.app.state.resources
    settings = resources.settings
    if settings.environment != "development":
        return JSONResponse({"error": "only available with CONVO_ENV=development"}, 404)
    if not _from_this_machine(request):
        # CONVO_ENV defaults to development: a deployment that forgot to set it must not
        # serve its customers' conversations to the internet.
        return JSONResponse({"error": "only available from this machine (loopback)"}, 404)
    async with resources.sessions() as session:
        # The turn's state first, then the rows: the replies and the `answered` state are
        # committed together, so a turn seen done here has its replies in the next read
        # (SQLite runs these SELECTs outside one snapshot).
        inbound = await repository.get_by_wamid(session, wamid) if wamid else None
        rows = await repository.outbox_after(
            session, tenant_id=tenant_id, wa_id=wa_id, after_id=after_id
        )
        conversation = await conversation_of(session, tenant_id, wa_id)
    inbound_status = inbound.status if inbound is not None else None
    done = inbound_status in DONE_STATUSES or (
        inbound_status == repository.PROCESSED and not settings.enable_orchestration
    )
    return JSONResponse(
        {
            "messages": [_row(row) for row in rows],
            "inbound_status": inbound_status,
            "turn_done": done,
            "orchestration": settings.enable_orchestration,
            "handoff": {
                "state": conversation.state if conversation else "bot",
                "agent_name": conversation.agent_name if conversation else None,
            },
        }
    )
