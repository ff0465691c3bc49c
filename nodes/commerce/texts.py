# ruff: noqa: E501  (a table of sentences reads better unwrapped)
"""Every sentence commerce says (the lane and the order notifications), in EN, ES and PT.

`say("key", language, **values)`; a missing language falls back to English. Button titles
stay within WhatsApp's 20 characters (checked by a test).
"""

from __future__ import annotations

from graph.session.contract import Language
from nodes.commerce.checkout_texts import CHECKOUT_TEXTS

TEXTS: dict[str, dict[Language, str]] = {
    # Order status notifications (sent by the server when an order moves).
    "status.paid": {
        "en": "Payment received: thank you! Order {number} is being prepared.",
        "es": "Recibimos tu pago, ¡gracias! El pedido {number} se está preparando.",
        "pt": "Pagamento recebido, obrigado! O pedido {number} está sendo preparado.",
    },
    "status.preparing": {
        "en": "Order {number} is being prepared.",
        "es": "El pedido {number} se está preparando.",
        "pt": "O pedido {number} está sendo preparado.",
    },
    "status.shipped": {
        "en": "Order {number} is on its way!",
        "es": "¡El pedido {number} va en camino!",
        "pt": "O pedido {number} saiu para entrega!",
    },
    "status.ready_for_pickup": {
        "en": "Order {number} is ready for pickup at {location}.",
        "es": "El pedido {number} está listo para retirar en {location}.",
        "pt": "O pedido {number} está pronto para retirada em {location}.",
    },
    "status.delivered": {
        "en": "Order {number} was delivered. Enjoy it, and thank you for shopping with us!",
        "es": "El pedido {number} fue entregado. ¡Que lo disfrutes y gracias por tu compra!",
        "pt": "O pedido {number} foi entregue. Aproveite, e obrigado pela compra!",
    },
    "status.cancelled": {
        "en": "Order {number} was cancelled.",
        "es": "El pedido {number} fue cancelado.",
        "pt": "O pedido {number} foi cancelado.",
    },
    "status.reason": {"en": "Reason: {reason}", "es": "Motivo: {reason}", "pt": "Motivo: {reason}"},
    "status.refund": {
        "en": "You had already paid: we will refund {total}.",
        "es": "Ya habías pagado: te devolveremos {total}.",
        "pt": "Você já tinha pago: vamos devolver {total}.",
    },
    "status.tracking": {
        "en": "Tracking: {tracking}",
        "es": "Seguimiento: {tracking}",
        "pt": "Rastreio: {tracking}",
    },
    "payment.failed": {
        "en": 'The payment for order {number} did not go through. Write "pay" to get a new link or choose another way to pay.',
        "es": 'El pago del pedido {number} no se completó. Escribe "pagar" para recibir un nuevo enlace o elegir otra forma de pago.',
        "pt": 'O pagamento do pedido {number} não foi concluído. Escreva "pagar" para receber um novo link ou escolher outra forma de pagamento.',
    },
    # Status names, for order lookups and templates ({{2}}).
    "name.pending_payment": {
        "en": "waiting for payment",
        "es": "esperando el pago",
        "pt": "aguardando pagamento",
    },
    "name.paid": {"en": "paid", "es": "pagado", "pt": "pago"},
    "name.preparing": {"en": "being prepared", "es": "en preparación", "pt": "em preparação"},
    "name.ready_for_pickup": {
        "en": "ready for pickup",
        "es": "listo para retirar",
        "pt": "pronto para retirada",
    },
    "name.shipped": {"en": "on its way", "es": "en camino", "pt": "a caminho"},
    "name.delivered": {"en": "delivered", "es": "entregado", "pt": "entregue"},
    "name.cancelled": {"en": "cancelled", "es": "cancelado", "pt": "cancelado"},
}


TEXTS.update(CHECKOUT_TEXTS)


def say(key: str, language: str, **values: object) -> str:
    """The sentence `key` in `language` (English when missing), formatted with `values`."""
    variants = TEXTS[key]
    template = variants.get(language) or variants["en"]  # type: ignore[call-overload]
    return template.format(**values) if values else template
