"""Which language a customer wrote in: English, Spanish or Portuguese.

WhatsApp messages are short ("oi", "hola", "obrigado"), so a statistical model alone is
unreliable on them, and word lists alone miss most longer messages. Both are combined: a
character n-gram naive Bayes model trained on the routing train split (its log-probability
per language) plus a score from marker words and spelling cues (``ã``/``ç``/``-ção`` for
Portuguese, ``ñ``/``¿``/``-ción`` for Spanish). A short message that neither the words nor
the cues decide (``"ok"``, ``"👍"``, ``"12345"``) gets ``default``: the caller passes the
conversation's language there.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from graph.messages import InboundTurn
from nodes.text import char_wb_ngrams, join_terms, split_terms, tokens

Language = Literal["en", "es", "pt"]
TRAIN_PATH = Path(__file__).resolve().parents[1] / "evals" / "datasets" / "routing_train.jsonl"
LANGUAGES: tuple[Language, ...] = ("en", "es", "pt")
_NOISE = re.compile(r"\{\{[^}]*\}\}|@\w+|https?://\S+|#")

_EN = """
hi hello hey thanks thank you please i im i'm my me we our the a an is are was were be been
what whats where when why how who which can could would will should do does did dont don't
cant can't wont won't to of for with from this that it its it's and or but not no yes yeah
have has had get got want need know help order orders package account money refund card
still yet just now today tomorrow there here your you u ur pls plz thx ty good bad haha lol
morning evening night open close time price buy shop cancel change talk speak someone go
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
porfa jaja tengan buena buen nombre sirve cobran cobro mas agente ustedes llegado enviaron
agrega agregar agregame agregue quita quitar quitame saca sacar taza tazas azules rojo roja
rojos rojas negro negra blanco blanca carrito
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
rsrs kkk kkkk flw salve tudo liga cade oii oie gostaria enviam vendem telemovel boleto pix
adiciona adicionar adicione coloca coloque tira tirar tire caneca canecas azuis vermelho
vermelha vermelhos vermelhas preto preta branco branca carrinho sacola
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
_WORD_WEIGHT = 1.0
_WORD_WEIGHT_SHORT = 2.0
# Said the same way in all three languages: the conversation's language decides.
_NEUTRAL = {"ok", "okay", "okey", "oki", "k", "kk", "no", "ya", "mmm", "hmm", "jaja", "haha", "lol"}


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


CHAR_NGRAMS = (1, 4)
NB_ALPHA = 0.1
CHAR_MODEL_CACHE = "language-chars"
"""Name of the character model's entries in the model cache (`nodes.router.embeddings`)."""
_CHAR_ARRAYS = ("classes", "terms", "feature_log_prob", "class_log_prior")


class _CharModel:
    """Character 1-4 gram naive Bayes over the train split's texts and languages.

    Fitted with scikit-learn (`CountVectorizer(analyzer="char_wb")` + `MultinomialNB`) and
    kept as plain arrays (vocabulary, log-probabilities) in the model cache; a prediction
    is the same arithmetic in numpy: no scikit-learn import, no per-call validation."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self._classes = [str(name) for name in arrays["classes"]]
        self._vocabulary = split_terms(bytes(arrays["terms"]))
        self._feature_log_prob = np.ascontiguousarray(arrays["feature_log_prob"], np.float64)
        self._class_log_prior = np.asarray(arrays["class_log_prior"], dtype=np.float64)

    @staticmethod
    def fit(texts: list[str], languages: list[str]) -> dict[str, np.ndarray]:
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.naive_bayes import MultinomialNB

        vectorizer = CountVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS)
        model = MultinomialNB(alpha=NB_ALPHA)
        model.fit(vectorizer.fit_transform(texts), languages)
        vocabulary = vectorizer.vocabulary_
        terms = sorted(vocabulary, key=vocabulary.__getitem__)
        return {
            "classes": np.array([str(name) for name in model.classes_]),
            "terms": np.frombuffer(join_terms(terms), dtype=np.uint8),
            "feature_log_prob": np.asarray(model.feature_log_prob_, dtype=np.float64),
            "class_log_prior": np.asarray(model.class_log_prior_, dtype=np.float64),
        }

    def log_probabilities(self, text: str) -> dict[str, float]:
        """Same numbers as `MultinomialNB.predict_log_proba` on the text's counts."""
        counts: dict[int, int] = {}
        for gram in char_wb_ngrams(text, *CHAR_NGRAMS):
            column = self._vocabulary.get(gram)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        joint = self._class_log_prior.copy()
        if counts:
            columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
            seen = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            joint += self._feature_log_prob[:, columns] @ seen
        top = joint.max()
        row = joint - (top + math.log(float(np.exp(joint - top).sum())))
        return dict(zip(self._classes, (float(v) for v in row), strict=True))


def _char_model_key(raw: bytes) -> str:
    from importlib.metadata import version

    from nodes.router.embeddings import cache_key

    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    recipe = f"sklearn-{version('scikit-learn')}-numpy-{version('numpy')}-src-{source[:16]}"
    return cache_key(recipe, hashlib.sha256(raw).hexdigest())


