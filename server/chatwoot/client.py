"""A small client of Chatwoot's Application API (`/api/v1/accounts/{account_id}/...`).

Only the calls the bridge makes. Errors::

    ChatwootError                 the call failed
    ├── transient                 no answer, 408/429/5xx: worth retrying (`transient=True`)
    └── permanent                 any other 4xx (bad token, unknown inbox, invalid body)

`ChatwootError.status` holds the HTTP status when there was an answer.
"""

from __future__ import annotations

from typing import Any

import httpx

from server.settings import ChatwootAccount

TIMEOUT_S = 10.0
RETRY_STATUSES = frozenset({408, 425, 429})


class ChatwootError(Exception):
    def __init__(self, message: str, *, status: int | None = None, transient: bool) -> None:
        super().__init__(message)
        self.status = status
        self.transient = transient


class ChatwootClient:
    def __init__(self, account: ChatwootAccount, http: httpx.AsyncClient | None = None) -> None:
        self.account = account
        base = account.base_url.rstrip("/")
        self._prefix = f"{base}/api/v1/accounts/{account.account_id}"
        self._http = http or httpx.AsyncClient(timeout=TIMEOUT_S)
        self._owns_http = http is None

    async def __aenter__(self) -> ChatwootClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def _call(
        self, method: str, path: str, *, json: Any = None, params: Any = None
    ) -> dict[str, Any]:
        headers = {"api_access_token": self.account.api_token.get_secret_value()}
        try:
            response = await self._http.request(
                method, self._prefix + path, json=json, params=params, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ChatwootError(f"{method} {path}: {type(exc).__name__}", transient=True) from exc
        if response.is_success:
            answer = response.json() if response.content else {}
            return answer if isinstance(answer, dict) else {"payload": answer}
        status = response.status_code
        raise ChatwootError(
            f"{method} {path}: HTTP {status}",
            status=status,
            transient=status in RETRY_STATUSES or status >= 500,
        )

    async def create_contact(
        self, *, inbox_id: int, name: str, phone_number: str, identifier: str
    ) -> dict[str, Any]:
        """The new contact (`payload.contact` in recent versions, `payload` in older ones)."""
        body = {
            "inbox_id": inbox_id,
            "name": name,
            "phone_number": phone_number,
            "identifier": identifier,
        }
        answer = await self._call("POST", "/contacts", json=body)
        payload = answer.get("payload", answer)
        contact = payload.get("contact", payload) if isinstance(payload, dict) else {}
        return contact if isinstance(contact, dict) else {}

    async def search_contacts(self, query: str) -> list[dict[str, Any]]:
        answer = await self._call("GET", "/contacts/search", params={"q": query})
        found = answer.get("payload", [])
        return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []

    async def create_contact_inbox(
        self, contact_id: int, *, inbox_id: int, source_id: str
    ) -> dict[str, Any]:
        body = {"inbox_id": inbox_id, "source_id": source_id}
        return await self._call("POST", f"/contacts/{contact_id}/contact_inboxes", json=body)

    async def create_conversation(self, *, inbox_id: int, contact_id: int, source_id: str) -> int:
        """A new open conversation; its (display) id."""
        body = {
            "inbox_id": inbox_id,
            "contact_id": contact_id,
            "source_id": source_id,
            "status": "open",
        }
        answer = await self._call("POST", "/conversations", json=body)
        return int(answer["id"])

    async def post_message(
        self,
        conversation_id: int,
        content: str,
        *,
        message_type: str = "incoming",
        private: bool = False,
        source_id: str | None = None,
    ) -> int | None:
        body: dict[str, Any] = {
            "content": content,
            "message_type": message_type,
            "private": private,
        }
        if source_id:
            body["source_id"] = source_id
        answer = await self._call("POST", f"/conversations/{conversation_id}/messages", json=body)
        return int(answer["id"]) if "id" in answer else None

    async def toggle_status(self, conversation_id: int, status: str) -> None:
        await self._call(
            "POST", f"/conversations/{conversation_id}/toggle_status", json={"status": status}
        )

    async def set_status(
        self, conversation_id: int, message_id: int, status: str, *, error: str | None = None
    ) -> None:
        """A message's delivery status (`sent`, `delivered`, `read`, `failed`; API inboxes)."""
        body: dict[str, Any] = {"status": status}
        if error:
            body["external_error"] = error[:255]
        await self._call(
            "PATCH", f"/conversations/{conversation_id}/messages/{message_id}", json=body
        )

    async def mark_failed(self, conversation_id: int, message_id: int, reason: str) -> None:
        """Show on the agent's message that it did not reach the customer."""
        await self.set_status(conversation_id, message_id, "failed", error=reason)
