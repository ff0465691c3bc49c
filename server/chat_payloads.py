"""Meta-shaped webhook bodies for `convo chat`: what WhatsApp would POST for a user.

The chat speaks to the real webhook, so these bodies follow the Cloud API's shapes
(see tests/data/webhooks) and are signed with the app secret like Meta signs them:
compact JSON with non-ASCII escaped, HMAC-SHA256 over those exact bytes.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from server.whatsapp.signature import SIGNATURE_HEADER, sign

DEMO_PHONE_NUMBER_ID = "100200300400500"
DEMO_DISPLAY_PHONE_NUMBER = "15550001234"
DEFAULT_WA_ID = "15550009999"


@dataclass(frozen=True)
class ChatUser:
    wa_id: str = DEFAULT_WA_ID
    name: str = "Chat Tester"
    phone_number_id: str = DEMO_PHONE_NUMBER_ID
    display_phone_number: str = DEMO_DISPLAY_PHONE_NUMBER


def new_wamid() -> str:
    return f"wamid.chat.{uuid.uuid4().hex}"


def _envelope(user: ChatUser, message: dict[str, Any]) -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": user.display_phone_number,
            "phone_number_id": user.phone_number_id,
        },
        "contacts": [{"profile": {"name": user.name}, "wa_id": user.wa_id}],
        "messages": [message],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "0", "changes": [{"field": "messages", "value": value}]}],
    }


def _message(user: ChatUser, wamid: str, message_type: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "from": user.wa_id,
        "id": wamid,
        "timestamp": str(int(time.time())),
        "type": message_type,
        message_type: body,
    }


def text_payload(user: ChatUser, wamid: str, text: str) -> dict[str, Any]:
    return _envelope(user, _message(user, wamid, "text", {"body": text}))


def location_payload(
    user: ChatUser, wamid: str, latitude: float, longitude: float, name: str | None = None
) -> dict[str, Any]:
    """A shared location (the pin a customer sends from WhatsApp's attach menu)."""
    body: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    if name:
        body["name"] = name
    return _envelope(user, _message(user, wamid, "location", body))


def reply_payload(
    user: ChatUser, wamid: str, *, kind: str, choice_id: str, title: str, replying_to: str
) -> dict[str, Any]:
    """A tap on a reply button (`kind="button"`) or a list row (`kind="list"`)."""
    sub_type = "button_reply" if kind == "button" else "list_reply"
    message = _message(
        user, wamid, "interactive", {"type": sub_type, sub_type: {"id": choice_id, "title": title}}
    )
    message["context"] = {"from": user.display_phone_number, "id": replying_to}
    return _envelope(user, message)


def signed_request(payload: dict[str, Any], app_secret: str) -> tuple[bytes, dict[str, str]]:
    """The body bytes as Meta sends them, and the headers with their signature."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return body, {SIGNATURE_HEADER: sign(body, app_secret), "Content-Type": "application/json"}
