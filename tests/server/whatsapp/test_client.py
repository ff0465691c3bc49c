"""The Graph API client: request bodies, responses, and every error code's class."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from graph.messages import Button, ButtonsMessage, ListMessage, ListRow, ListSection, TextMessage
from server.whatsapp import errors
from server.whatsapp.client import WhatsAppClient
from server.whatsapp.templates import TemplateComponent, TemplateMessage, TemplateParameter

BASE = "https://graph.test"
PHONE_ID = "100200300400500"
URL = f"{BASE}/v21.0/{PHONE_ID}/messages"
USER = "5511987654321"


def ok(wamid: str = "wamid.OUT1") -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "messaging_product": "whatsapp",
            "contacts": [{"input": f"+{USER}", "wa_id": USER}],
            "messages": [{"id": wamid}],
        },
    )


def meta_error(code: int, http_status: int = 400, message: str = "boom") -> httpx.Response:
    body = {
        "error": {
            "message": f"({code}) {message}",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": f"details of {code}"},
            "fbtrace_id": "Axyz",
        }
    }
    return httpx.Response(http_status, json=body)


@pytest.fixture
def client() -> WhatsAppClient:
    return WhatsAppClient(access_token="token-123", base_url=BASE, api_version="v21.0")


def sent_body(route: respx.Route, index: int = -1) -> dict:  # type: ignore[type-arg]
    return json.loads(route.calls[index].request.content)  # type: ignore[no-any-return]


@respx.mock
async def test_text_reply_quotes_the_user_message_and_returns_the_wamid(client) -> None:  # type: ignore[no-untyped-def]
    route = respx.post(URL).mock(return_value=ok("wamid.A"))
    sent = await client.send(
        PHONE_ID, USER, TextMessage(body="Hello"), reply_to="wamid.IN1", callback_data="k:1"
    )
    assert sent.wamid == "wamid.A"
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer token-123"
    assert sent_body(route) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": f"+{USER}",
        "type": "text",
        "text": {"preview_url": False, "body": "Hello"},
        "context": {"message_id": "wamid.IN1"},
        "biz_opaque_callback_data": "k:1",
    }


@respx.mock
async def test_buttons_become_interactive_reply_buttons(client) -> None:  # type: ignore[no-untyped-def]
    route = respx.post(URL).mock(return_value=ok())
    message = ButtonsMessage(
        body="Track or cancel?",
        buttons=(Button(id="track", title="Track"), Button(id="cancel", title="Cancel")),
        header="Order 42",
        footer="Reply anytime",
    )
    await client.send(PHONE_ID, USER, message)
    assert sent_body(route)["interactive"] == {
        "type": "button",
        "header": {"type": "text", "text": "Order 42"},
        "body": {"text": "Track or cancel?"},
        "footer": {"text": "Reply anytime"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "track", "title": "Track"}},
                {"type": "reply", "reply": {"id": "cancel", "title": "Cancel"}},
            ]
        },
    }


@respx.mock
async def test_list_becomes_an_interactive_list(client) -> None:  # type: ignore[no-untyped-def]
    route = respx.post(URL).mock(return_value=ok())
    rows = (
        ListRow(id="s", title="Shipping", description="3-5 days"),
        ListRow(id="r", title="Returns"),
    )
    message = ListMessage(
        body="Pick one", button="Topics", sections=(ListSection(title="Help", rows=rows),)
    )
    await client.send(PHONE_ID, USER, message)
    body = sent_body(route)
    assert body["type"] == "interactive"
    assert body["interactive"] == {
        "type": "list",
        "body": {"text": "Pick one"},
        "action": {
            "button": "Topics",
            "sections": [
                {
                    "title": "Help",
                    "rows": [
                        {"id": "s", "title": "Shipping", "description": "3-5 days"},
                        {"id": "r", "title": "Returns"},
                    ],
                }
            ],
        },
    }


@respx.mock
async def test_template_with_parameters(client) -> None:  # type: ignore[no-untyped-def]
    route = respx.post(URL).mock(return_value=ok())
    template = TemplateMessage(
        name="order_update",
        language="pt_BR",
        components=(
            TemplateComponent(type="body", parameters=(TemplateParameter(text="Ana"),)),
            TemplateComponent(
                type="button",
                sub_type="quick_reply",
                index=0,
                parameters=(TemplateParameter(type="payload", payload="yes"),),
            ),
        ),
    )
    await client.send(PHONE_ID, USER, template)
    assert sent_body(route)["template"] == {
        "name": "order_update",
        "language": {"code": "pt_BR"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"}]},
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "0",
                "parameters": [{"type": "payload", "payload": "yes"}],
            },
        ],
    }


@respx.mock
async def test_mark_read_with_typing_indicator(client) -> None:  # type: ignore[no-untyped-def]
    route = respx.post(URL).mock(return_value=httpx.Response(200, json={"success": True}))
    await client.mark_read(PHONE_ID, "wamid.IN1")
    await client.mark_read(PHONE_ID, "wamid.IN2", typing=False)
    assert sent_body(route, 0) == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.IN1",
        "typing_indicator": {"type": "text"},
    }
    assert "typing_indicator" not in sent_body(route, 1)


@respx.mock
async def test_long_text_goes_out_as_several_messages_in_order(client) -> None:  # type: ignore[no-untyped-def]
    route = respx.post(URL).mock(side_effect=[ok("wamid.1"), ok("wamid.2"), ok("wamid.3")])
    paragraph = ("This sentence is part of a long answer. " * 60).strip()  # ~2400 chars
    body = "\n\n".join([paragraph, paragraph, paragraph])
    sent = await client.send_text(PHONE_ID, USER, body, reply_to="wamid.IN1")
    assert [s.wamid for s in sent] == ["wamid.1", "wamid.2", "wamid.3"]
    bodies = [sent_body(route, i) for i in range(3)]
    assert all(len(b["text"]["body"]) <= 4096 for b in bodies)
    assert [b["text"]["body"] for b in bodies] == [paragraph, paragraph, paragraph]
    assert bodies[0]["context"] == {"message_id": "wamid.IN1"}
    assert "context" not in bodies[1] and "context" not in bodies[2]


@respx.mock
async def test_limits_are_checked_before_any_request(client) -> None:  # type: ignore[no-untyped-def]
    route = respx.post(URL).mock(return_value=ok())
    too_long = ButtonsMessage(body="?", buttons=(Button(id="a", title="x" * 21),))
    with pytest.raises(errors.MessageLimitError, match=r"buttons\[0\]\.title is 21 characters"):
        await client.send(PHONE_ID, USER, too_long)
    assert not route.called


CODES = [
    (130429, 429, errors.ThroughputLimitError, True, False),
    (131056, 400, errors.PairRateLimitError, True, False),
    (131056, 429, errors.PairRateLimitError, True, False),
    (131000, 500, errors.ServerError, True, False),
    (131047, 400, errors.OutsideWindowError, False, False),
    (131026, 400, errors.UndeliverableError, False, False),
    (131051, 400, errors.UnsupportedMessageError, False, False),
    (100, 400, errors.InvalidRequestError, False, False),
    (190, 401, errors.AccessTokenError, False, True),
    (368, 403, errors.AccountRestrictedError, False, True),
    (131031, 403, errors.AccountRestrictedError, False, True),
    (132001, 400, errors.InvalidRequestError, False, False),  # template missing: unknown code, 4xx
    (999999, 503, errors.ServerError, True, False),  # unknown code, 5xx
]


@pytest.mark.parametrize(("code", "http_status", "kind", "transient", "alert"), CODES)
@respx.mock
async def test_errors_are_classified_by_code(  # type: ignore[no-untyped-def]
    client, code, http_status, kind, transient, alert
) -> None:
    respx.post(URL).mock(return_value=meta_error(code, http_status))
    with pytest.raises(errors.SendError) as caught:
        await client.send(PHONE_ID, USER, TextMessage(body="Hi"))
    error = caught.value
    assert type(error) is kind
    assert error.code == code
    assert error.transient is transient
    assert isinstance(error, errors.TransientSendError if transient else errors.PermanentSendError)
    assert error.alert is alert
    assert f"details of {code}" in str(error)


@respx.mock
async def test_5xx_without_a_json_body_is_transient(client) -> None:  # type: ignore[no-untyped-def]
    respx.post(URL).mock(return_value=httpx.Response(502, text="<html>Bad gateway</html>"))
    with pytest.raises(errors.ServerError) as caught:
        await client.send(PHONE_ID, USER, TextMessage(body="Hi"))
    assert caught.value.code is None and caught.value.transient


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.ConnectTimeout("x")]
)
@respx.mock
async def test_timeouts_and_connection_errors_are_transient(client, failure) -> None:  # type: ignore[no-untyped-def]
    respx.post(URL).mock(side_effect=failure)
    with pytest.raises(errors.SendTransportError) as caught:
        await client.send(PHONE_ID, USER, TextMessage(body="Hi"))
    assert caught.value.transient


@respx.mock
async def test_an_answer_without_wamid_is_permanent(client) -> None:  # type: ignore[no-untyped-def]
    answer = {"contacts": [{"input": f"+{USER}", "wa_id": USER}], "messages": []}
    respx.post(URL).mock(return_value=httpx.Response(200, json=answer))
    with pytest.raises(errors.PermanentSendError, match="without a wamid") as caught:
        await client.send(PHONE_ID, USER, TextMessage(body="Hi"))
    assert USER not in str(caught.value)  # the message is logged and stored: no number


def test_a_client_needs_a_token() -> None:
    with pytest.raises(ValueError, match="WHATSAPP_ACCESS_TOKEN"):
        WhatsAppClient(access_token="")
