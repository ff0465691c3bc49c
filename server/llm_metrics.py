"""Counting chat-model calls from the outside: a LangChain callback on the chat model.

The router and the lanes call the model (`nodes/`, which never import `server/`); the
callback attached by `server.llm.build_chat_model` sees every call start, end or fail and
records it in `convo_llm_calls_total` / `convo_llm_call_seconds`. The *purpose* label is
the graph node that made the call (LangGraph puts `langgraph_node` in the run metadata),
e.g. `route` or `answer`; `direct` outside a graph (evals, scripts).
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

import openai
from langchain_core.callbacks import AsyncCallbackHandler

from server import metrics


def call_outcome(error: BaseException | None) -> str:
    """`ok`, or the kind of failure (a small fixed set, for the metric's label)."""
    if error is None:
        return "ok"
    if isinstance(error, openai.APITimeoutError | TimeoutError):
        return "timeout"
    if isinstance(error, openai.RateLimitError):
        return "rate_limited"
    if isinstance(error, openai.APIStatusError):
        return "server_error" if error.status_code >= 500 else "client_error"
    if isinstance(error, openai.APIConnectionError | ConnectionError):
        return "connection_error"
    return "error"


def _purpose(metadata: dict[str, Any] | None) -> str:
    node = (metadata or {}).get("langgraph_node")
    return str(node) if node else "direct"


class LLMCallMetrics(AsyncCallbackHandler):
    """Times each chat-model run by its run id; one instance serves every call."""

    def __init__(self) -> None:
        self._started: dict[UUID, tuple[float, str]] = {}

    async def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[Any]],
        *,
        run_id: UUID,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._started[run_id] = (time.perf_counter(), _purpose(metadata))

    async def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._finish(run_id, None)

    async def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._finish(run_id, error)

    def _finish(self, run_id: UUID, error: BaseException | None) -> None:
        started = self._started.pop(run_id, None)
        if started is None:
            return
        began, purpose = started
        metrics.record_llm_call(purpose, call_outcome(error), time.perf_counter() - began)
