"""Runs a router over labeled rows: one :class:`Prediction` per row, concurrently.

Latency is measured around ``router.route`` only. LLM tokens are collected with a LangChain
callback scoped to each row (a context variable, so concurrent rows don't mix their counts):
this works for any chat model the router calls, without the router reporting usage itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any, Protocol

from langchain_core.callbacks import UsageMetadataCallbackHandler
from langchain_core.tracers.context import register_configure_hook

from evals.dataset import RoutingExample
from evals.metrics import Prediction
from graph.understanding import Understanding

ERROR_METHOD = "error"
_usage: ContextVar[UsageMetadataCallbackHandler | None] = ContextVar(
    "convo_eval_usage", default=None
)


class RouterLike(Protocol):
    async def route(
        self, text: str, *, current_lane: str | None = None, sticky_active: bool = False
    ) -> Understanding: ...


@cache
def _register_usage_hook() -> None:
    """Once per process: chat models called while ``_usage`` is set report to its handler."""
    register_configure_hook(_usage, inheritable=True)


def tokens_of(handler: UsageMetadataCallbackHandler) -> tuple[int | None, int | None]:
    """(prompt, completion) tokens summed over every model the row called; None if none ran."""
    usage: dict[str, Any] = handler.usage_metadata
    if not usage:
        return None, None
    prompt = sum(int(item.get("input_tokens", 0)) for item in usage.values())
    completion = sum(int(item.get("output_tokens", 0)) for item in usage.values())
    return prompt, completion


@contextmanager
def capture_usage() -> Iterator[UsageMetadataCallbackHandler]:
    """Collects the tokens of every chat model call made inside the block (this task only)."""
    _register_usage_hook()
    handler = UsageMetadataCallbackHandler()
    token = _usage.set(handler)
    try:
        yield handler
    finally:
        _usage.reset(token)


async def predict_row(router: RouterLike, row: RoutingExample) -> Prediction:
    """Route one row. A router that raises is recorded as method ``error`` (not correct)."""
    decision: Understanding | None = None
    error: str | None = None
    with capture_usage() as handler:
        started = time.perf_counter()
        try:
            decision = await router.route(row.text)
        except Exception as exc:  # a run of hundreds of paid calls must not die on one row
            error = f"{type(exc).__name__}: {exc}"
        elapsed_ms = (time.perf_counter() - started) * 1000
    prompt, completion = tokens_of(handler)
    return Prediction(
        text=row.text,
        lang=row.lang,
        expected=row.lane,
        predicted=decision.lane if decision else ERROR_METHOD,
        method=decision.method if decision else ERROR_METHOD,
        intent=decision.intent if decision else "",
        confidence=decision.confidence if decision else 0.0,
        latency_ms=round(elapsed_ms, 3),
        line=row.line,
        id=row.id,
        expected_intent=row.intent,
        prompt_tokens=prompt,
        completion_tokens=completion,
        error=error,
        fallback_reason=decision.fallback_reason if decision else None,
    )


async def run_routing(
    router: RouterLike,
    rows: Sequence[RoutingExample],
    *,
    concurrency: int = 4,
    on_result: Callable[[Prediction], None] | None = None,
) -> list[Prediction]:
    """Predictions in dataset order; ``on_result`` is called as each row finishes (progress)."""
    semaphore = asyncio.Semaphore(max(1, concurrency))

    async def one(row: RoutingExample) -> Prediction:
        async with semaphore:
            prediction = await predict_row(router, row)
        if on_result is not None:
            on_result(prediction)
        return prediction

    return list(await asyncio.gather(*(one(row) for row in rows)))


def errors_of(predictions: Iterable[Prediction]) -> list[Prediction]:
    return [p for p in predictions if p.method == ERROR_METHOD]
