"""Settings -> chat model and graph context: offline without a key, hybrid with one."""

from __future__ import annotations

import pytest
import respx
from graph_support import LLM_BASE_URL, completion, route_json
from langchain_openai import ChatOpenAI

from server.graph_runtime import build_context
from server.llm import build_chat_model
from server.settings import get_settings


def test_without_an_llm_the_context_is_offline() -> None:
    context = build_context(get_settings())
    assert (context.router_mode, context.chat_model) == ("offline", None)


def test_with_a_key_the_default_mode_is_hybrid_and_the_client_fails_fast(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "3.5")
    settings = get_settings()
    context = build_context(settings)
    assert context.router_mode == "hybrid"
    model = context.chat_model
    assert isinstance(model, ChatOpenAI)
    assert (model.max_retries, model.request_timeout) == (0, 3.5)


def test_router_mode_setting_wins(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", LLM_BASE_URL)
    monkeypatch.setenv("ROUTER_MODE", "llm")
    assert build_context(get_settings()).router_mode == "llm"


@respx.mock(base_url=LLM_BASE_URL)
async def test_a_keyless_local_endpoint_works(monkeypatch, respx_mock) -> None:
    """vLLM / Ollama need no key: the placeholder keeps the OpenAI client happy."""
    monkeypatch.setenv("OPENAI_BASE_URL", LLM_BASE_URL)
    api = respx_mock.post("/chat/completions").mock(return_value=completion(route_json("info")))
    model = build_chat_model(get_settings())
    assert model is not None
    await model.ainvoke("hi")
    assert api.calls.last.request.headers["authorization"] == "Bearer not-needed"


@pytest.mark.parametrize("mode", ["offline", "hybrid"])
def test_the_context_builds_its_router_once(monkeypatch, mode: str) -> None:
    monkeypatch.setenv("ROUTER_MODE", mode)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    from nodes.registry import default_registry

    context = build_context(get_settings())
    registry = default_registry()
    assert context.router_for(registry) is context.router_for(registry)
    assert context.router_for(registry).mode == mode
