"""Statuses, value-level errors, batches and shapes the parser has never seen."""

from __future__ import annotations

from typing import Any

import pytest
from webhook_support import load_payload

from server.whatsapp import parse_webhook


def test_sent_status_with_conversation_and_pricing() -> None:
    (status,) = parse_webhook(load_payload("status_sent")).statuses
    assert (status.id, status.status, status.recipient_id) == ("wamid.OUT1", "sent", "16505551234")
    assert status.conversation is not None and status.conversation.origin_type == "service"
    assert status.pricing is not None and status.pricing.pricing_model == "PMP"
    assert status.pricing.billable is False
    assert status.biz_opaque_callback_data == "turn-42"


@pytest.mark.parametrize("name", ["status_delivered", "status_read", "status_played"])
def test_progress_statuses(name: str) -> None:
    (status,) = parse_webhook(load_payload(name)).statuses
    assert status.status == name.removeprefix("status_") and not status.errors


def test_failed_status_carries_its_error() -> None:
    (status,) = parse_webhook(load_payload("status_failed")).statuses
    assert status.status == "failed"
    assert (status.errors[0].code, status.errors[0].title) == (131047, "Re-engagement message")
    assert status.errors[0].details and "24 hours" in status.errors[0].details


def test_value_level_error() -> None:
    batch = parse_webhook(load_payload("errors_value_level"))
    assert not batch.messages and not batch.statuses
    assert batch.errors[0].error.code == 130429
    assert batch.errors[0].metadata.phone_number_id == "106540352242922"


def test_other_fields_are_ignored_but_named() -> None:
    batch = parse_webhook(load_payload("field_account_update"))
    assert batch.ignored_fields == ("account_update",)
    assert not batch.messages


def test_batch_walks_every_entry_change_message_and_status() -> None:
    batch = parse_webhook(load_payload("batch_mixed"))
    assert [m.id for m in batch.messages] == ["wamid.B1", "wamid.B2", "wamid.B3"]
    assert [(s.id, s.status) for s in batch.statuses] == [
        ("wamid.OUTB1", "delivered"),
        ("wamid.OUTB1", "sent"),
        ("wamid.OUTB2", "read"),
    ]
    assert batch.ignored_fields == ("message_template_status_update",)
    by_id = {m.id: m for m in batch.messages}
    assert by_id["wamid.B2"].profile is not None and by_id["wamid.B2"].profile.name == "Pablo"
    assert by_id["wamid.B3"].metadata.phone_number_id == "100200300400500"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"entry": "nope"},
        {"entry": [None, 3, {"changes": [{"field": "messages", "value": None}]}]},
        {"entry": [{"changes": [{"field": "messages", "value": {"messages": [{}]}}]}]},
        {"entry": [{"changes": [{"field": "messages", "value": {"messages": [{"type": 5}]}}]}]},
        {"entry": [{"changes": [{"value": {"messages": [{"type": "text", "text": "x"}]}}]}]},
        {"entry": [{"changes": [{"field": "messages", "value": {"statuses": [{"x": 1}]}}]}]},
        {
            "entry": [
                {
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "metadata": [],
                                "contacts": "x",
                                "messages": [
                                    {"type": "image", "image": {"id": 7, "voice": "yes"}},
                                    {"type": "contacts", "contacts": {"not": "a list"}},
                                    {"type": "location", "location": {"latitude": "abc"}},
                                    {"type": "text", "text": {"body": None}, "timestamp": "x"},
                                    {"type": "poll", "poll": {"q": 1}},
                                ],
                            },
                        }
                    ]
                }
            ]
        },
    ],
)
def test_malformed_shapes_never_raise(body: dict[str, Any]) -> None:
    batch = parse_webhook(body)
    for message in batch.messages:
        assert message.id  # a stable id even when Meta sent none: stored once
        assert message.text is None or isinstance(message.text, str)


def test_message_without_id_gets_a_stable_fallback_id() -> None:
    body = {"entry": [{"changes": [{"field": "messages", "value": {"messages": [{"type": "x"}]}}]}]}
    first = parse_webhook(body).messages[0].id
    assert first == parse_webhook(body).messages[0].id
    assert first.startswith("missing-id.")
