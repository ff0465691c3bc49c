"""The offline router: lane and intent of a message without any network.

Three models vote, each giving a probability per lane; the lane scores are their geometric
mean, renormalized:

1. a logistic regression over TF-IDF word 1-2 grams and character 2-5 grams of a
   normalized text (lowercase, no accents, ``{{placeholders}}`` and digits replaced by
   tokens, stretched letters collapsed): robust to typos and slang it has seen;
2. a linear model over multilingual sentence embeddings (`nodes.router.embeddings`) trained
   on **intents** and summed to lanes: an intent is a tighter cluster in that space than a
   whole lane (lane-level training on the same vectors was 7-11 points worse on real
   messages);
3. the nearest training rows in the embedding space (softmax-weighted vote of the k most
   similar).

The embeddings carry meaning across phrasings and languages that the word model never saw;
the word model keeps the exact cues (slots, emoji, order numbers). `intent_scores` is the
mean of the intent probabilities of models 2 and 3; `intent` is the best one of the chosen
lane. `OfflineClassifier.default()` trains once per process from
``evals/datasets/routing_train.jsonl`` only (the test split never leaks in); the embedding
side is read from a cache keyed by the rows and the encoder version when it exists.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict
from scipy.sparse import csr_matrix, spmatrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import normalize

from nodes.router.embeddings import (
    SentenceEncoder,
    cache_key,
    cached_arrays,
    default_encoder,
    single_thread,
)

logger = logging.getLogger(__name__)

Lane = Literal["info", "commerce", "support"]
TRAIN_PATH = Path(__file__).resolve().parents[2] / "evals" / "datasets" / "routing_train.jsonl"
_PLACEHOLDER = re.compile(r"\{\{([^}]*)\}\}|\{([^}]*)\}|<([^>]*)>|\[([^\]]*)\]")
_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_DIGITS = re.compile(r"\d+")
_STRETCH = re.compile(r"(\w)\1{2,}")
_SPACES = re.compile(r"\s+")
# Emoji carry the mood of a message (angry = a problem, thanks = small talk): named tokens.
_EMOJI = {
    "angryx": "😡🤬😠😤👎💢😒🙄",
    "sadx": "😢😭😞😔☹🙁😩😫",
    "happyx": "😊🙂😀😃😄😁😍🥰❤👍🙏👏🎉✨😎👌",
}
_EMOJI_TOKEN = {ch: f" {name} " for name, chars in _EMOJI.items() for ch in chars}


class LabeledExample(BaseModel):
    """One training row: a message and the lane that should answer it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    text: str
    lane: str
    lang: str = "en"
    intent: str | None = None


class LanePrediction(BaseModel):
    """The classifier's answer: the lane, the closest intent and how sure it is."""

    model_config = ConfigDict(frozen=True)

    lane: str
    intent: str
    confidence: float
    scores: dict[str, float]
    """Probability per lane."""
    intent_scores: dict[str, float] = {}
    """Probability per taxonomy intent (`nodes/taxonomy.py`), when the model gives them."""


def _slot_token(match: re.Match[str]) -> str:
    """``{{Order Number}}`` -> `` slotordernumber ``: the slot's kind is a strong hint."""
    name = next((group for group in match.groups() if group is not None), "")
    return " slot" + re.sub(r"[^a-z]", "", name.lower()) + " "


def normalize_text(text: str) -> str:
    """The text the model sees: same meaning, fewer surface variants."""
    text = _PLACEHOLDER.sub(_slot_token, text)
    text = _URL.sub(" urlx ", text)
    text = _MENTION.sub(" userx ", text)
    text = "".join(_EMOJI_TOKEN.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("'", "").replace("’", "")
    text = _DIGITS.sub(" 0 ", text)
    text = _STRETCH.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip()


def _vectorizer() -> FeatureUnion:
    words = TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        token_pattern=r"(?u)\b\w+\b",
        sublinear_tf=True,
        min_df=1,
    )
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    return FeatureUnion([("words", words), ("chars", chars)])


