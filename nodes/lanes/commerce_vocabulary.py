"""The commerce lane's words: the phrases (folded, whole words) that name each of its intents.

Read once per message by the understanding step (`nodes.router.intents`), in this order
(the first intent whose phrases occur wins). A product named in the message makes it a
`product_question` when none of these matched.
"""

from __future__ import annotations

from nodes.registry import Vocabulary

VOCABULARY: Vocabulary = {
    "cancel_order": ("cancel", "cancelar", "cancela"),
    "order_status": (
        "my order", "order status", "where is my order", "track", "tracking", "mi pedido",
        "rastrear", "meu pedido", "minha encomenda", "rastreio",
    ),
    "checkout": (
        "pay", "checkout", "check out", "pagar", "pago", "pagamento", "finalizar", "comprar ya",
    ),
    "view_cart": ("cart", "basket", "carrito", "carrinho", "cesta"),
    "add_to_cart": (
        "add", "want", "take", "ill take", "buy", "quiero", "agrega", "agregar", "dame", "me da",
        "llevo", "comprar", "quero", "adiciona", "adicionar", "coloca", "compro",
    ),
    "browse_catalog": (
        "catalog", "catalogue", "products", "menu", "what do you sell", "catalogo", "productos",
        "produtos", "que venden", "o que vendem", "options", "opciones", "opcoes",
    ),
}  # fmt: skip
