"""The offline router: a small linear text classifier that needs no network.

Lanes are predicted by a logistic regression over TF-IDF word 1-2 grams and character
2-5 grams of a normalized text (lowercase, no accents, ``{{placeholders}}`` and digits
replaced by tokens, stretched letters collapsed), which keeps it robust to typos, missing
apostrophes and the three languages mixed in one model. The intent is a vote of the
nearest training rows inside the predicted lane. ``OfflineClassifier.default()`` trains once per
process from ``evals/datasets/routing_train.jsonl`` only: the test split never leaks in.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
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
from threadpoolctl import threadpool_limits

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


class OfflineClassifier:
    """Lane + intent classifier trained from labeled examples; deterministic."""

    def __init__(
        self, features: FeatureUnion, lanes: LogisticRegression, intents: _IntentIndex
    ) -> None:
        self._features = features
        self._lanes = lanes
        self._intents = intents

    @classmethod
    def default(cls) -> OfflineClassifier:
        """The classifier trained on the committed train split (trained once per process)."""
        return _default_classifier()

    @classmethod
    def train(cls, rows: Iterable[LabeledExample]) -> OfflineClassifier:
        examples = list(rows)
        if len({row.lane for row in examples}) < 2:
            raise ValueError("training needs examples of at least two lanes")
        texts = [normalize_text(row.text) for row in examples]
        features = _vectorizer()
        matrix = features.fit_transform(texts)
        lanes = LogisticRegression(C=8.0, max_iter=3000, random_state=0)
        # One BLAS thread: on a busy machine thread contention made the fit 4x slower.
        with threadpool_limits(limits=1):
            lanes.fit(matrix, [row.lane for row in examples])
        logger.info("router.offline.trained", extra={"fields": {"rows": len(examples)}})
        return cls(features, lanes, _IntentIndex(examples, matrix))

    @property
    def lanes(self) -> list[str]:
        return [str(lane) for lane in self._lanes.classes_]

    def predict(self, text: str) -> LanePrediction:
        vector = self._features.transform([normalize_text(text)])
        probabilities = self._lanes.predict_proba(vector)[0]
        scores = {
            lane: round(float(p), 4) for lane, p in zip(self.lanes, probabilities, strict=True)
        }
        best = int(np.argmax(probabilities))
        lane = self.lanes[best]
        return LanePrediction(
            lane=lane,
            intent=self._intents.closest(vector, lane),
            confidence=round(float(probabilities[best]), 4),
            scores=scores,
        )


def load_examples(path: Path) -> list[LabeledExample]:
    """Rows of a JSONL dataset (extra keys ignored, blank lines skipped)."""
    with path.open(encoding="utf-8") as handle:
        return [LabeledExample.model_validate(json.loads(line)) for line in handle if line.strip()]


@lru_cache(maxsize=1)
def _default_classifier() -> OfflineClassifier:
    return OfflineClassifier.train(load_examples(TRAIN_PATH))
