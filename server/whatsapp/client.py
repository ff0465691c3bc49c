"""An async client for the WhatsApp Cloud API's `/messages` endpoint.

    async with WhatsAppClient.from_settings(settings) as client:
        sent = await client.send("100200300400500", "5511987654321", TextMessage(body="Hi"))
        sent.wamid  # "wamid.HBgL..."

Every message is checked against WhatsApp's limits before the request (a
:class:`~server.whatsapp.errors.MessageLimitError` names the field), and every failure is
raised as a :class:`~server.whatsapp.errors.SendError` chosen by Meta's error code. Tests
fake the network at the transport seam (`respx`, or `transport=`).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from graph.messages import TextMessage
from server.logging import get_logger
from server.settings import Settings
from server.whatsapp.errors import PermanentSendError, error_from_response, error_from_transport
from server.whatsapp.payloads import Sendable, message_body, read_body
from server.whatsapp.splitting import split_text

log = get_logger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@dataclass(frozen=True, slots=True)
class SentMessage:
    """Meta accepted the message (not yet delivered: statuses come by webhook)."""

    wamid: str
    message_status: str | None = None
    """Only for paced templates: `accepted` or `held_for_quality_assessment`."""


class WhatsAppClient:
    """Sends messages as one business account (one access token)."""

    def __init__(
        self,
        *,
        access_token: str,
        base_url: str = "https://graph.facebook.com",
        api_version: str = "v21.0",
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not access_token:
            raise ValueError("an access token is required to send (WHATSAPP_ACCESS_TOKEN)")
        self._http = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}/{api_version.strip('/')}",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=timeout,
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> WhatsAppClient:
        token = settings.whatsapp_access_token
        return cls(
            access_token=token.get_secret_value() if token else "",
            base_url=settings.whatsapp_api_base_url,
            api_version=settings.whatsapp_api_version,
            **kwargs,
        )

    async def __aenter__(self) -> WhatsAppClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _post(self, phone_number_id: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._http.post(f"/{phone_number_id}/messages", json=body)
        except httpx.TransportError as exc:
            raise error_from_transport(exc) from exc
        if not response.is_success:
            raise error_from_response(response)
        try:
            answer = response.json()
        except ValueError as exc:
            raise error_from_response(response) from exc
        return answer if isinstance(answer, dict) else {}

    async def send(
        self,
        phone_number_id: str,
        to: str,
        message: Sendable,
        *,
        reply_to: str | None = None,
        callback_data: str | None = None,
    ) -> SentMessage:
        """Send one message (a text must fit in one message: see :meth:`send_text`).

        `reply_to` quotes that wamid (a contextual reply); `callback_data` is echoed back
        on this message's status webhooks.
        """
        body = message_body(to, message, context_wamid=reply_to, callback_data=callback_data)
        answer = await self._post(phone_number_id, body)
        messages = answer.get("messages")
        first = messages[0] if isinstance(messages, list) and messages else None
        if not isinstance(first, dict) or not isinstance(first.get("id"), str):
            # Not retried: the message may have been accepted, and a retry could duplicate it.
            # Only the keys: the answer's `contacts` hold the user's number (logged, stored).
            keys = ", ".join(sorted(str(key) for key in answer))
            raise PermanentSendError(f"the Graph API answered without a wamid (keys: {keys})")
        status = first.get("message_status")
        log.info("whatsapp.sent", phone_number_id=phone_number_id, to=to, wamid=first["id"])
        return SentMessage(
            wamid=first["id"], message_status=status if isinstance(status, str) else None
        )

    async def send_text(
        self, phone_number_id: str, to: str, body: str, *, reply_to: str | None = None
    ) -> list[SentMessage]:
        """Send `body`, split into several messages when it is longer than 4096 characters.

        Parts are sent one after the other (WhatsApp does not guarantee the order of
        concurrent sends); only the first quotes `reply_to`.
        """
        sent = []
        for index, part in enumerate(split_text(body)):
            quote = reply_to if index == 0 else None
            sent.append(
                await self.send(phone_number_id, to, TextMessage(body=part), reply_to=quote)
            )
        return sent

    async def mark_read(self, phone_number_id: str, wamid: str, *, typing: bool = True) -> None:
        """Mark the user's message as read and, with `typing`, show "typing…" until the reply."""
        await self._post(phone_number_id, read_body(wamid, typing=typing))
