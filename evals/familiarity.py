"""How close a test row is to the training data: "familiar" vs "unfamiliar" rows.

A test row is **unfamiliar** when no training row is similar to it: the cosine similarity
between its character n-gram TF-IDF vector and every training row's is below
``UNFAMILIAR_BELOW`` (0.8). The vectors: ``char_wb`` 2-5-grams, lowercased, accents
stripped, sublinear term frequency, fitted on the training rows only. Near-copies ("where
is my order?" vs "hello! where is my order pls") score ~0.85-0.95, a rephrasing with other
words ~0.3-0.6, so accuracy on unfamiliar rows estimates how the router does on messages
it has not seen a variant of, which is what real traffic mostly is.

This module depends on scikit-learn only (no router code): ``nearest_similarity`` is the
whole measure.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer

UNFAMILIAR_BELOW = 0.8
"""A test row whose nearest training row's cosine is below this is "unfamiliar"."""
MEASURE = (
    "cosine of char_wb 2-5-gram TF-IDF (lowercase, accents stripped, sublinear tf, "
    "fitted on the train split) to the nearest train row"
)
DEFAULT_TRAIN = Path(__file__).resolve().parent / "datasets" / "routing_train.jsonl"
_CHUNK = 512


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        lowercase=True,
        strip_accents="unicode",
        sublinear_tf=True,
    )


def nearest_similarity(texts: Sequence[str], train_texts: Sequence[str]) -> list[float]:
    """For every text, the highest cosine similarity to any training text (0.0 without any)."""
    if not texts:
        return []
    if not train_texts:
        return [0.0] * len(texts)
    vectorizer = _vectorizer().fit(train_texts)
    train = vectorizer.transform(train_texts).T.tocsr()
    best: list[float] = []
    for start in range(0, len(texts), _CHUNK):
        block = vectorizer.transform(texts[start : start + _CHUNK]) @ train
        best += [float(value) for value in block.max(axis=1).toarray().ravel()]
    return [round(min(value, 1.0), 4) for value in best]


def is_unfamiliar(similarity: float | None) -> bool:
    return similarity is not None and similarity < UNFAMILIAR_BELOW
