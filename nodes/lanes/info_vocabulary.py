"""The info lane's words: the phrases (folded, whole words) that name each of its intents.

Read once per message by the understanding step (`nodes.router.intents`), in this order;
social intents (greeting, thanks, goodbye, small talk) only when nothing topical matched.
"""

from __future__ import annotations

from nodes.registry import Vocabulary

VOCABULARY: Vocabulary = {
    "hours_on_day": (
        "weekend", "weekends", "holiday", "holidays", "fin de semana", "feriado", "feriados",
        "festivo", "festivos", "fim de semana", "fins de semana",
    ),
    "open_now": (
        "open now", "are you open", "r u open", "you open", "still open", "open right now",
        "open today", "abierto", "abiertos", "abierta", "abren hoy", "aberto", "abertos",
        "aberta", "abrem hoje", "ta aberto", "esta aberto",
    ),
    "hours": (
        "hours", "hour", "what time", "when do you open", "when do you close", "close",
        "closing", "opening", "schedule", "horario", "horarios", "hora", "horas", "cierran",
        "abren", "fecham", "abrem", "cierra", "abre",
    ),
    "location": (
        "where", "address", "location", "located", "locations", "directions", "donde",
        "direccion", "ubicacion", "ubicados", "ubicadas", "sucursal", "sucursales", "locales",
        "onde", "endereco", "localizacao", "lojas", "fica", "ficam", "quedan", "queda",
    ),
    "thanks": ("thanks", "thank you", "thx", "ty", "gracias", "obrigado", "obrigada", "valeu"),
    "greeting": (
        "hi", "hello", "hey", "good morning", "good afternoon", "good evening", "hola",
        "buenas", "buenos dias", "buenas tardes", "buenas noches", "oi", "ola", "bom dia",
        "boa tarde", "boa noite", "e ai", "opa",
    ),
}  # fmt: skip
