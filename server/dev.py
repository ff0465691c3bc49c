"""Development-only endpoints (`CONVO_ENV=development`), used by `convo chat`.

`GET /dev/outbox?tenant_id=&wa_id=&after_id=&wamid=` returns the outbox rows to one user
newer than `after_id` (with who wrote each: the bot, the system, an agent), the processing
state of inbound message `wamid`, so the chat knows when the bot has finished answering,
and the conversation's handoff state (`bot`, `requested`, `with_agent` and the agent's
name), so it can show why the bot stays quiet. The outbox holds customers' conversations,
so it answers 404 outside development, and 403 without the development token in the
`X-Convo-Dev-Token` header: a token created at each start (or `CONVO_DEV_TOKEN`), printed
by `convo serve` and written to `{data_dir}/dev-token` (mode 0600), where `convo chat`
reads it. The peer address is not trusted: a same-host proxy or a spoofed
`X-Forwarded-For` would make any client look local.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from server.resources import Resources
from server.settings import Settings
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


DEV_TOKEN_HEADER = "X-Convo-Dev-Token"
DEV_TOKEN_FILE = "dev-token"


def dev_token_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / DEV_TOKEN_FILE


def prepare_dev_token(settings: Settings) -> str | None:
    """In development: the token `/dev/outbox` requires (`CONVO_DEV_TOKEN`, else a new
    random one), written to `{data_dir}/dev-token` readable by this user only. Else None."""
    if settings.environment != "development":
        return None
    token = settings.dev_token.get_secret_value() if settings.dev_token else ""
    token = token or secrets.token_urlsafe(24)
    path = dev_token_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(token)
    path.chmod(0o600)  # an older file keeps its mode through O_TRUNC
    return token


def read_dev_token(settings: Settings) -> str | None:
    """The token for `convo chat`: `CONVO_DEV_TOKEN`, else the file the server wrote."""
    if settings.dev_token is not None and settings.dev_token.get_secret_value():
        return settings.dev_token.get_secret_value()
    try:
        return dev_token_path(settings).read_text("utf-8").strip() or None
    except OSError:
        return None


def _token_matches(request: Request) -> bool:
    expected: str | None = getattr(request.app.state, "dev_token", None)
    given = request.headers.get(DEV_TOKEN_HEADER, "")
    return bool(expected) and hmac.compare_digest(given.encode(), str(expected).encode())


@router.get("/dev/outbox")
async def dev_outbox(
    request: Request, tenant_id: str, wa_id: str, after_id: int = 0, wamid: str | None = None
) -> JSONResponse:
    resources: Resources = request.app.state.resources
    settings = resources.settings
    if settings.environment != "development":
        return JSONResponse({"error": "only available with CONVO_ENV=development"}, 404)
    if not _token_matches(request):
        # CONVO_ENV defaults to development: a deployment that forgot to set it must not
        # serve its customers' conversations to whoever can reach it.
        return JSONResponse(
            {"error": f"the development token is required ({DEV_TOKEN_HEADER})"}, 403
        )
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
