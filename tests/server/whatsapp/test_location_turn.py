"""A shared location starts a turn (the checkout takes it as the delivery address)."""

from __future__ import annotations

from server.chat_payloads import ChatUser, location_payload
from server.jobs.orchestrate import build_turn
from server.whatsapp import parse_webhook

USER = ChatUser(wa_id="5511987650301", name="Ana")


def test_a_named_location_becomes_a_location_turn_with_its_coordinates() -> None:
    [message] = parse_webhook(location_payload(USER, "wamid.L1", -23.56, -46.66, "Home")).messages
    turn = build_turn(message)
    assert turn is not None
    assert (turn.message_type, turn.text) == ("location", "Home")
    assert (turn.latitude, turn.longitude) == (-23.56, -46.66)


def test_a_bare_pin_says_its_coordinates() -> None:
    [message] = parse_webhook(location_payload(USER, "wamid.L2", -23.5614, -46.6559)).messages
    turn = build_turn(message)
    assert turn is not None and turn.text == "📍 -23.561400, -46.655900"


def test_a_location_without_coordinates_starts_no_turn() -> None:
    payload = location_payload(USER, "wamid.L3", 0, 0)
    message_body = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message_body["location"] = {}
    [message] = parse_webhook(payload).messages
    assert build_turn(message) is None