@lru_cache(maxsize=1)
def _char_model() -> _CharModel | None:
    """Loaded once per process from the model cache (fitted and stored there when missing);
    ``None`` (word lists only) when the split is missing."""
    from nodes.router.embeddings import cached_arrays

    if not TRAIN_PATH.exists():
        return None
    raw = TRAIN_PATH.read_bytes()
    rows = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line]
    rows = [row for row in rows if row.get("lang") in LANGUAGES]
    if len({row["lang"] for row in rows}) < len(LANGUAGES):
        return None

    def build() -> dict[str, np.ndarray]:
        return _CharModel.fit([_clean(row["text"]) for row in rows], [row["lang"] for row in rows])

    return _CharModel(cached_arrays(CHAR_MODEL_CACHE, _char_model_key(raw), build, _CHAR_ARRAYS))


def warm_up() -> None:
    """Load the character model now (a worker's start), not during the first turn."""
    _char_model()


def _clean(text: str) -> str:
    return _NOISE.sub(" ", text.lower())


UNANIMOUS_WORDS = 2.0
"""This much word evidence for one language and none for the others decides without the
character model, which reads some short Portuguese as Spanish ("adiciona canecas azuis")."""


def detect_language(text: str, default: Language = "en") -> Language:
    """The most likely language of ``text``; ``default`` when nothing tells them apart."""
    cleaned = _clean(text)
    scores = _scores(cleaned)
    words = _TOKEN.findall(_fold(cleaned))
    if not words or set(words) <= _NEUTRAL:
        return default
    model = _char_model()
    if model is None:
        ranked = sorted(scores.values(), reverse=True)
        return default if ranked[0] == ranked[1] else max(LANGUAGES, key=lambda k: scores[k])
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] >= UNANIMOUS_WORDS and ranked[1] == 0:  # every marker word is one language's
        return max(LANGUAGES, key=lambda k: scores[k])
    log_probs = model.log_probabilities(cleaned)
    weight = _WORD_WEIGHT_SHORT if len(words) <= 3 else _WORD_WEIGHT
    combined = {k: log_probs.get(k, -math.inf) + weight * scores[k] for k in LANGUAGES}
    return max(LANGUAGES, key=lambda lang: combined[lang])


SHORT_MESSAGE_WORDS = 2
"""A reply this short ("ok", "2", "sí") is too short to tell a language: keep the conversation's."""


UNMISTAKABLE_MARKS: dict[Language, tuple[str, ...]] = {
    "es": ("¿", "¡", "ñ"),
    "pt": ("ã", "õ", "ç"),
}
"""Letters one language has and the other two don't: they decide even a short reply."""

UNMISTAKABLE_WORDS: dict[Language, frozenset[str]] = {
    "en": frozenset(
        """
        yes yeah yep yup nope thanks thank please sure cheers goodbye night morning evening
        afternoon great awesome where what how when why
        """.split()  # noqa: SIM905
    ),
    "es": frozenset(
        """
        si gracias muchas vale dale bueno buena buenas buenos perfecto listo hola adios porfa
        noches chao donde cuando hay tienen
        """.split()  # noqa: SIM905
    ),
    "pt": frozenset(
        """
        sim nao obrigado obrigada valeu vlw beleza blz tchau oi ola perfeito certo isso tudo
        bem bom boa noite joia tem onde quando falou
        """.split()  # noqa: SIM905
    ),
}
"""Words a short reply is made of ("sí", "obrigado", "thanks", "tudo bem?") that only one of
the three languages writes that way: a reply of such words switches to that language. Words
all three use ("ok", "no", "top", a number, a product name) keep the conversation's."""


def turn_language(turn: InboundTurn, previous: Language | None) -> Language:
    """The language to answer a turn in. A tapped button or list row keeps the conversation's
    language: its title ("Caneca azul de cerâmica") is ours, not what the customer writes in
    (detected from the title only when the conversation has no language yet)."""
    if turn.choice_id:
        return previous or detect_language(turn.text)
    return choose_language(turn.text, previous)


def choose_language(text: str, previous: Language | None) -> Language:
    """The language to answer in: detected, except that short replies keep the previous one
    unless they carry a letter only one language uses ("¿tienen café?", "não")."""
    if previous is not None and len(tokens(text)) <= SHORT_MESSAGE_WORDS:
        return _short_reply_language(text) or previous
    return detect_language(text, default=previous or "en")


def _short_reply_language(text: str) -> Language | None:
    """The one language a short reply's marks or words belong to; None when they are shared
    ("ok", "no", "2") or point at two languages."""
    lowered = text.lower()
    marked = {
        lang for lang, marks in UNMISTAKABLE_MARKS.items() if any(m in lowered for m in marks)
    }
    if marked:
        return marked.pop() if len(marked) == 1 else None
    words = set(tokens(text)) - _NEUTRAL
    owners = {lang for lang, own in UNMISTAKABLE_WORDS.items() if words & own}
    return owners.pop() if len(owners) == 1 else None
