"""WhatsApp Payments (Brazil) bodies: order_details and order_status, per the reference."""

from __future__ import annotations

import pytest

from graph.messages import OrderDetailsMessage, OrderItem, PixCode
from server.whatsapp.errors import MessageLimitError
from server.whatsapp.order_messages import OrderStatusMessage
from server.whatsapp.payloads import SENDABLE, message_body

PIX = PixCode(code="000201...6304ABCD", merchant_name="Padaria Sol", key="12345678000199",
              key_type="CNPJ")  # fmt: skip


def details(**changes: object) -> OrderDetailsMessage:
    values: dict[str, object] = {
        "body": "Pedido P-501: confira e pague aqui.",
        "reference_id": "padaria.P-501.1",
        "items": (OrderItem(retailer_id="PAO-QUEIJO", name="Pão de queijo", unit_minor=450,
                            quantity=3),
                  OrderItem(retailer_id="BOLO-FUBA", name="Bolo de fubá", unit_minor=2200,
                            quantity=1)),
        "shipping_minor": 500,
        "pix": PIX,
    }  # fmt: skip
    return OrderDetailsMessage(**(values | changes))  # type: ignore[arg-type]


def test_order_details_totals_add_up_in_centavos_with_offset_100() -> None:
    body = message_body("5511987650001", details())
    interactive = body["interactive"]
    assert (interactive["type"], interactive["action"]["name"]) == (
        "order_details",
        "review_and_pay",
    )
    parameters = interactive["action"]["parameters"]
    order = parameters["order"]
    assert parameters["reference_id"] == "padaria.P-501.1"
    assert (parameters["currency"], parameters["payment_type"]) == ("BRL", "br")
    assert order["status"] == "pending"
    assert order["subtotal"] == {"value": 3550, "offset": 100}  # 3 x 4.50 + 22.00
    assert order["tax"] == {"value": 0, "offset": 100}
    assert order["shipping"] == {"value": 500, "offset": 100}
    assert parameters["total_amount"] == {"value": 4050, "offset": 100}
    items_total = sum(i["amount"]["value"] * i["quantity"] for i in order["items"])
    assert items_total == order["subtotal"]["value"]
    assert parameters["payment_settings"] == [
        {"type": "pix_dynamic_code", "pix_dynamic_code": {
            "code": PIX.code, "merchant_name": "Padaria Sol", "key": "12345678000199",
            "key_type": "CNPJ"}}
    ]  # fmt: skip


def test_a_payment_link_order_and_the_stored_payload_round_trip() -> None:
    message = details(pix=None, payment_link="https://checkout.stripe.com/c/pay/cs_1")
    stored = SENDABLE.validate_python(message.model_dump(mode="json"))
    settings = message_body("+5511987650001", stored)["interactive"]["action"]["parameters"]
    assert settings["payment_settings"] == [
        {"type": "payment_link", "payment_link": {"uri": "https://checkout.stripe.com/c/pay/cs_1"}}
    ]


@pytest.mark.parametrize(
    "changes",
    [{"reference_id": "pedido 501"}, {"reference_id": "x" * 61}, {"items": ()},
     {"pix": None}, {"body": ""}],
)  # fmt: skip
def test_an_order_that_breaks_a_rule_is_refused_before_sending(changes: dict[str, object]) -> None:
    with pytest.raises(MessageLimitError):
        message_body("5511987650001", details(**changes))


def test_order_status_marks_the_payment_captured() -> None:
    message = OrderStatusMessage(body="Pagamento recebido", reference_id="padaria.P-501.1",
                                 status="processing", payment_status="captured",
                                 payment_timestamp=1722445231)  # fmt: skip
    interactive = message_body("5511987650001", message)["interactive"]
    assert interactive["type"] == "order_status"
    assert interactive["action"] == {
        "name": "review_order",
        "parameters": {"reference_id": "padaria.P-501.1", "order": {"status": "processing"},
                       "payment": {"status": "captured", "timestamp": 1722445231}},
    }  # fmt: skip
