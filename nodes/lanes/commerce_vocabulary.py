"""The commerce lane's words: the phrases (folded, whole words) that name each of its intents.

Read once per message by the understanding step (`nodes.router.intents`), in this order
(the first intent whose phrases occur wins). What is done to the cart is checked before
the cart itself: "add 2 french presses to my cart" is an add, "remove the mug from my
cart" a removal, and only a message that does nothing but name the cart views it. A
product named in the message makes it a `product_question` when none of these matched.
"""

from __future__ import annotations

from itertools import product

from nodes.registry import Vocabulary


def _phrases(verbs: str, middles: str, nouns: str) -> tuple[str, ...]:
    """Every "verb [middle] noun" phrase ("empty my cart", "vaciar el carrito")."""
    return tuple(
        " ".join(part for part in (verb, middle, noun) if part)
        for verb, middle, noun in product(verbs.split(","), middles.split(","), nouns.split(","))
    )


_CARTS = "cart,basket,carrito,carrinho,cesta"
_EMPTY_CART = (
    *_phrases("empty,clear,reset,empty out,clean", ",my,the,out my,out the", _CARTS),
    *_phrases("vaciar,vacia,vaciame,limpiar,limpia,borra,borrar", ",el,mi", _CARTS),
    *_phrases("esvaziar,esvazia,esvazie,limpar,limpa,limpe,zerar,zera", ",o,meu", _CARTS),
    "remove everything", "delete everything", "remove all", "quita todo", "quitar todo",
    "saca todo", "borra todo", "borrar todo", "tira tudo", "tirar tudo", "remove tudo",
    "remover tudo", "apaga tudo",
)  # fmt: skip

VOCABULARY: Vocabulary = {
    "cancel_order": ("cancel", "cancelar", "cancela"),
    "order_status": (
        "my order", "order status", "where is my order", "track", "tracking", "mi pedido",
        "rastrear", "meu pedido", "minha encomenda", "rastreio",
    ),
    "empty_cart": _EMPTY_CART,
    "remove_from_cart": (
        "remove", "take out", "take off", "delete", "drop the", "get rid of",
        "quita", "quitar", "quitame", "quitale", "saca", "sacar", "sacame", "elimina", "eliminar",
        "borra", "borrar",
        "tira", "tirar", "tire", "remover", "remova", "exclui", "excluir", "apaga", "apagar",
    ),
    "checkout": (
        "pay", "checkout", "check out", "pagar", "pago", "pagamento", "finalizar", "comprar ya",
    ),
    "change_quantity": (
        "make it", "make that", "make them", "change the quantity", "change quantity", "change",
        "instead", "quantity", "cambia", "cambiar", "cambiame", "cantidad", "en vez de",
        "en lugar de", "muda", "mudar", "mude", "altera", "alterar", "altere", "quantidade",
        "em vez de", "ao inves de", "no lugar de",
    ),
    "add_to_cart": (
        "add", "want", "take", "ill take", "buy", "put", "quiero", "agrega", "agregar", "agregame",
        "anade", "anadir", "anademe", "dame", "me da", "ponme", "llevo", "comprar", "quero",
        "adiciona", "adicionar", "adicione", "coloca", "coloque", "bota", "compro", "me ve",
    ),
    "view_cart": ("cart", "basket", "carrito", "carrinho", "cesta"),
    "browse_catalog": (
        "catalog", "catalogue", "products", "menu", "what do you sell", "catalogo", "productos",
        "produtos", "que venden", "o que vendem", "options", "opciones", "opcoes",
    ),
}  # fmt: skip