class _IntentIndex:
    """Intent = weighted vote of the nearest training rows of the predicted lane."""

    def __init__(self, examples: Sequence[LabeledExample], matrix: spmatrix, k: int = 7) -> None:
        self._rows = csr_matrix(normalize(matrix))
        self._lanes = np.array([row.lane for row in examples])
        self._intents = [row.intent or row.lane for row in examples]
        self._k = k

    def closest(self, vector: spmatrix, lane: str) -> str:
        similarity = np.asarray((self._rows @ normalize(vector).T).todense()).ravel()
        similarity[self._lanes != lane] = -1.0
        votes: dict[str, float] = {}
        for i in np.argsort(-similarity, kind="stable")[: self._k]:
            if similarity[i] > 0:
                votes[self._intents[i]] = votes.get(self._intents[i], 0.0) + float(similarity[i])
        return max(sorted(votes), key=lambda name: votes[name]) if votes else lane


NEIGHBOURS = 10
"""Training rows that vote in the nearest-neighbour model."""
TEMPERATURE = 0.05
"""Softmax temperature of the neighbours' cosine similarities (sharper = nearest dominate)."""
INTENT_C = 4.0
"""Inverse regularization of the intent model on embeddings (1/4/16 within a point)."""
RECIPE = f"intent-logreg-C{INTENT_C}"
"""Part of the cache key: changing how the embedding side is fitted invalidates the cache."""


class _WordModel:
    """TF-IDF word + character n-grams -> lanes (logistic regression), intents (neighbours)."""

    def __init__(
        self, features: FeatureUnion, lanes: LogisticRegression, intents: _IntentIndex
    ) -> None:
        self.features = features
        self.lanes = lanes
        self.intents = intents
        self._fast = _FastLanes(features, lanes)

    @classmethod
    def fit(cls, examples: Sequence[LabeledExample]) -> _WordModel:
        texts = [normalize_text(row.text) for row in examples]
        features = _vectorizer()
        matrix = features.fit_transform(texts)
        lanes = LogisticRegression(C=8.0, max_iter=3000, random_state=0)
        # One BLAS thread: on a busy machine thread contention made the fit 4x slower.
        with single_thread():
            lanes.fit(matrix, [row.lane for row in examples])
        return cls(features, lanes, _IntentIndex(examples, matrix))

    def lane_probabilities(self, normalized: str) -> np.ndarray:
        """Same numbers as ``lanes.predict_proba(features.transform([normalized]))[0]``."""
        return self._fast.probabilities(normalized)


class _FastLanes:
    """The fitted TF-IDF + logistic regression evaluated for one text in plain Python.

    scikit-learn's `transform` + `predict_proba` spend ~2 ms per message validating inputs
    and dispatching through joblib for a text of a few dozen n-grams; this does the same
    arithmetic (n-gram counts, 1 + log tf, idf, L2 norm per vectorizer, linear decision,
    softmax) in ~0.1 ms. `tests/nodes/router/test_offline.py` checks it matches.
    """

    def __init__(self, features: FeatureUnion, lanes: LogisticRegression) -> None:
        self._parts = []
        offset = 0
        coef = np.asarray(lanes.coef_, dtype=np.float64)
        for _, vectorizer in features.transformer_list:
            size = len(vectorizer.vocabulary_)
            self._parts.append(
                (
                    vectorizer.build_analyzer(),
                    vectorizer.vocabulary_,
                    np.asarray(vectorizer.idf_, dtype=np.float64),
                    np.ascontiguousarray(coef[:, offset : offset + size].T),
                )
            )
            offset += size
        self._intercept = np.asarray(lanes.intercept_, dtype=np.float64)
        vectorizers = [v for _, v in features.transformer_list]
        if not all(v.sublinear_tf and v.norm == "l2" and v.use_idf for v in vectorizers):
            raise ValueError("the fast path computes sublinear, idf-weighted, L2-normed TF-IDF")

    def probabilities(self, normalized: str) -> np.ndarray:
        decision = self._intercept.copy()
        for analyzer, vocabulary, idf, coef in self._parts:
            counts: dict[int, int] = {}
            for gram in analyzer(normalized):
                column = vocabulary.get(gram)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if not counts:
                continue
            columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            weights = (np.log(tf) + 1.0) * idf[columns]
            weights /= np.sqrt(weights @ weights)
            decision += weights @ coef[columns]
        if decision.shape[0] == 1:  # two lanes: sklearn's binary model, p = sigmoid
            positive = 1.0 / (1.0 + np.exp(-decision[0]))
            return np.array([1.0 - positive, positive])
        decision = np.exp(decision - decision.max())
        return decision / decision.sum()


