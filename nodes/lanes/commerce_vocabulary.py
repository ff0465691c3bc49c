"""The commerce lane's words: the phrases (folded, whole words) that name each of its intents.

Read once per message by the understanding step (`nodes.router.intents`), in this order
(the first intent whose phrases occur wins). What is done to the cart is checked before
the cart itself: "add 2 french presses to my cart" is an add, "remove the mug from my
cart" a removal, and only a message that does nothing but name the cart views it. A
product named in the message makes it a `product_question` when none of these matched.
"""

from __future__ import annotations

from itertools import product

from nodes.registry import Phrasebook, Vocabulary


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

_VIEW_CART = (
    *_phrases("see,show,view,check,show me,let me see,look at,open", ",my,the", _CARTS),
    *_phrases("ver,mostrar,muestrame,mira,revisar,ensename", ",mi,el", _CARTS),
    *_phrases("ver,mostrar,mostra,mostre,me mostra,olhar,abrir,conferir", ",meu,o", _CARTS),
    "what s in my cart", "whats in my cart", "what is in my cart", "how much is my cart",
    "que hay en mi carrito", "que tengo en el carrito", "que tengo en mi carrito",
    "cuanto es mi carrito", "o que tem no meu carrinho", "o que tem no carrinho",
    "quanto esta meu carrinho", "quanto ta meu carrinho",
)  # fmt: skip
"""Asking to see the cart with a verb: checked before the add verbs ("I want to see my cart")."""

_CHANGE_ORDER = (
    *_phrases("change,update,edit,fix", "my,the,my delivery,the delivery,my shipping,the shipping",
              "address"),
    *_phrases("cambiar,cambia,cambio,modificar,actualizar,corregir", "mi,la,la de",
              "direccion,direccion de envio,direccion de entrega,domicilio"),
    *_phrases("mudar,muda,mude,alterar,altera,altere,trocar,troca,corrigir,atualizar",
              "meu,o,o meu", "endereco,endereco de entrega"),
    "wrong address", "direccion equivocada", "direccion incorrecta", "endereco errado",
)  # fmt: skip
"""Changing where an order goes: not a cart quantity ("change the mug to 3")."""

CATALOG_ASKS = (
    "what do you sell", "what do you guys sell", "what are you selling",
    "what products do you have", "what can i buy", "what can i order", "what have you got",
    "que venden", "que vende", "que productos tienen", "que productos venden", "que puedo comprar",
    "que tienen para vender", "o que voces vendem", "o que vcs vendem", "o que vende",
    "o que vendem", "quais produtos", "que produtos voces tem", "o que posso comprar",
    "o que tem pra vender", "o que voces tem pra vender",
)  # fmt: skip
"""Asking what the shop sells: the catalog, wherever the message was heading (`keywords`)."""

VOCABULARY: Phrasebook = (
    ("cancel_order", ("cancel", "cancelar", "cancela")),
    ("order_status", (
        "my order", "order status", "where is my order", "track", "tracking", "mi pedido",
        "rastrear", "meu pedido", "minha encomenda", "rastreio",
    )),
    ("empty_cart", _EMPTY_CART),
    ("remove_from_cart", (
        "remove", "take out", "take off", "delete", "drop the", "get rid of",
        "quita", "quitar", "quitame", "quitale", "saca", "sacar", "sacame", "elimina", "eliminar",
        "borra", "borrar",
        "tira", "tirar", "tire", "remover", "remova", "exclui", "excluir", "apaga", "apagar",
    )),
    ("checkout", (
        "pay", "checkout", "check out", "pagar", "pago", "pagamento", "finalizar", "comprar ya",
    )),
    ("change_order", _CHANGE_ORDER),
    ("change_quantity", (
        "make it", "make that", "make them", "change the quantity", "change quantity", "change",
        "instead", "quantity", "cambia", "cambiar", "cambiame", "cantidad", "en vez de",
        "en lugar de", "muda", "mudar", "mude", "altera", "alterar", "altere", "quantidade",
        "em vez de", "ao inves de", "no lugar de",
    )),
    ("view_cart", _VIEW_CART),
    ("browse_catalog", CATALOG_ASKS),
    ("add_to_cart", (
        "add", "want", "take", "ill take", "buy", "put", "quiero", "agrega", "agregar", "agregame",
        "anade", "anadir", "anademe", "dame", "me da", "ponme", "llevo", "comprar", "quero",
        "adiciona", "adicionar", "adicione", "coloca", "coloque", "bota", "compro", "me ve",
    )),
    ("view_cart", ("cart", "basket", "carrito", "carrinho", "cesta")),
    ("browse_catalog", (
        "catalog", "catalogue", "products", "menu", "catalogo", "productos", "produtos",
        "options", "opciones", "opcoes",
    )),
)  # fmt: skip
"""The commerce lane's phrases, in checking order (an intent may come twice)."""

CLAIMS: Vocabulary = {
    "browse_catalog": (
        *CATALOG_ASKS, "what do you have", "show me what you have", "que tienen", "que tienes",
        "o que tem", "o que voces tem", "o que vcs tem", "o que tem ai",
    ),
    "view_cart": (
        "my cart", "cart", "the cart", "mi carrito", "carrito", "el carrito", "meu carrinho",
        "carrinho", "o carrinho", *_VIEW_CART,
    ),
}  # fmt: skip
"""Whole messages that mean a commerce intent whatever the classifier reads into them."""
