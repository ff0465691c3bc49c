"""The support lane's words: the phrases (folded, whole words) that name each of its intents.

Read once per message by the understanding step (`nodes.router.intents`), in this order
(the first intent whose phrases occur wins).
"""

from __future__ import annotations

from nodes.registry import Vocabulary

VOCABULARY: Vocabulary = {
    "human_request": (
        "human", "agent", "person", "real person", "someone", "representative", "persona",
        "humano", "agente", "asesor", "pessoa", "atendente", "humana", "alguien", "alguem",
    ),
    "problem_account": (
        "login", "log in", "password", "account", "cuenta", "contrasena", "senha", "conta",
    ),
    "problem_charged_wrongly": (
        "charged", "charge", "twice", "cobro", "cobrado", "cobraron", "cobraram", "pago duplicado",
    ),
    "refund": ("refund", "money back", "reembolso", "devolucion", "estorno", "dinheiro de volta"),
    "problem_damaged": (
        "broken", "damaged", "roto", "rota", "quebrado", "quebrada", "danado", "danificado",
    ),
    "problem_wrong_item": ("wrong", "equivocado", "errado", "incorrecto", "incorreto"),
    "problem_late": (
        "arrive", "arrived", "late", "never", "package", "delivery", "llego", "llegado",
        "paquete", "chegou", "pacote", "entrega", "atrasado", "atrasada",
    ),
    "problem_other": (
        "problem", "issue", "complaint", "problema", "queja", "reclamo", "reclamacao",
        "no llego", "nao chegou",
    ),
}  # fmt: skip
