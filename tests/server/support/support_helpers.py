"""Helpers for the support desk tests: agents, the worker, the stand-in Graph API."""

from __future__ import annotations

import json
from typing import Any

import httpx
import respx
from fastapi import FastAPI

from server.agents.tokens import issue
from server.resources import Resources
from server.worker import build_worker

GRAPH = "https://graph.test"
PHONE_ID = "100200300400500"
SENDING_ENV = {
    "ENABLE_ORCHESTRATION": "true",
    "WHATSAPP_ACCESS_TOKEN": "test-token",
    "WHATSAPP_API_BASE_URL": GRAPH,
    "WHATSAPP_PAIR_BURST": "50",
}


async def agent_token(
    resources: Resources, tenant: str = "demo", handle: str = "ana", name: str = "Ana"
) -> str:
    async with resources.sessions.begin() as session:
        issued = await issue(session, tenant=tenant, handle=handle, display_name=name)
    return issued.token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def drain(app: FastAPI) -> None:
    """Run the real worker until the queue is empty."""
    worker = build_worker(app.state.resources, burst=True, handle_signals=False)
    try:
        await worker.async_run()
    finally:
        await worker.close()


class GraphStandIn:
    """The Graph API's /messages endpoint: records what was sent, answers with a wamid."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.sent: list[dict[str, Any]] = []
        router.post(url__regex=rf"{GRAPH}/v[\d.]+/{PHONE_ID}/messages").mock(
            side_effect=lambda request: self._answer(request)
        )

    def _answer(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("status") == "read":  # mark-as-read / typing indicator
            return httpx.Response(200, json={"success": True})
        self.sent.append(body)
        wamid = f"wamid.out{len(self.sent)}"
        return httpx.Response(
            200,
            json={
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": wamid}],
            },
        )

    def texts(self) -> list[str]:
        out = []
        for body in self.sent:
            if body["type"] == "text":
                out.append(body["text"]["body"])
            elif body["type"] == "interactive":
                out.append(body["interactive"]["body"]["text"])
            else:
                out.append(f"[{body['type']}]")
        return out
