"""Loading eval datasets: JSONL files whose bad rows are reported by line number.

A routing row needs ``text``, ``lane`` and ``lang``; ``intent`` and ``id`` are optional and any
other key is ignored, so any JSONL with those three keys can be scored. A conversation row is
``{"id", "lang", "turns": [{"text", "lane"}, ...], "tags"?}``. An entity row is
``{"text", "lang", "shown"?, "entities": {...}}``: the entities the message carries, with the
field names of :class:`graph.understanding.Entities` (see ``datasets/README.md``).
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from evals.errors import DatasetError
from graph.understanding import Entities

LANES: tuple[str, ...] = ("info", "commerce", "support")
DATASETS_DIR = Path(__file__).resolve().parent / "datasets"
DEFAULT_ROUTING_DATASET = DATASETS_DIR / "routing_test.jsonl"
CONVERSATIONS_DEV = DATASETS_DIR / "conversations_dev.jsonl"
"""Conversations for tuning: rules, word lists and prompt examples may be drawn from these."""
CONVERSATIONS_TEST = DATASETS_DIR / "conversations_test.jsonl"
"""The frozen conversation test set: nothing is tuned on it or taken from it."""
DEFAULT_CONVERSATION_SETS = {"dev": CONVERSATIONS_DEV, "test": CONVERSATIONS_TEST}
DEFAULT_ENTITY_SETS = {
    "dev": DATASETS_DIR / "entities_dev.jsonl",
    "test": DATASETS_DIR / "entities_test.jsonl",
}
"""Entity-labelled messages: ``dev`` for finding and fixing extractor bugs, ``test`` frozen
(written before the extractor was run on it; nothing is tuned on it)."""

Row = TypeVar("Row", bound=BaseModel)


def _known_lane(value: str) -> str:
    if value not in LANES:
        raise ValueError(f"lane {value!r} is not one of {', '.join(LANES)}")
    return value


class RoutingExample(BaseModel):
    """One labeled message: the lane that should answer it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    text: str = Field(min_length=1)
    lane: str
    lang: str = Field(min_length=1)
    intent: str | None = None
    id: str | None = None
    line: int = 0
    """1-based line number in the dataset file (set by the loader)."""

    _lane = field_validator("lane")(_known_lane)


class EntityExample(BaseModel):
    """One message and the entities it carries, read against the demo catalog."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(min_length=1)
    lang: str = Field(min_length=1)
    shown: tuple[str, ...] = ()
    """The SKUs the bot listed last, in order ("the second one" picks from these)."""
    entities: Entities
    line: int = 0


class ExpectedTurn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    text: str = Field(min_length=1)
    lane: str

    _lane = field_validator("lane")(_known_lane)


class Conversation(BaseModel):
    """A scripted conversation with the lane expected at every turn."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1)
    lang: str = Field(min_length=1)
    turns: tuple[ExpectedTurn, ...] = Field(min_length=1)
    tags: tuple[str, ...] = ()
    line: int = 0


class Dataset(BaseModel, Generic[Row]):
    """Rows plus where they came from (the report records path and sha256)."""

    model_config = ConfigDict(frozen=True)

    path: str
    sha256: str
    rows: tuple[Row, ...]


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    if first["type"] == "missing":
        return f"missing required key {where!r}"
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _parse_lines(path: Path, model: type[Row], limit: int | None) -> list[Row]:
    rows: list[Row] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            if limit is not None and len(rows) >= limit:
                break
            rows.append(_parse_row(path, number, line, model))
    return rows


def _parse_row(path: Path, number: int, line: str, model: type[Row]) -> Row:
    try:
        raw: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
    if not isinstance(raw, dict):
        raise DatasetError(f"{path}:{number}: expected a JSON object, got {type(raw).__name__}")
    try:
        return model.model_validate({**raw, "line": number})
    except ValidationError as exc:
        raise DatasetError(f"{path}:{number}: {_describe(exc)}") from exc


def _load(path: Path, model: type[Row], limit: int | None) -> Dataset[Row]:
    if not path.is_file():
        raise DatasetError(f"{path}: dataset file not found")
    rows = _parse_lines(path, model, limit)
    if not rows:
        raise DatasetError(f"{path}: the dataset has no rows")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Dataset(path=str(path), sha256=digest, rows=tuple(rows))


def sample_rows(dataset: Dataset[Row], size: int | None, seed: int = 0) -> Dataset[Row]:
    """A reproducible random sample of ``size`` rows, kept in file order (all rows if None).

    Datasets are often sorted by lane or language, so the first N rows are a biased
    sample; use this to bound the cost of an LLM run instead.
    """
    if size is None or size >= len(dataset.rows):
        return dataset
    picked = sorted(random.Random(seed).sample(range(len(dataset.rows)), size))
    return dataset.model_copy(update={"rows": tuple(dataset.rows[i] for i in picked)})


def load_routing_dataset(
    path: Path, *, limit: int | None = None, sample: int | None = None
) -> Dataset[RoutingExample]:
    """Single-turn rows; raises :class:`DatasetError` naming the file and line of a bad row."""
    return sample_rows(_load(path, RoutingExample, limit), sample)


def load_conversations(
    path: Path, *, limit: int | None = None, sample: int | None = None
) -> Dataset[Conversation]:
    """Multi-turn conversations; raises :class:`DatasetError` naming the bad line."""
    return sample_rows(_load(path, Conversation, limit), sample)


def load_entity_dataset(path: Path, *, limit: int | None = None) -> Dataset[EntityExample]:
    """Entity-labelled rows; raises :class:`DatasetError` naming the bad line (a misspelt
    entity key is an error, not a silently empty label)."""
    return _load(path, EntityExample, limit)
