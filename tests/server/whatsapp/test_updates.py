"""Every named webhook payload parses into the typed update a handler needs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from webhook_support import WEBHOOKS_DIR, load_payload

from server.whatsapp import (
    ButtonReply,
    Contacts,
    FlowReply,
    ListReply,
    Location,
    Media,
    Message,
    Order,
    Reaction,
    System,
    TemplateButton,
    Text,
    UnknownInteractive,
    Unsupported,
    parse_webhook,
)


def only_message(name: str) -> Message:
    batch = parse_webhook(load_payload(name))
    assert len(batch.messages) == 1, name
    return batch.messages[0]


def test_text_message_has_sender_metadata_and_timestamp() -> None:
    message = only_message("text")
    assert message.id == "wamid.TEXT1"
    assert message.from_ == "16505551234"
    assert message.metadata.phone_number_id == "106540352242922"
    assert message.metadata.display_phone_number == "15550783881"
    assert message.profile is not None and message.profile.name == "Sheena Nelson"
    assert message.timestamp == datetime.fromtimestamp(1749416383, UTC)
    assert message.content == Text(body="Does it come in another color?")
    assert message.text == "Does it come in another color?"
    assert message.starts_turn and message.context is None and message.referral is None


def test_context_reply_forwarded_and_product() -> None:
    reply = only_message("text_reply").context
    assert reply is not None and reply.message_id == "wamid.BUSINESS_MSG_1"
    assert reply.from_ == "15550783881"
    forwarded = only_message("text_forwarded").context
    assert forwarded is not None and forwarded.forwarded and not forwarded.frequently_forwarded
    frequently = only_message("text_frequently_forwarded").context
    assert frequently is not None and frequently.frequently_forwarded
    product = only_message("text_referred_product").context
    assert product is not None and product.referred_product is not None
    assert product.referred_product.product_retailer_id == "di9ozbzfi4"


def test_referral_from_click_to_whatsapp_ad() -> None:
    referral = only_message("text_referral").referral
    assert referral is not None
    assert (referral.source_type, referral.headline, referral.media_type) == (
        "ad",
        "Summer sale",
        "image",
    )
    assert referral.ctwa_clid and referral.ctwa_clid.startswith("Aff-")


def test_button_and_list_replies_expose_title_as_text_and_id_as_choice() -> None:
    button = only_message("interactive_button_reply")
    assert button.content == ButtonReply(id="hours", title="Opening hours")
    assert (button.text, button.choice_id, button.starts_turn) == ("Opening hours", "hours", True)
    row = only_message("interactive_list_reply")
    assert row.content == ListReply(
        id="order_status", title="Order status", description="Where is my order?"
    )
    assert (row.text, row.choice_id) == ("Order status", "order_status")


def test_flow_reply_and_unknown_interactive_subtype_are_kept_not_orchestrated() -> None:
    flow = only_message("interactive_nfm_reply")
    assert isinstance(flow.content, FlowReply) and flow.content.response_json
    assert not flow.starts_turn
    unknown = only_message("interactive_unknown_subtype")
    assert unknown.content == UnknownInteractive(type="call_permission_reply")
    assert not unknown.starts_turn


def test_interactive_without_its_object_is_partial_and_value_error_is_kept() -> None:
    batch = parse_webhook(load_payload("interactive_missing_object"))
    (message,) = batch.messages
    assert message.type == "interactive" and message.is_partial and message.content is None
    assert not message.starts_turn
    assert message.raw["id"] == "wamid.IMISS1"
    (error,) = batch.errors
    assert (error.error.code, error.error.details) == (131000, "Unsupported webhook payload")


def test_template_quick_reply_button() -> None:
    message = only_message("button")
    assert message.content == TemplateButton(text="Stop promotions", payload="STOP_PROMOS")
    assert (message.text, message.choice_id, message.starts_turn) == (
        "Stop promotions",
        "STOP_PROMOS",
        True,
    )


@pytest.mark.parametrize(
    ("name", "kind", "check"),
    [
        ("image", "image", lambda m: m.caption == "the broken part" and m.url),
        ("audio", "audio", lambda m: m.voice and m.mime_type.startswith("audio/ogg")),
        ("video", "video", lambda m: m.caption == "unboxing"),
        ("document", "document", lambda m: m.filename == "invoice-123.pdf"),
        ("sticker", "sticker", lambda m: not m.animated and m.mime_type == "image/webp"),
    ],
)
def test_media_messages(name: str, kind: str, check: object) -> None:
    message = only_message(name)
    assert isinstance(message.content, Media)
    assert message.content.kind == kind and message.content.id
    assert callable(check) and check(message.content)
    assert not message.starts_turn


def test_locations_named_and_current() -> None:
    named = only_message("location").content
    assert isinstance(named, Location) and named.name == "Philz Coffee"
    assert named.latitude == pytest.approx(37.4832534)
    current = only_message("location_current").content
    assert current == Location(latitude=-12.046374, longitude=-77.042793)


def test_shared_contacts_keep_every_card() -> None:
    content = only_message("contacts").content
    assert isinstance(content, Contacts)
    assert [c.formatted_name for c in content.contacts] == ["Barbara J. Johnson", "Pablo Morales"]
    assert content.contacts[0].wa_ids == ("19405551234",)
    assert len(content.contacts[0].phones) == 2


def test_reaction_and_its_removal_in_both_shapes() -> None:
    added = only_message("reaction").content
    assert added == Reaction(message_id="wamid.BUSINESS_MSG_1", emoji="👍") and not added.removed
    for name in ("reaction_removed", "reaction_removed_legacy"):
        removed = only_message(name).content
        assert isinstance(removed, Reaction) and removed.removed, name


def test_order_items() -> None:
    order = only_message("order").content
    assert isinstance(order, Order) and order.catalog_id == "194836987003835"
    assert [(i.product_retailer_id, i.quantity, i.item_price) for i in order.items] == [
        ("di9ozbzfi4", 2, 30.5),
        ("nqryix03ez", 1, 12),
    ]


def test_system_messages_have_no_profile() -> None:
    changed = only_message("system_user_changed_number")
    assert changed.profile is None
    assert changed.content == System(
        type="user_changed_number",
        body="User A changed from 16505551234 to 16505559999",
        new_wa_id="16505559999",
    )
    identity = only_message("system_identity_changed").content
    assert isinstance(identity, System) and identity.type == "customer_identity_changed"


def test_unsupported_and_legacy_unknown() -> None:
    unsupported = only_message("unsupported")
    assert unsupported.content == Unsupported(unsupported_type="edit")
    assert unsupported.errors[0].code == 131051
    unknown = only_message("unknown_legacy")
    assert isinstance(unknown.content, Unsupported)
    assert unknown.errors[0].details == "Message type is not currently supported"


def test_unicode_text_is_kept_verbatim() -> None:
    assert only_message("text_unicode").text == (
        "J'ai mangé des pâtes 🍝 ¿Están abiertos hoy? Olá, ação!"
    )


def test_every_fixture_parses_and_envelope_round_trips() -> None:
    names = sorted(path.stem for path in WEBHOOKS_DIR.glob("*.json"))
    assert len(names) >= 30
    for name in names:
        for message in parse_webhook(load_payload(name)).messages:
            assert Message.from_envelope(message.envelope()) == message, name
