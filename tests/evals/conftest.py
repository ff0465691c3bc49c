"""Fixtures for the eval suite: small datasets written per test and a scripted router."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from graph.understanding import Understanding
from nodes.router import RouterConfig

ROWS: list[dict[str, Any]] = [
    {"text": "what time do you close?", "lane": "info", "lang": "en", "intent": "hours"},
    {"text": "do you ship to Lima?", "lane": "info", "lang": "en", "source": "extra keys ignored"},
    {"text": "quiero 2 pizzas", "lane": "commerce", "lang": "es"},
    {"text": "cancela mi pedido", "lane": "commerce", "lang": "es"},
    {"text": "meu pacote nunca chegou", "lane": "support", "lang": "pt"},
    {"text": '<b>refund</b> & "now" <script>alert(1)</script>', "lane": "support", "lang": "en"},
]

# What the scripted router answers for each text: (lane, method).
ANSWERS: dict[str, tuple[str, str]] = {
    "what time do you close?": ("info", "offline"),
    "do you ship to Lima?": ("commerce", "offline"),
    "quiero 2 pizzas": ("commerce", "offline"),
    "cancela mi pedido": ("commerce", "clarify"),
    "meu pacote nunca chegou": ("support", "offline"),
    '<b>refund</b> & "now" <script>alert(1)</script>': ("info", "offline"),
}


class ScriptedRouter:
    """Answers from a table; unknown text raises, like a router that failed on a row."""

    def __init__(self, answers: Mapping[str, tuple[str, str]]) -> None:
        self.config = RouterConfig()
        self.answers = dict(answers)
        self.calls: list[str] = []

    async def route(
        self,
        text: str,
        *,
        current_lane: str | None = None,
        sticky_active: bool = False,
        **reading: Any,
    ) -> Understanding:
        """`reading` is what the graph's `route` node adds (language, entities, profile)."""
        self.calls.append(text)
        lane, method = self.answers[text]
        return Understanding(
            lane=lane,
            intent=lane,
            confidence=0.9,
            language=reading.get("language") or "en",
            sticky_seconds=0,
            method=method,  # type: ignore[arg-type]
        )


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[[str, Iterable[Any]], Path]:
    def write(name: str, rows: Iterable[Any]) -> Path:
        path = tmp_path / name
        lines = [
            row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write


@pytest.fixture
def routing_dataset(write_jsonl: Callable[[str, Iterable[Any]], Path]) -> Path:
    return write_jsonl("routing.jsonl", ROWS)


@pytest.fixture
def scripted_router(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ScriptedRouter:
    """`convo eval routing` scores this router instead of building the real one (and
    measures familiarity against a one-row training file, not the real split)."""
    router = ScriptedRouter(ANSWERS)
    monkeypatch.setattr("evals.routers.build_eval_router", lambda mode, settings, **knobs: router)
    train = tmp_path / "default_train.jsonl"
    train.write_text('{"text": "hello there", "lane": "info", "lang": "en"}\n', encoding="utf-8")
    monkeypatch.setattr("evals.familiarity.DEFAULT_TRAIN", train)
    monkeypatch.setenv("COLUMNS", "200")
    return router


@pytest.fixture
def make_router() -> Callable[[Mapping[str, tuple[str, str]]], ScriptedRouter]:
    return ScriptedRouter


@pytest.fixture(autouse=True)
def _restore_root_logging() -> Iterator[None]:
    """`convo` configures root logging (JSON to the test's stderr): undo it after each test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
