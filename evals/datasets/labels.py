# ruff: noqa: E501  (data: one rule per line reads better unwrapped)
"""The intent label of every dataset row: the raw files' fine-grained names -> the taxonomy.

The hand-written files (``raw_en/``, ``raw_es_pt/``) and the templates group rows under
fine-grained *source* names ("track_order", "opening_hours", "info_fragments"). This module
is the one place that turns a (source lane, source name, text) into the (lane, intent) of
``nodes/taxonomy.py`` that the datasets, the model and the evals use. Most source names map
one to one (`DIRECT`); mixed groups ("cart", "small_talk", "opening_hours", fragments) are
split by what the text says (`_RULES`, matched on lowercase text without accents). The lane
policy of ``evals/datasets/README.md`` is applied here too (promotions are commerce, a bare
"customer service" is a request for a person, a failing order change is a problem).

Dialogue acts (``affirm``, ``deny``, ``select``, ``provide_info``) have no lane of their own;
a single-turn row carries the lane that answers it when no conversation is going on: info
for yes/no/ok, commerce for a pick or an order number.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from nodes.taxonomy import DIALOGUE_ACTS, LANE_INTENTS, lane_of_intent

Rule = tuple[str, str, str]
"""(regex on the folded text, lane, intent): the first rule that matches labels the row."""

DIRECT: dict[str, str] = {
    # info
    "greeting": "greeting",
    "goodbye": "goodbye",
    "thanks": "thanks",
    "location": "location",
    "payment_methods": "faq_payment",
    "shipping_options": "faq_shipping",
    "delivery_period": "faq_shipping",
    "refund_policy": "faq_returns",
    "returns_policy": "faq_returns",
    "warranty_policy": "faq_returns",
    "contact_customer_service": "faq_contact",
    "contact_info": "faq_contact",
    "cancellation_fee": "faq_other",
    "cancellation_fee_policy": "faq_other",
    "newsletter": "faq_other",
    "newsletter_subscription": "faq_other",
    "banking_info": "faq_other",
    "travel_info": "faq_other",
    # commerce
    "browse_catalog": "browse_catalog",
    "product_question": "product_question",
    "product_details": "product_question",
    "product_price": "product_question",
    "price": "product_question",
    "stock": "product_question",
    "stock_availability": "product_question",
    "add_to_cart": "add_to_cart",
    "checkout": "checkout",
    "checkout_payment": "checkout",
    "track_order": "order_status",
    "invoice": "order_status",
    "cancel_order": "cancel_order",
    "change_shipping_address": "change_order",
    "shipping_address": "change_order",
    "banking_order": "commerce_other",
    "booking": "commerce_other",
    "subscription_plan": "commerce_other",
    "travel_booking": "commerce_other",
    "select_option": "select",
    # support
    "damaged_item": "problem_damaged",
    "damaged_order": "problem_damaged",
    "wrong_item": "problem_wrong_item",
    "wrong_order": "problem_wrong_item",
    "payment_issue": "problem_charged_wrongly",
    "login_problem": "problem_account",
    "registration_problem": "problem_account",
    "account": "problem_account",
    "account_management": "problem_account",
    "cancel_subscription": "problem_account",
    "request_refund": "refund",
    "track_refund": "refund",
    "return_item": "return_in_progress",
    "complaint": "complaint",
    "review": "complaint",
    "review_complaint": "complaint",
    "offensive_frustrated": "complaint",
    "human_agent": "human_request",
    "travel_problem": "problem_other",
    "warranty_claim": "problem_other",
}
"""Source names whose rows all mean one taxonomy intent (in the source lane)."""

# Pieces of the rules below (folded text: lowercase, no accents).
_PROMO = (
    r"promo|discount|coupon|cupon|cupom|descuento|desconto|rebajas|liquidac"
    r"|\b(on|the|next|a|any|big) sale\b|\bsales\b(?! tax)"
)
_NOT_PROMO_CONTEXT = r"retur|devol|devolv|troca|cambi|exchange|refund|reembols|email|correo|news"
_HUMAN = (
    r"atencion al cliente|servicio al cliente|atendimento|customer (service|care|support)"
    r"|\bagent|agente|atendente|humano|human|persona\b|pessoa|representa|alguien|alguem|someone"
)
_HOW_TO_REACH = (
    r"number|numero|phone|telefono|telefone|email|e-mail|correo|hours|horario|call|llamar|ligar"
    r"|contact|contato|contacto|whatsapp|where|donde|onde|address|direcc|endere"
)
_LOST = (
    r"\blost\b|never (arrived|came|got)|says delivered|marked (as )?delivered|shows delivered"
    r"|perdid|extravi|entregado pero|figura entregado|consta como entregue|entregue mas"
    r"|nunca (llego|chegou)|not received|no recibi|nao recebi|pacote nao recebido|sumiu|robad"
)
_DAY = (
    r"sunday|monday|tuesday|wednesday|thursday|friday|saturday|weekend|today|tonight|tomorrow"
    r"|holiday|christmas|easter|new year|domingo|lunes|martes|miercoles|jueves|viernes|sabado"
    r"|segunda|terca|quarta|quinta|sexta|finde|fin de semana|fim de semana|feriado|festivo"
    r"|hoy|manana|hoje|amanha|navidad|natal|carnaval|\b24\b|\b31\b|semana santa|pascua"
)
_NOW = (
    r"\bnow\b|right now|still open|open yet|ahora|ahorita|agora|todavia|ainda|ya abrieron"
    r"|ja abriram|estan abiertos\??$|estao abertos\??$|are you open\??$|abierto\??$|aberto\??$"
)
_BOT = r"\bbot\b|robot|\bai\b|\bia\b|machine|maquina|real person|human|humano|persona real|pessoa"
_CAPABILITY = (
    r"what can you|what do you do|que (puedes|podes|sabes) hacer|o que (voce|vc) (pode|faz|sabe)"
    r"|help me with|questions can you|how does this (chat|work)|como funciona (este|esse|o) chat"
    r"|^help\b|^ayuda\b|^ajuda\b|i have a question|tengo una (duda|pregunta)|tenho uma (duvida|pergunta)"
    r"|una duda|uma duvida|una pregunta|uma pergunta|quick question|need (some )?help|need info"
    r"|necesito (ayuda|informacion)|preciso de (ajuda|informac)|queria (uma )?informac"
)
_THANKS = r"thank|thx|\bty\b|gracias|obrigad|\bobg\b|valeu|\bvlw\b|cheers|agradec"
_BYE = (
    r"\bbye\b|goodbye|see you|see ya|good night|adios|chau|chao|hasta (luego|manana|pronto)"
    r"|tchau|ate (logo|mais|amanha)|boa noite|buenas noches|that'?s all|thats all|nada mas"
    r"|eso es todo|e so isso|so isso|por enquanto e so|por ahora es todo|depois eu vejo|luego veo"
    r"|que tengas (un )?buen|tenha um bom|have a (nice|good|great)"
)
_HELLO = r"^(hi|hello|hey|hola|buenas|buenos dias|oi|ola|bom dia|boa tarde|good (morning|afternoon|evening))\b"
_NO = r"^(no|nope|nah|nao|não|agora nao|ahora no|not now|no gracias|no thanks|nao obrigad)\b"

_FAQ_TOPICS: Sequence[Rule] = (
    (r"return|refund|exchange|devol|reembols|troca|cambio|garant|warrant", "info", "faq_returns"),
    (_PROMO, "commerce", "promotions"),
    (
        r"ship|deliver|envio|envia|entrega|frete|despach|courier|correos|correios",
        "info",
        "faq_shipping",
    ),
    (
        r"pay|card|tarjeta|cartao|cash|efectivo|dinheiro|pix|boleto|cuotas|parcel|transfer",
        "info",
        "faq_payment",
    ),
    (
        r"contact|phone|email|telefono|telefone|correo|whatsapp|customer service",
        "info",
        "faq_contact",
    ),
    (
        r"store|tienda|loja|branch|sucursal|local\b|address|direcc|endere|parking|estacion",
        "info",
        "location",
    ),
    (r"hour|horario|open|abren|abrem|close|cierran|fecham", "info", "hours"),
)

_RULES: dict[str, Sequence[Rule]] = {
    # info: mixed groups
    "opening_hours": (
        (_DAY, "info", "hours_on_day"),
        (_NOW, "info", "open_now"),
        (r".", "info", "hours"),
    ),
    "open_now": (
        (_DAY, "info", "hours_on_day"),
        (r"when|how late|what time|que hora|a que horas|hasta que|ate que", "info", "hours"),
        (r".", "info", "open_now"),
    ),
    "small_talk": (
        (_BOT, "info", "bot_identity"),
        (_CAPABILITY, "info", "capabilities"),
        (_BYE, "info", "goodbye"),
        (_HELLO + r"[\s!.,]*$", "info", "greeting"),
        (r".", "info", "small_talk"),
    ),
    "greeting": (
        (_CAPABILITY, "info", "capabilities"),
        (_BOT + r"|anyone there|alguien ahi|alguem ai|esta alguem", "info", "greeting"),
        (r".", "info", "greeting"),
    ),
    "acknowledgement": (
        (_BYE, "info", "goodbye"),
        (_THANKS, "info", "thanks"),
        (_NO, "info", "deny"),
        (r".", "info", "affirm"),
    ),
    "store_info": (
        (_PROMO, "commerce", "promotions"),
        (r"open|abre|close|cierra|fecha|hour|horario", "info", "hours_on_day"),
        (r"store in|tienda en|loja em|branch|sucursal|where|donde|onde", "info", "location"),
        (r"deliver|ship|envio|entrega", "info", "faq_shipping"),
        (r".", "info", "faq_other"),
    ),
    "faq": (*_FAQ_TOPICS, (r".", "info", "faq_other")),
    "faq_general": (*_FAQ_TOPICS, (r".", "info", "faq_other")),
    "info_fragments": (
        (r"^(" + _HUMAN + r")$", "support", "human_request"),
        (r"horari|hours", "info", "hours"),
        *_FAQ_TOPICS,
        (r".", "info", "faq_other"),
    ),
    "contact_customer_service": (
        (
            r"^(i want|i need|quiero|necesito|quero|preciso)? ?(" + _HUMAN + r")[\s!.]*$",
            "support",
            "human_request",
        ),
        (r".", "info", "faq_contact"),
    ),
    # commerce: mixed groups
    "cart": (
        (
            r"borra todo|vaci|esvazi|limpa|empty|clear|todo el carrito|tudo do carrinho",
            "commerce",
            "empty_cart",
        ),
        (r"remov|quita|saca|tira|elimin|delete|sin |sem ", "commerce", "remove_from_cart"),
        (
            r"ver |see|show|mostra|que (hay|tengo|tenho)|o que tenho|cuanto|quanto|what'?s in",
            "commerce",
            "view_cart",
        ),
        (
            r"\b(mas|mais|more|otra|outra|another)\b|cambia|muda|change",
            "commerce",
            "change_quantity",
        ),
        (r".", "commerce", "add_to_cart"),
    ),
    "place_order": (
        (
            r"quote|cotiza|orcamento|how much|cuanto (cuesta|sale|vale)|quanto (custa|sai|fica)",
            "commerce",
            "product_question",
        ),
        (r".", "commerce", "add_to_cart"),
    ),
    "change_order": (
        (
            r"can'?t|cannot|won'?t let|doesn'?t let|error|no me deja|nao (me )?deixa|no puedo|nao consigo|failed|fall",
            "support",
            "problem_other",
        ),
        (r".", "commerce", "change_order"),
    ),
    "order_fragments": (
        (r"carrito|carrinho|cart|cesta|cesto", "commerce", "view_cart"),
        (r"factura|fatura|nota fiscal|invoice|recibo|comprovante", "commerce", "order_status"),
        (r"cancel", "commerce", "cancel_order"),
        (r"modific|cambi|alter|mudar|direcc|endere|address", "commerce", "change_order"),
        (
            r"estado|status|seguimiento|rastre|track|entrega|envio|donde|onde|mis pedidos|meus pedidos|minhas compras|mis compras",
            "commerce",
            "order_status",
        ),
        (r"prec|price|cuanto|quanto|valor", "commerce", "product_question"),
        (r"pag|pay|checkout|finaliz", "commerce", "checkout"),
        (r"catalog|produto|producto|menu|cardapio|carta", "commerce", "browse_catalog"),
        (r".", "commerce", "add_to_cart"),
    ),
    "long_commerce": (
        (r"factura|fatura|nota fiscal|invoice|comprobante|comprovante", "commerce", "order_status"),
        (r"cancel", "commerce", "cancel_order"),
        (r"cambi|troc|mudar|modific|change|altera", "commerce", "change_order"),
        (
            r"status|estado|cuando|quando|que dia|cuanto tarda|chega|llega|salio|saiu|envio",
            "commerce",
            "order_status",
        ),
        (
            r"tienen|tem |ainda tem|hay |quanto|cuanto|precio|preco|stock|estoque",
            "commerce",
            "product_question",
        ),
        (r".", "commerce", "add_to_cart"),
    ),
    # support: mixed groups
    "late_order": ((_LOST, "support", "problem_lost"), (r".", "support", "problem_late")),
    "banking_problem": (
        (
            r"charg|cobr|declin|rechaz|recusad|twice|doble|duas vezes|double|debit|pago|pagamento|payment",
            "support",
            "problem_charged_wrongly",
        ),
        (
            r"block|bloque|login|password|contrasena|senha|acceso|acesso|app",
            "support",
            "problem_account",
        ),
        (r".", "support", "problem_other"),
    ),
    "fraud_privacy": (
        (r"card|tarjeta|cartao|charg|cobr", "support", "problem_charged_wrongly"),
        (r".", "support", "problem_account"),
    ),
    "tech_issue": (
        (
            r"login|log in|password|contrasena|senha|cuenta|conta|account|entrar",
            "support",
            "problem_account",
        ),
        (r"pag|pay", "support", "problem_charged_wrongly"),
        (r".", "support", "problem_other"),
    ),
    "service_problem": (
        (_PROMO + r"|charg|cobr|price|precio|preco", "support", "problem_charged_wrongly"),
        (r"login|password|contrasena|senha|account|cuenta|conta\b", "support", "problem_account"),
        (r".", "support", "problem_other"),
    ),
    "follow_up": (
        (
            r"agent|representative|person|someone|alguien|alguem|atendente|humano",
            "support",
            "human_request",
        ),
        (r".", "support", "problem_other"),
    ),
    "long_support": (
        (
            r"contrasena|senha|password|cuenta|conta\b|account|entrar|login",
            "support",
            "problem_account",
        ),
        (r"reembols|devuelvan|devolvam|dinero|dinheiro|refund|money back", "support", "refund"),
        (r"devolvi|devolucion|devolucao|return", "support", "return_in_progress"),
        (
            r"roto|rota|rotos|quebrad|partid|danad|danific|despeg|descol|broken|damaged",
            "support",
            "problem_damaged",
        ),
        (
            r"me llego (uno|una|otro|otra)|veio (outro|outra|errad)|equivocad|errad|wrong|talla|tamanho",
            "support",
            "problem_wrong_item",
        ),
        (r"cobr|charg|cargo|tarjeta|cartao", "support", "problem_charged_wrongly"),
        (_LOST, "support", "problem_lost"),
        (
            r"no llega|nao chegou|ainda nao|todavia no|no tengo nada|nada|atras|retras|demora|late",
            "support",
            "problem_late",
        ),
        (r"reclamac|queja|trat|atendi|pessimo|horrible", "support", "complaint"),
        (r".", "support", "problem_other"),
    ),
}
_SHORT_PROBLEMS: Sequence[Rule] = (
    (r"atras|retras|demor|late|delay", "support", "problem_late"),
    (_LOST + r"|no recibido|nao recebid|not arrived", "support", "problem_lost"),
    (r"roto|rota|quebrad|danad|danific|damaged|broken|defect", "support", "problem_damaged"),
    (r"equivocad|errad|wrong|incomplet|falta|missing|faltando", "support", "problem_wrong_item"),
    (r"cobr|charg|pago|pagamento|payment|tarjeta|cartao", "support", "problem_charged_wrongly"),
    (
        r"cuenta|conta\b|account|login|contrasena|senha|password|hack|acces|acess",
        "support",
        "problem_account",
    ),
    (r"reembols|dinero de vuelta|dinheiro de volta|refund|estorno|money back", "support", "refund"),
    (r"devoluc|devoluc|devolucao|troca|cambio|return", "support", "return_in_progress"),
    (r"queja|reclam|complain|denuncia", "support", "complaint"),
    (_HUMAN, "support", "human_request"),
    (r".", "support", "problem_other"),
)
_RULES["short_problem_fragments"] = _SHORT_PROBLEMS
_RULES["conversation_replies"] = (
    (r"alguien|alguem|agente|atendente|humano|persona|pessoa", "support", "human_request"),
    (r"cerro el chat|fechou o chat|pesim|horrible|vergonha|verguenza", "support", "complaint"),
    (r".", "support", "problem_other"),
)
_RULES["acknowledgements"] = _RULES["acknowledgement"]
_RULES["select_option"] = ((r".", "commerce", "select"),)

# Rows of any source name: the lane policy overrides the source group where they disagree.
_POLICY: Sequence[tuple[str, str, Rule]] = (
    # promotions and discounts are commerce (asking about a promotion, not a problem with one)
    ("info", _NOT_PROMO_CONTEXT, (_PROMO, "commerce", "promotions")),
    # asking to speak to the manager / a supervisor is asking for a person, not a complaint
    (
        "support",
        r"rude|grosero|grosseir|mal educad",
        (
            r"\b(speak|talk|hablar|falar)\b.*\b(manager|supervisor|gerente|encargad[oa]|responsable|chefe|superior)\b",
            "support",
            "human_request",
        ),
    ),
)


def fold(text: str) -> str:
    """Lowercase without accents: what the rules match on."""
    folded = unicodedata.normalize("NFKD", text.lower())
    return " ".join("".join(ch for ch in folded if not unicodedata.combining(ch)).split())


def _known(lane: str, intent: str) -> bool:
    return lane_of_intent(intent) == lane or intent in DIALOGUE_ACTS


def relabel(lane: str, source_intent: str, text: str) -> tuple[str, str]:
    """The (lane, taxonomy intent) of a row from its source lane, source name and text."""
    folded = fold(text)
    for policy_lane, unless, (pattern, new_lane, intent) in _POLICY:
        if lane == policy_lane and re.search(pattern, folded) and not re.search(unless, folded):
            return new_lane, intent
    rules = _RULES.get(source_intent)
    if rules is not None:
        for pattern, new_lane, intent in rules:
            if re.search(pattern, folded):
                return new_lane, intent
    if source_intent in DIRECT:
        return lane, DIRECT[source_intent]
    if _known(lane, source_intent):
        return lane, source_intent
    raise ValueError(f"no taxonomy intent for source intent {source_intent!r} ({lane})")


def check_taxonomy() -> None:
    """Every target of `DIRECT` and `_RULES` is a taxonomy intent of its lane (or an act)."""
    lanes_of = {name: lane for lane, names in LANE_INTENTS.items() for name in names}
    bad = [name for name in DIRECT.values() if name not in lanes_of and name not in DIALOGUE_ACTS]
    bad += [
        f"{lane}/{intent}"
        for rules in _RULES.values()
        for _, lane, intent in rules
        if not _known(lane, intent)
    ]
    if bad:
        raise ValueError(f"labels outside the taxonomy: {bad}")
