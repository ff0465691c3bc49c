"""Translate transport-neutral messages into Graph API `/messages` request bodies.

`graph.messages` says *what* to answer (text, buttons, a list); this module says how
WhatsApp wants it written. Each builder validates the message first (`limits`), so a body
that leaves this module respects every documented limit.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from graph.messages import ButtonsMessage, ListMessage, OrderDetailsMessage, TextMessage
from server.whatsapp.limits import (
    CALLBACK_DATA_MAX,
    TEMPLATE_NAME_MAX,
    check_length,
    validate_buttons,
    validate_list,
    validate_text,
)
from server.whatsapp.order_messages import (
    OrderStatusMessage,
    order_details_body,
    order_status_body,
)
from server.whatsapp.templates import TemplateComponent, TemplateMessage

Sendable = (
    TextMessage
    | ButtonsMessage
    | ListMessage
    | TemplateMessage
    | OrderDetailsMessage
    | OrderStatusMessage
)
"""Everything the client can send as a message."""

SENDABLE: TypeAdapter[Sendable] = TypeAdapter(
    Annotated[Sendable, Field(discriminator="kind")]  # type: ignore[arg-type]
)
"""Reads an outbound row's `payload` (a `model_dump(mode="json")` of one of these)."""

JsonBody = dict[str, Any]


def _text_part(value: str | None) -> JsonBody | None:
    return {"text": value} if value else None


def text_body(message: TextMessage, *, preview_url: bool = False) -> JsonBody:
    validate_text(message)
    return {"type": "text", "text": {"preview_url": preview_url, "body": message.body}}


def buttons_body(message: ButtonsMessage) -> JsonBody:
    validate_buttons(message)
    interactive: JsonBody = {
        "type": "button",
        "body": {"text": message.body},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": button.id, "title": button.title}}
                for button in message.buttons
            ]
        },
    }
    if message.header:
        interactive["header"] = {"type": "text", "text": message.header}
    if footer := _text_part(message.footer):
        interactive["footer"] = footer
    return {"type": "interactive", "interactive": interactive}


def list_body(message: ListMessage) -> JsonBody:
    validate_list(message)
    sections = [
        {
            "title": section.title,
            "rows": [
                {"id": row.id, "title": row.title}
                | ({"description": row.description} if row.description else {})
                for row in section.rows
            ],
        }
        for section in message.sections
    ]
    interactive: JsonBody = {
        "type": "list",
        "body": {"text": message.body},
        "action": {"button": message.button, "sections": sections},
    }
    if message.header:
        interactive["header"] = {"type": "text", "text": message.header}
    if footer := _text_part(message.footer):
        interactive["footer"] = footer
    return {"type": "interactive", "interactive": interactive}


def _component(component: TemplateComponent) -> JsonBody:
    body: JsonBody = {
        "type": component.type,
        "parameters": [p.model_dump(exclude_none=True) for p in component.parameters],
    }
    if component.sub_type is not None:
        body["sub_type"] = component.sub_type
    if component.index is not None:
        body["index"] = str(component.index)
    return body


def template_body(message: TemplateMessage) -> JsonBody:
    check_length("template.name", message.name, TEMPLATE_NAME_MAX, required=True)
    check_length("template.language", message.language, 16, required=True)
    template: JsonBody = {"name": message.name, "language": {"code": message.language}}
    if message.components:
        template["components"] = [_component(c) for c in message.components]
    return {"type": "template", "template": template}


def message_body(
    to: str,
    message: Sendable,
    *,
    context_wamid: str | None = None,
    callback_data: str | None = None,
) -> JsonBody:
    """The full request body for sending `message` to `to` (a wa_id or E.164 number).

    `context_wamid` quotes the user's message (a contextual reply; ignored by WhatsApp for
    templates). `callback_data` comes back as `biz_opaque_callback_data` on status webhooks.
    """
    if isinstance(message, TextMessage):
        content = text_body(message)
    elif isinstance(message, ButtonsMessage):
        content = buttons_body(message)
    elif isinstance(message, ListMessage):
        content = list_body(message)
    elif isinstance(message, OrderDetailsMessage):
        content = order_details_body(message)
    elif isinstance(message, OrderStatusMessage):
        content = order_status_body(message)
    else:
        content = template_body(message)
    body: JsonBody = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to if to.startswith("+") else f"+{to}",
        **content,
    }
    if context_wamid:
        body["context"] = {"message_id": context_wamid}
    if callback_data:
        check_length("biz_opaque_callback_data", callback_data, CALLBACK_DATA_MAX)
        body["biz_opaque_callback_data"] = callback_data
    return body


def read_body(wamid: str, *, typing: bool) -> JsonBody:
    """Mark the user's message `wamid` as read; with `typing`, also show "typing…" (≤ 25 s)."""
    body: JsonBody = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
    if typing:
        body["typing_indicator"] = {"type": "text"}
    return body
