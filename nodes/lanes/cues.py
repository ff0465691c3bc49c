"""Keyword cues the lanes use to understand a message (all folded, whole words)."""

from __future__ import annotations

from typing import Literal

from nodes.tenants import Catalog, TenantProfile
from nodes.tenants.profile import Faq
from nodes.text import has_phrase, tokens

InfoTopic = Literal["open_now", "hours", "location", "faq", "greeting", "thanks"]

OPEN_NOW = (
    "open now", "are you open", "r u open", "you open", "still open", "open right now",
    "open today", "abierto", "abiertos", "abierta", "abren hoy", "aberto", "abertos",
    "aberta", "abrem hoje", "ta aberto", "esta aberto",
)  # fmt: skip
DAY_WORDS = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "weekend",
    "tomorrow", "lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo",
    "manana", "segunda", "terca", "quarta", "quinta", "sexta", "amanha", "feriado", "holiday",
)  # fmt: skip
HOURS = (
    "hours", "hour", "what time", "when do you open", "when do you close", "close", "closing",
    "opening", "schedule", "horario", "horarios", "hora", "horas", "cierran", "abren",
    "fecham", "abrem", "cierra", "abre",
)  # fmt: skip
LOCATION = (
    "where", "address", "location", "located", "locations", "directions", "donde", "direccion",
    "ubicacion", "ubicados", "ubicadas", "sucursal", "sucursales", "locales", "onde",
    "endereco", "localizacao", "lojas", "fica", "ficam", "quedan", "queda",
)  # fmt: skip
GREETING = (
    "hi", "hello", "hey", "good morning", "good afternoon", "good evening", "hola", "buenas",
    "buenos dias", "buenas tardes", "buenas noches", "oi", "ola", "bom dia", "boa tarde",
    "boa noite", "e ai", "opa",
)  # fmt: skip
THANKS = ("thanks", "thank you", "thx", "ty", "gracias", "obrigado", "obrigada", "valeu")
SHOPPING = (
    "buy", "purchase", "price", "prices", "cost", "how much", "stock", "available", "cart",
    "catalog", "catalogue", "products", "menu", "sell", "comprar", "compra", "precio",
    "precios", "cuesta", "cuanto", "carrito", "catalogo", "productos", "venden", "disponible",
    "hay", "preco", "precos", "custa", "quanto", "carrinho", "produtos", "vendem",
    "disponivel", "estoque", "tem", "want", "quiero", "quero", "add", "agrega", "agregar",
    "adiciona", "adicionar", "order", "pedir", "pedido", "encomendar",
)  # fmt: skip
PROBLEM = (
    "problem", "issue", "broken", "damaged", "refund", "never arrived", "late", "wrong",
    "complaint", "charged", "human", "agent", "person", "someone", "problema", "roto", "rota",
    "reembolso", "queja", "reclamo", "persona", "humano", "cobraron", "no llego", "quebrado",
    "quebrada", "pessoa", "atendente", "reclamacao", "cobrado", "cobraram", "nao chegou",
    "estorno", "danado", "danificado", "errado", "equivocado",
)  # fmt: skip
HUMAN = (
    "human", "agent", "person", "real person", "someone", "representative", "persona",
    "humano", "agente", "asesor", "pessoa", "atendente", "humana", "alguien", "alguem",
)  # fmt: skip
YES = ("yes", "yep", "yeah", "sure", "ok", "okay", "please", "si", "claro", "dale", "vale",
       "sim", "pode ser", "pode", "quero", "quiero", "bueno", "isso")  # fmt: skip
NO = ("no", "nope", "nah", "no thanks", "no gracias", "nao", "nao obrigado")


def info_topic(text: str) -> InfoTopic | None:
    """What an info question is about, or None when it is not one of ours."""
    if has_phrase(text, OPEN_NOW) and not has_phrase(text, DAY_WORDS):
        return "open_now"
    if has_phrase(text, HOURS) or (has_phrase(text, OPEN_NOW) and has_phrase(text, DAY_WORDS)):
        return "hours"
    if has_phrase(text, LOCATION):
        return "location"
    return None


def best_faq(text: str, profile: TenantProfile) -> Faq | None:
    """The FAQ sharing the most keywords with `text` (at least one)."""
    words = set(tokens(text))
    scored = [
        (len(words & {w for k in faq.keywords for w in tokens(k)}), faq) for faq in profile.faqs
    ]
    score, faq = max(scored, key=lambda item: item[0], default=(0, None))
    return faq if score > 0 else None


def small_talk(text: str) -> InfoTopic | None:
    if has_phrase(text, THANKS):
        return "thanks"
    if has_phrase(text, GREETING):
        return "greeting"
    return None


def acknowledgement_key(text: str) -> str:
    """The sentence for a bare acknowledgement: "thx" -> "thanks", a plain "no" -> "declined"."""
    return "declined" if has_phrase(text, NO) and not has_phrase(text, THANKS) else "thanks"


def wants_shopping(text: str, catalog: Catalog) -> bool:
    return has_phrase(text, SHOPPING) or bool(catalog.search(text))


def has_problem(text: str) -> bool:
    return has_phrase(text, PROBLEM)
