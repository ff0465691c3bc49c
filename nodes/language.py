"""Which language a customer wrote in: English, Spanish or Portuguese.

WhatsApp messages are short ("oi", "hola", "obrigado"), so a statistical model alone is
unreliable; this scores marker words and spelling cues that tell the three apart
(``ã``/``ç``/``-ção`` for Portuguese, ``ñ``/``¿``/``-ción`` for Spanish) and falls back
to ``default`` when nothing decides.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Language = Literal["en", "es", "pt"]

_EN = """
hi hello hey thanks thank you please i im i'm my me we our the a an is are was were be been
what whats where when why how who which can could would will should do does did dont don't
cant can't wont won't to of for with from this that it its it's and or but not no yes yeah
have has had get got want need know help order orders package account money refund card
still yet just now today tomorrow there here your you u ur pls plz thx ty ok okay good bad
morning evening night open close time price buy shop cancel change talk speak someone
"""

_ES = """
hola buenas buenos gracias por favor quiero quisiera necesito tengo tienen tienes puedo
puede pueden podria podrian donde cuando cuanto cuanta cuantos como que cual quien porque
el la los las un una unos unas del al es son esta estan estoy hay muy pero mi mis tu su sus
yo usted ustedes nos nosotros vosotros con sin para hasta desde pedido pedidos compra
envio reembolso cuenta contrasena ayuda hablar persona dinero tarjeta todavia aun ya hoy
manana ayer hora horario abren cierran abierto tienda precio cuesta vale llego llega
ningun nadie nada algo bien mal vale oye saludos adios disculpe perdon si tambien pues
senor senora entonces hacer hice hizo quiero devolver devolucion cancelar cambiar direccion
"""

_PT = """
oi ola obrigado obrigada valeu por favor quero queria preciso tenho tem voce voces vc vcs
posso pode podem poderia onde quando quanto quanta quantos como que qual quem porque
o a os as um uma uns umas do da dos das no na nos nas ao e sao esta estao estou ha muito
mas meu minha meus minhas seu sua seus suas eu com sem para pra pro ate desde pedido
pedidos compra entrega reembolso conta senha ajuda falar pessoa dinheiro cartao ainda
ja hoje amanha ontem hora horario abrem fecham aberto loja preco custa chegou chega
nenhum ninguem nada algo bem mal tchau bom dia boa tarde noite sim tambem entao fazer
fiz fez devolver devolucao cancelar mudar endereco nao atendente atendimento encomenda
"""

_WORDS = {"en": set(_EN.split()), "es": set(_ES.split()), "pt": set(_PT.split())}
_TOKEN = re.compile(r"[a-z']+")
# Spelling cues that survive on one-word messages, checked on the accented text.
_CUES: dict[Language, tuple[str, ...]] = {
    "pt": ("ã", "õ", "ç", "ção", "ções", "ê", "ô", "lh", "nh", "ão", "vc"),
    "es": ("ñ", "¿", "¡", "ción", "ciones", "ll", "ué", "ié"),
    "en": ("th", "ee", "oo", "w", "sh", "ck"),
}
_CUE_WEIGHT = 0.4


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _scores(text: str) -> dict[Language, float]:
    tokens = _TOKEN.findall(_fold(text))
    lowered = text.lower()
    scores: dict[Language, float] = {"en": 0.0, "es": 0.0, "pt": 0.0}
    for token in tokens:
        for lang in scores:
            if token in _WORDS[lang]:
                # A word shared by two languages counts half for each.
                owners = sum(token in _WORDS[other] for other in scores)
                scores[lang] += 1.0 / owners
    for lang, cues in _CUES.items():
        scores[lang] += _CUE_WEIGHT * sum(cue in lowered for cue in cues)
    return scores


def detect_language(text: str, default: Language = "en") -> Language:
    """The most likely language of ``text``; ``default`` when nothing tells them apart."""
    scores = _scores(text)
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top <= 0.0 or top == second:
        return default
    return best
