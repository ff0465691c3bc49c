"""Warming the LLM client at start-up: one routing call answered in-process, no network.

A process's first call of the OpenAI client does one-off work worth a second or more of CPU
on a busy machine (the request schema's type hints, the response format's JSON schema, lazy
imports); every later call reuses it. The worker does it before its first job, so the first
turns (which would all wait on it at once) do not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import httpx
from pydantic import SecretStr

from server.llm import PLACEHOLDER_KEY
from server.logging import get_logger
from server.settings import Settings

log = get_logger(__name__)


WARM_UP_BASE_URL = "http://llm-warm-up.invalid/v1"
"""Never reached: the warm-up client answers from an in-process transport."""


def warm_up_llm_client(settings: Settings) -> bool:
    """Run one routing call through the LLM client stack (the configured model name, the
    router's prompt and answer format) against an in-process stand-in. Nothing leaves the
    process, no metric is counted; best effort (False when it did not run). Blocking: call
    it from a thread (it runs its own event loop)."""
    if not settings.llm_configured or settings.effective_router_mode == "offline":
        return False
    started = time.monotonic()
    try:
        asyncio.run(_warm_up_call(settings))
    except Exception as exc:  # a warm-up problem must not stop the worker: the first turn pays
        log.warning("llm.warm_up_failed", error=type(exc).__name__)
        return False
    log.info("llm.warmed_up", duration_ms=int((time.monotonic() - started) * 1000))
    return True


async def _warm_up_call(settings: Settings) -> None:
    from langchain_openai import ChatOpenAI

    from nodes.registry import default_registry
    from nodes.router.config import RouterConfig
    from nodes.router.errors import LLMRouteError
    from nodes.router.llm import LLMClassifier

    registry = list(default_registry())
    answer = {"lane": registry[0].name, "intent": "warm_up", "confidence": 1.0}

    def respond(request: httpx.Request) -> httpx.Response:
        message = {"role": "assistant", "content": json.dumps(answer), "refusal": None}
        return httpx.Response(200, json={
            "id": "chatcmpl-warm-up", "object": "chat.completion", "created": 0,
            "model": settings.router_model,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop",
                         "logprobs": None}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        })  # fmt: skip

    async with httpx.AsyncClient(transport=httpx.MockTransport(respond)) as client:
        model = ChatOpenAI(
            model=settings.router_model,
            api_key=SecretStr(PLACEHOLDER_KEY),
            base_url=WARM_UP_BASE_URL,
            http_async_client=client,
            max_retries=0,
            temperature=0,
        )
        classifier = LLMClassifier(model, registry, RouterConfig().llm_method)
        with contextlib.suppress(LLMRouteError):
            await classifier.classify("warm up")
