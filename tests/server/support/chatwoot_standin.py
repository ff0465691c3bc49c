"""A stand-in Chatwoot (Application API over respx) and signed Chatwoot webhook posts."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import httpx
import respx
from support_helpers import PHONE_ID
from webhook_support import load_payload

from server.chatwoot.webhook import signature

CHATWOOT = "https://chatwoot.test"
ACCOUNT = 1
INBOX = 3
CONTACT = 77
CONVERSATION = 42
CW_SECRET = "cw-webhook-secret"
CW_ENV = {
    "CHATWOOT_BASE_URL": CHATWOOT,
    "CHATWOOT_ACCOUNT_ID": str(ACCOUNT),
    "CHATWOOT_API_TOKEN": "cw-user-token",
    "CHATWOOT_INBOX_ID": str(INBOX),
    "CHATWOOT_WEBHOOK_SECRET": CW_SECRET,
    "CHATWOOT_WEBHOOK_TOKEN": "cw-url-token",
}


class ChatwootStandIn:
    """Records what the bridge posts; answers like Chatwoot's Application API."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.messages: list[dict[str, Any]] = []
        self.statuses: list[str] = []
        self.patched: list[tuple[int, str, str | None]] = []
        """(message id, status, external_error) of each PATCH, in order."""
        self.contact_exists = False
        self.next_message_id = 1000
        prefix = f"{CHATWOOT}/api/v1/accounts/{ACCOUNT}"
        router.route(host="chatwoot.test").mock(side_effect=lambda r: self._answer(r))
        self.prefix = prefix

    def _answer(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["api_access_token"] == "cw-user-token"
        path = request.url.path.removeprefix(f"/api/v1/accounts/{ACCOUNT}")
        body = json.loads(request.content) if request.content else {}
        self.calls.append((request.method, path, body))
        if (request.method, path) == ("POST", "/contacts"):
            if self.contact_exists:
                return httpx.Response(422, json={"message": "Phone number has already been taken"})
            return httpx.Response(200, json={"payload": {"contact": {"id": CONTACT}}})
        if (request.method, path) == ("GET", "/contacts/search"):
            phone = "+" + request.url.params["q"]
            return httpx.Response(200, json={"payload": [{"id": CONTACT, "phone_number": phone}]})
        if path == f"/contacts/{CONTACT}/contact_inboxes":
            return httpx.Response(200, json={"source_id": body["source_id"]})
        if (request.method, path) == ("POST", "/conversations"):
            return httpx.Response(200, json={"id": CONVERSATION, "status": "open"})
        if path == f"/conversations/{CONVERSATION}/messages":
            self.next_message_id += 1
            self.messages.append(body)
            return httpx.Response(200, json={"id": self.next_message_id, **body})
        if path == f"/conversations/{CONVERSATION}/toggle_status":
            self.statuses.append(body["status"])
            return httpx.Response(200, json={"payload": {"success": True}})
        if request.method == "PATCH" and "/messages/" in path:
            message_id = int(path.rsplit("/", 1)[1])
            self.patched.append((message_id, body["status"], body.get("external_error")))
            return httpx.Response(200, json={})
        return httpx.Response(404, json={"error": "not in the stand-in"})

    def mirrored(self) -> list[str]:
        """The customer messages posted as `incoming`, in order."""
        return [m["content"] for m in self.messages if m["message_type"] == "incoming"]

    @property
    def failed(self) -> list[tuple[int, str | None]]:
        return [(mid, error) for mid, status, error in self.patched if status == "failed"]

    def notes(self) -> list[str]:
        return [m["content"] for m in self.messages if m.get("private")]


def agent_message(
    message_id: int, content: str, *, name: str = "Ana", **extra: Any
) -> dict[str, Any]:
    """`message_created` for an agent's reply, as Chatwoot's API-inbox callback sends it."""
    return {
        "event": "message_created",
        "id": message_id,
        "content": content,
        "message_type": "outgoing",
        "content_type": "text",
        "private": False,
        "source_id": None,
        "sender": {"id": 5, "name": f"{name} Souza", "available_name": name, "type": "user"},
        "inbox": {"id": INBOX, "name": "WhatsApp"},
        "account": {"id": ACCOUNT, "name": "Casa Aurora"},
        "conversation": {"id": CONVERSATION, "inbox_id": INBOX, "status": "open"},
        **extra,
    }


def resolved_event() -> dict[str, Any]:
    return {
        "event": "conversation_status_changed",
        "id": CONVERSATION,
        "status": "resolved",
        "changed_attributes": [{"status": {"previous_value": "open", "current_value": "resolved"}}],
        "meta": {"assignee": {"id": 5, "name": "Ana Souza", "type": "user"}},
    }


def assigned_event(name: str = "Ana") -> dict[str, Any]:
    return {
        "event": "conversation_updated",
        "id": CONVERSATION,
        "status": "open",
        "changed_attributes": [{"assignee_id": {"previous_value": None, "current_value": 5}}],
        "meta": {"assignee": {"id": 5, "name": f"{name} Souza", "available_name": name,
                              "type": "user"}},
    }  # fmt: skip


def signed(payload: dict[str, Any], secret: str = CW_SECRET, *, delivery: str | None = None,
           age_s: int = 0) -> tuple[bytes, dict[str, str]]:  # fmt: skip
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()) - age_s)
    headers = {
        "Content-Type": "application/json",
        "X-Chatwoot-Timestamp": stamp,
        "X-Chatwoot-Signature": signature(secret, stamp, body),
    }
    if delivery:
        headers["X-Chatwoot-Delivery"] = delivery
    return body, headers


async def post_chatwoot(
    client: httpx.AsyncClient, payload: dict[str, Any], **kwargs: Any
) -> httpx.Response:
    body, headers = signed(payload, **kwargs)
    return await client.post("/webhooks/chatwoot/demo", content=body, headers=headers)


def status_webhook(wamid: str, status: str, **extra: Any) -> dict[str, Any]:
    """Meta's status webhook for outbound message `wamid` (to the demo business number)."""
    payload = copy.deepcopy(load_payload("status_delivered"))
    value = payload["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = PHONE_ID
    value["statuses"][0].update({"id": wamid, "status": status, **extra})
    return payload
