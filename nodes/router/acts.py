"""Dialogue acts: short replies to what the bot just said ("yes", "no", "2", "la azul",
"it's order 1234", "ok", "thx", "👍"). They carry no lane of their own: while a lane holds
the conversation they belong to it (see `nodes/taxonomy.py`, `DIALOGUE_ACTS`).

Measured on the conversation eval, acknowledgements ("ok ya quedó?", "perfeito", "thx")
were the largest group of follow-ups the classifier sent out of the sticky lane to `info`.
"""

from __future__ import annotations

from graph.understanding import Entities
from nodes.text import tokens

ACK_WORDS = frozenset(
    """
    ok okay okey oki okk k kk yes yep yeah yup ya sure alright fine great cool nice awesome
    perfect got it done wait ill i ll will
    si sip sipi claro dale vale bueno buenisimo listo perfecto genial excelente quedo espero
    entendido entiendo
    sim pode ser beleza blz isso certo otimo perfeito show top joia massa foi ja vou aguardar
    aguardo entendi combinado tranquilo
    no nope nao not
    """.split()  # noqa: SIM905
)
"""Acknowledgements and yes/no: a reply to what the lane just said."""

THANKS_WORDS = frozenset(
    """
    thanks thank you ty thx tks gracias grcias grax muchas obrigado obrigada obg brigado valeu
    vlw
    """.split()  # noqa: SIM905
)

YES_WORDS = frozenset(
    {"yes", "yeah", "yep", "yup", "sure", "please", "si", "sip", "claro", "dale", "sim", "bora"}
)
"""An explicit yes: with thanks ("yes, thanks") it still answers the question."""

REFERENCE_WORDS = frozenset(
    """
    please that this one ones the a first second third last other another more quero
    ese esa este esta el la uno una primero primera segundo segunda tercero tercera ultimo
    ultima otro otra mas esse essa o um uma primeiro terceiro
    blue red green black white azul rojo roja verde negro negra blanco blanca vermelho
    vermelha preto preta branco branca
    """.split()  # noqa: SIM905
)
"""Pointing at something the lane showed: "the second one", "la azul", "o primeiro"."""

ORDER_FILLER = frozenset(
    """
    it its s is it's was that my the order number no nr id ref reference
    es era el mi pedido numero orden de la compra
    e o do da meu minha pedido numero encomenda foi
    """.split()  # noqa: SIM905
)
"""Words around an order number in a reply that gives only the number ("era do pedido 1234")."""
ORDER_LINKS = frozenset({"for", "of", "about", "on", "del", "sobre", "referente", "ao", "no", "na"})
"""Linking a yes or a thanks to the number ("yes, for order 1234", "sí, del pedido 1234")."""

POSITIVE_EMOJI = frozenset("👍👌✅🙏😊🙂😀😁😃😄🤝👏💯🆗✔☺❤💙💚🥰😍🙌")
"""An emoji alone is a yes only when it says one: 💩 or 😡 is not an acknowledgement."""

MODIFIERS = frozenset("\ufe0f\u200d!.?\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")
"""Variation selectors, joiners, skin tones and punctuation around an emoji."""

POLITE_WORDS = frozenset({"por", "favor", "porfa", "porfavor", "pf", "pfv", "pls", "plz"})
"""Politeness around a short reply ("sí por favor", "sim pf"): it changes nothing."""

MAX_ACT_WORDS = 5
ACT_WORDS = ACK_WORDS | THANKS_WORDS | REFERENCE_WORDS | POLITE_WORDS

REPLY_WORDS = frozenset(
    """
    i it me m do don dont t want need like add anything else more that s all im good fine
    right now for nah thank all just
    yo lo la eso quiero necesito agrega agregalo nada mas por ahora asi gracias estoy bien
    eu isso quero preciso adiciona nada mais por agora assim obrigado estou bem tudo e so
    """.split()  # noqa: SIM905
)
"""What follows a yes or a no in a reply that says only that ("no, I don't want it",
"sí, lo quiero", "não, não preciso de nada"): the yes/no decides."""
MAX_REPLY_WORDS = 8


def _is_number(word: str) -> bool:
    return word.isdigit() and len(word) <= 2


def _only_gives(words: list[str], order_number: str) -> bool:
    """Nothing but the order number and filler ("it's order 1234", "era do pedido 1234"),
    perhaps after a yes or an ok ("yes, for order 1234", "sim, do pedido 1234")."""
    number = order_number.lower()
    filler = ORDER_FILLER | ORDER_LINKS | ACK_WORDS | THANKS_WORDS | POLITE_WORDS
    return all(w in filler or w.isdigit() or w in number for w in words)


def _only_answers(words: list[str], entities: Entities) -> bool:
    """A yes or no with nothing but words about wanting around it ("no, I don't want it")."""
    if entities.affirmation is None or entities.products or entities.order_number:
        return False
    known = ACT_WORDS | REPLY_WORDS
    return len(words) <= MAX_REPLY_WORDS and all(w in known or _is_number(w) for w in words)


def dialogue_act(text: str, entities: Entities) -> str | None:
    """`affirm`, `deny`, `select`, `provide_info` or `thanks` for a short reply; else None."""
    words = tokens(text)
    if not words:  # an emoji alone: "👍" is a yes, anything else the classifier reads
        marks = {ch for ch in text if not ch.isspace() and ch not in MODIFIERS}
        return "affirm" if marks and marks <= POSITIVE_EMOJI else None
    if entities.order_number and _only_gives(words, entities.order_number):
        return "provide_info"
    if len(words) > MAX_ACT_WORDS or not all(w in ACT_WORDS or _is_number(w) for w in words):
        if _only_answers(words, entities):
            return "deny" if entities.affirmation == "no" else "affirm"
        return None
    points = entities.position is not None or (set(words) & REFERENCE_WORDS) - {"please", "quero"}
    if points and entities.affirmation is None:
        return "select"
    if entities.affirmation == "no":
        return "deny"
    if set(words) & THANKS_WORDS and not set(words) & YES_WORDS:
        return "thanks"  # "ok, thanks" thanks; "yes, thanks" says yes
    return "affirm"
