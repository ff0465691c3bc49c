"""The chat model the LLM router uses: any OpenAI-compatible endpoint via `ChatOpenAI`.

`max_retries=0`: a failed call falls back to the offline router at once instead of
retrying inside a customer's turn; the timeout bounds how long a turn can wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr

from server.settings import Settings

if TYPE_CHECKING:  # langchain_openai pulls in openai: seconds a process routing offline saves
    from langchain_openai import ChatOpenAI

PLACEHOLDER_KEY = "not-needed"
"""Local servers (vLLM, Ollama) ignore the key, but the OpenAI client insists on one."""


def build_chat_model(settings: Settings) -> ChatOpenAI | None:
    """The configured chat model, or None when no LLM is configured (offline mode)."""
    if not settings.llm_configured:
        return None
    from langchain_openai import ChatOpenAI

    from server.llm_metrics import LLMCallMetrics

    return ChatOpenAI(
        model=settings.router_model,
        api_key=settings.openai_api_key or SecretStr(PLACEHOLDER_KEY),
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout_seconds,
        max_retries=0,
        temperature=0,
        callbacks=[LLMCallMetrics()],  # convo_llm_calls_total / convo_llm_call_seconds
    )
