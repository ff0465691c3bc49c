"""The info lane's words: the phrases (folded, whole words) that name each of its intents.

`VOCABULARY` is read once per message by the understanding step (`nodes.router.intents`),
in this order; social intents (greeting, thanks, goodbye, small talk) only when nothing
topical matched. "When are you open?" asks for the hours, so `hours` is checked before the
yes/no question `open_now` ("are you open now?").

`CLAIMS` are whole messages ("bye", "I'm back", "what can you do?") that mean that intent
whatever the classifier reads into them; `BOT_IDENTITY` phrases send a message here
wherever they occur ("hola, ¿estoy hablando con una persona?"): the question is answered
honestly, not taken for a request for a person.
"""

from __future__ import annotations

from itertools import product

from nodes.registry import Vocabulary
from nodes.router.claims import whole_message_is


def _frames(starts: tuple[str, ...], ends: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{start} {end}" for start, end in product(starts, ends))


BOT_IDENTITY: tuple[str, ...] = (
    *_frames(
        ("are you a", "are you an", "is this a", "am i talking to a", "am i talking with a",
         "am i chatting with a", "am i speaking to a", "am i speaking with a", "are u a",
         "is it a", "talking to a"),
        ("bot", "robot", "chatbot", "machine", "human", "person", "real person", "computer"),
    ),
    "are you human", "are you real", "are you an ai", "are you ai", "is this automated",
    "is this a real person", "are you a real human", "is anyone there", "is someone there",
    *_frames(
        ("eres un", "eres una", "es un", "esto es un", "estoy hablando con un",
         "estoy hablando con una", "hablo con un", "hablo con una", "estoy chateando con un",
         "estoy chateando con una"),
        ("bot", "robot", "chatbot", "humano", "persona", "persona real", "maquina",
         "programa"),
    ),
    "eres humano", "eres real", "eres una ia", "eres ia", "sos un bot", "sos humano",
    "hay alguien ahi",
    *_frames(
        ("voce e um", "voce e uma", "vc e um", "vc e uma", "isso e um", "aqui e um",
         "estou falando com um", "estou falando com uma", "to falando com um",
         "to falando com uma", "falo com um", "falo com uma"),
        ("bot", "robo", "chatbot", "humano", "pessoa", "pessoa real", "maquina", "atendente",
         "programa"),
    ),
    "e um robo", "e um bot", "voce e humano", "vc e humano", "voce e real", "voce e uma ia",
    "tem alguem ai",
)  # fmt: skip
"""Asking whether the customer is talking to a bot or a person (EN/ES/PT)."""

NIGHT_SALUTATIONS: tuple[str, ...] = (
    "good night", "goodnight", "buenas noches", "boa noite", "boas noites",
)  # fmt: skip
"""Said on arriving and on leaving: a greeting when a chat starts, a goodbye after one
(`nodes.turn.route` decides from the conversation)."""


def is_salutation(text: str) -> bool:
    """The whole message (politeness around it aside) is a night salutation ("ok, good night!")."""
    return whole_message_is(text, NIGHT_SALUTATIONS)


HOW_ARE_YOU: tuple[str, ...] = (
    "how are you", "how are you doing", "how r u", "how are u", "how is it going",
    "how s it going", "hows it going", "how you doing", "how are things",
    "que tal", "que tal estas", "como estas", "como esta", "como te va", "como va", "como andas",
    "como le va",
    "tudo bem", "tudo bom", "como vai", "como voce esta", "como vc esta",
    "como vai voce", "como vao as coisas", "td bem", "tdb",
)  # fmt: skip
"""Asking how the assistant is: answered as such ("I'm well, thanks for asking!")."""

SMALL_TALK_REPLIES: Vocabulary = {"small_talk.how_are_you": HOW_ARE_YOU}
"""Which sentence answers a small-talk message (default `small_talk`): its wording only."""

LOCATION_DETAILS: tuple[str, ...] = (
    "parking", "park", "car park", "parking lot", "garage", "wheelchair", "accessible",
    "accessibility", "estacionamiento", "estacionar", "aparcamiento", "aparcar",
    "parqueadero", "parqueo", "silla de ruedas", "accesible", "accesibilidad",
    "estacionamento", "estacionar", "vaga", "vagas", "cadeira de rodas", "acessivel",
    "acessibilidade",
)  # fmt: skip
"""Details about getting to a shop (parking, access): a location question the profile may
not answer; the lane says so and gives the addresses."""

VOCABULARY: Vocabulary = {
    "bot_identity": BOT_IDENTITY,
    "hours_on_day": (
        "weekend", "weekends", "holiday", "holidays", "fin de semana", "feriado", "feriados",
        "festivo", "festivos", "fim de semana", "fins de semana",
    ),
    "hours": (
        "hours", "hour", "what time", "when do you open", "when do you close", "when are you open",
        "when are you guys open", "when r u open", "when are u open", "what days are you open",
        "closing", "opening", "schedule", "horario", "horarios", "hora", "horas",
        "cuando abren", "cuando abre", "cuando cierran", "cuando cierra", "cuando estan abiertos",
        "que dias abren", "quando abrem", "quando abre", "quando fecham", "quando fecha",
        "quando voces abrem", "quando estao abertos", "quando voces estao abertos",
        "que dias abrem", "que dias voces abrem",
    ),
    "open_now": (
        "open now", "are you open", "r u open", "you open", "still open", "open right now",
        "open today", "abierto", "abiertos", "abierta", "abren", "abre", "cierran", "cierra",
        "aberto", "abertos", "aberta", "abrem", "fecham", "ta aberto", "esta aberto", "close",
    ),
    "location": (
        "where", "address", "location", "located", "locations", "directions", "donde",
        "direccion", "ubicacion", "ubicados", "ubicadas", "sucursal", "sucursales", "locales",
        "onde", "endereco", "localizacao", "lojas", "fica", "ficam", "quedan", "queda",
        *LOCATION_DETAILS,
    ),
    "thanks": ("thanks", "thank you", "thx", "ty", "gracias", "obrigado", "obrigada", "valeu"),
    "goodbye": (
        "bye", "goodbye", "good bye", "bye bye", "see you", "see ya", "adios", "chao", "chau",
        "hasta luego", "hasta pronto", "nos vemos",
        "tchau", "xau", "ate logo", "ate mais", "ate a proxima",
    ),
    "small_talk": HOW_ARE_YOU,
    "greeting": (
        "hi", "hello", "hey", "good morning", "good afternoon", "good evening", "hola",
        "buenas", "buenos dias", "buenas tardes", "oi", "ola", "bom dia", "boa tarde", "e ai",
        "opa", *NIGHT_SALUTATIONS,
    ),
}  # fmt: skip

CLAIMS: Vocabulary = {
    "goodbye": (
        "bye", "bye bye", "goodbye", "good bye", "night night", "see you", "see ya",
        "see you later", "see you soon", "see you tomorrow", "cya",
        "talk later", "talk to you later", "that s all", "that s all for now", "that is all",
        "have a good day", "have a nice day", "have a good night",
        "adios", "chao", "chau", "hasta luego", "hasta pronto", "hasta manana", "nos vemos",
        "nos vemos manana", "eso es todo", "es todo", "que tengas buen dia",
        "que tengas buena noche",
        "tchau", "xau", "ate logo", "ate mais", "ate amanha", "ate a proxima", "falou", "flw",
        "e isso", "so isso", "era so isso", "tenha um bom dia", "bom descanso",
    ),
    "greeting": NIGHT_SALUTATIONS,
    "small_talk": (
        *HOW_ARE_YOU, "i m back", "im back", "i am back", "back again", "i m here again",
        "it s me again",
        "you re great", "you are great", "you re awesome", "you re the best", "good bot",
        "nice bot", "great job", "well done", "you re funny", "you re smart",
        "estoy de vuelta", "ya volvi", "volvi", "ya estoy aqui", "soy yo otra vez",
        "eres genial", "eres el mejor", "eres la mejor", "buen trabajo", "que amable",
        "muy amable", "eres muy amable",
        "voltei", "to de volta", "estou de volta", "sou eu de novo", "cheguei",
        "voce e demais", "voce e otimo", "voce e otima", "vc e demais", "bom trabalho",
        "muito gentil", "que gentil",
    ),
    "capabilities": (
        "what can you do", "what do you do", "what can you help me with", "what can you help with",
        "how can you help", "how can you help me", "help", "help me", "i need help",
        "can you help me", "can you help", "i have a question", "i have a doubt",
        "i have some questions", "question", "options", "what are my options",
        "que puedes hacer", "que haces", "en que me puedes ayudar", "en que puedes ayudarme",
        "como me puedes ayudar", "ayuda", "ayudame", "necesito ayuda", "me puedes ayudar",
        "puedes ayudarme", "me ayudas", "tengo una pregunta", "tengo una duda",
        "tengo unas preguntas", "una pregunta", "opciones",
        "o que voce pode fazer", "o que voce faz", "o que vc faz", "o que vc pode fazer",
        "em que voce pode me ajudar", "como voce pode me ajudar", "ajuda", "me ajuda",
        "preciso de ajuda", "pode me ajudar", "voce pode me ajudar", "tenho uma pergunta",
        "tenho uma duvida", "uma pergunta", "uma duvida", "opcoes",
    ),
}  # fmt: skip
"""Whole messages (after greetings and politeness around them) and the intent they mean."""