def _class_name(row: LabeledExample) -> str:
    return f"{row.lane}/{row.intent or row.lane}"


class _EmbeddingModel:
    """Intents from sentence embeddings: a linear model and the nearest training rows."""

    def __init__(
        self,
        encoder: SentenceEncoder,
        vectors: np.ndarray,
        row_class: np.ndarray,
        classes: Sequence[str],
        coef: np.ndarray,
        intercept: np.ndarray,
    ) -> None:
        self.encoder = encoder
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.row_class = row_class.astype(np.int64)
        self.classes = [str(name) for name in classes]
        self.coef = np.ascontiguousarray(coef, dtype=np.float32)
        self.intercept = intercept.astype(np.float32)

    @classmethod
    def fit(
        cls, examples: Sequence[LabeledExample], encoder: SentenceEncoder, *, cache: bool
    ) -> _EmbeddingModel:
        labels = [_class_name(row) for row in examples]

        def build() -> dict[str, np.ndarray]:
            vectors = encoder.encode([row.text for row in examples])
            classes = sorted(set(labels))
            model = LogisticRegression(C=INTENT_C, max_iter=3000, random_state=0)
            with single_thread():
                model.fit(vectors, labels)
            coef, intercept = model.coef_, model.intercept_
            if len(classes) == 2:  # binary: sklearn keeps one row, p = sigmoid(z) = softmax(0, z)
                coef = np.vstack([np.zeros_like(coef), coef])
                intercept = np.concatenate([[0.0], intercept])
            index = {name: i for i, name in enumerate(classes)}
            return {
                "vectors": vectors,
                "row_class": np.array([index[name] for name in labels], dtype=np.int32),
                "classes": np.array(classes),
                "coef": coef.astype(np.float32),
                "intercept": np.asarray(intercept, dtype=np.float32),
            }

        expect = ("vectors", "row_class", "classes", "coef", "intercept")
        if cache:
            rows = "\n".join(json.dumps([r.text, r.lane, r.intent]) for r in examples)
            key = cache_key(encoder.version, RECIPE, rows)
            arrays = cached_arrays("router", key, build, expect)
        else:
            arrays = build()
        return cls(
            encoder,
            vectors=arrays["vectors"],
            row_class=arrays["row_class"],
            classes=[str(name) for name in arrays["classes"]],
            coef=arrays["coef"],
            intercept=arrays["intercept"],
        )

    def intent_probabilities(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(linear model, neighbours): a probability per class of `self.classes`."""
        vector = self.encoder.encode_one(text)
        logits = self.coef @ vector + self.intercept
        linear = np.exp(logits - logits.max())
        linear /= linear.sum()
        similarity = self.vectors @ vector
        k = min(NEIGHBOURS, len(similarity))
        nearest = np.argpartition(-similarity, k - 1)[:k]
        weights = np.exp((similarity[nearest] - similarity[nearest].max()) / TEMPERATURE)
        votes = np.bincount(self.row_class[nearest], weights=weights, minlength=len(self.classes))
        return linear.astype(np.float64), votes / votes.sum()


def _pooled(votes: Sequence[np.ndarray]) -> np.ndarray:
    """Geometric mean of the models' lane probabilities, renormalized (log-linear pooling).

    Where the models agree it stays as sure as they are (an arithmetic mean of 0.99, 0.97
    and 0.8 would say 0.92, and push agreed messages under the confidence thresholds that
    lanes and the clarify rule use); one model's near-zero vetoes a lane more strongly.
    On the style dev set it routed as well as the arithmetic mean (94.4% vs 94.0%).
    """
    logs = np.mean([np.log(np.clip(vote, 1e-6, 1.0)) for vote in votes], axis=0)
    pooled = np.exp(logs - logs.max())
    return np.asarray(pooled / pooled.sum())


class OfflineClassifier:
    """Lane + intent classifier trained from labeled examples; deterministic."""

    def __init__(self, words: _WordModel, embedding: _EmbeddingModel | None = None) -> None:
        self._words = words
        self._embedding = embedding
        lanes = self.lanes
        if embedding is not None:
            # class -> lane matrix: sums intent probabilities into the word model's lane order
            self._lane_of_class = np.array(
                [[float(name.split("/", 1)[0] == lane) for lane in lanes]
                 for name in embedding.classes]
            )  # fmt: skip
            self._intent_of_class = [name.split("/", 1)[1] for name in embedding.classes]

    @property
    def kind(self) -> str:
        """What votes: ``tfidf`` alone or ``tfidf+embeddings``."""
        return "tfidf" if self._embedding is None else "tfidf+embeddings"

    @classmethod
    def default(cls) -> OfflineClassifier:
        """The classifier trained on the committed train split (trained once per process)."""
        return _default_classifier()

    @classmethod
    def train(
        cls,
        rows: Iterable[LabeledExample],
        *,
        embeddings: bool = True,
        encoder: SentenceEncoder | None = None,
        cache: bool = True,
    ) -> OfflineClassifier:
        """Fit on `rows`. ``embeddings=False`` is the word model alone (the former router);
        ``cache=False`` recomputes the embedding side instead of reading or storing it."""
        examples = list(rows)
        if len({row.lane for row in examples}) < 2:
            raise ValueError("training needs examples of at least two lanes")
        words = _WordModel.fit(examples)
        embedding = None
        if embeddings:
            encoder = encoder or default_encoder()
            embedding = _EmbeddingModel.fit(examples, encoder, cache=cache)
        fields = {"rows": len(examples), "embeddings": embeddings}
        logger.info("router.offline.trained", extra={"fields": fields})
        return cls(words, embedding)

    @property
    def lanes(self) -> list[str]:
        return [str(lane) for lane in self._words.lanes.classes_]

    def predict(self, text: str) -> LanePrediction:
        with single_thread():  # every matmul of a prediction on one BLAS thread
            normalized = normalize_text(text)
            probabilities = self._words.lane_probabilities(normalized)
            if self._embedding is None:
                vector = self._words.features.transform([normalized])
                return self._prediction(
                    probabilities, lambda lane: self._words.intents.closest(vector, lane), {}
                )
            linear, neighbours = self._embedding.intent_probabilities(text)
        lanes = _pooled(
            (probabilities, linear @ self._lane_of_class, neighbours @ self._lane_of_class)
        )
        by_class = (linear + neighbours) / 2
        intent_scores: dict[str, float] = {}
        for name, p in zip(self._intent_of_class, by_class, strict=True):
            intent_scores[name] = intent_scores.get(name, 0.0) + float(p)

        def best_intent(lane: str) -> str:
            column = self._lane_of_class[:, self.lanes.index(lane)]
            own = np.where(column > 0, by_class, -1.0)
            return self._intent_of_class[int(np.argmax(own))]

        rounded = {name: round(p, 4) for name, p in sorted(intent_scores.items()) if p >= 5e-5}
        return self._prediction(lanes, best_intent, rounded)

    def _prediction(
        self,
        probabilities: np.ndarray,
        intent_of: Callable[[str], str],
        intent_scores: dict[str, float],
    ) -> LanePrediction:
        scores = {
            lane: round(float(p), 4) for lane, p in zip(self.lanes, probabilities, strict=True)
        }
        best = int(np.argmax(probabilities))
        lane = self.lanes[best]
        return LanePrediction(
            lane=lane,
            intent=intent_of(lane),
            confidence=round(float(probabilities[best]), 4),
            scores=scores,
            intent_scores=intent_scores,
        )


def load_examples(path: Path) -> list[LabeledExample]:
    """Rows of a JSONL dataset (extra keys ignored, blank lines skipped)."""
    with path.open(encoding="utf-8") as handle:
        return [LabeledExample.model_validate(json.loads(line)) for line in handle if line.strip()]


@lru_cache(maxsize=1)
def _default_classifier() -> OfflineClassifier:
    return OfflineClassifier.train(load_examples(TRAIN_PATH))
