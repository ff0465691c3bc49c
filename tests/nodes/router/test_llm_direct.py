"""The routing call's direct path sends what LangChain's structured output would send, and
the callbacks LangChain would run still see the call (metrics, token counters)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx
from graph_support import LLM_BASE_URL, chat_model, completion, route_json
from langchain_core.callbacks import UsageMetadataCallbackHandler
from langchain_core.messages import HumanMessage, SystemMessage

from nodes.registry import default_registry
from nodes.router.errors import LLMRouteError
from nodes.router.llm import LLMClassifier, LLMRoute


def _sent(route: respx.Route) -> dict[str, Any]:
    return json.loads(route.calls.last.request.content)


@respx.mock(base_url=LLM_BASE_URL)
async def test_the_direct_call_sends_the_body_langchain_would_send(respx_mock) -> None:
    api = respx_mock.post("/chat/completions").mock(return_value=completion(route_json("info")))
    model = chat_model(temperature=0)
    classifier = LLMClassifier(model, list(default_registry()), "json_schema")
    assert classifier._direct is not None  # the fast path is the one under test

    verdict = await classifier.classify("¿a qué hora abren?")
    direct = _sent(api)
    structured = model.with_structured_output(LLMRoute, method="json_schema", include_raw=True)
    await structured.ainvoke(
        [SystemMessage(classifier.prompt.text), HumanMessage("¿a qué hora abren?")]
    )
    assert direct == _sent(api)
    assert (verdict.lane, verdict.intent, verdict.confidence) == ("info", "llm_intent", 0.9)


@respx.mock(base_url=LLM_BASE_URL)
async def test_the_direct_call_reports_its_tokens_to_the_models_callbacks(respx_mock) -> None:
    respx_mock.post("/chat/completions").mock(
        side_effect=[completion(route_json("commerce")), completion('{"lane": ')]
    )
    usage = UsageMetadataCallbackHandler()
    classifier = LLMClassifier(
        chat_model(callbacks=[usage]), list(default_registry()), "json_schema"
    )
    await classifier.classify("você tem canecas?")
    assert usage.usage_metadata["gpt-4o-mini"]["input_tokens"] == 100
    assert usage.usage_metadata["gpt-4o-mini"]["output_tokens"] == 12
    # An answer that does not parse is the run's error, as inside LangChain: no tokens.
    with pytest.raises(LLMRouteError, match="malformed"):
        await classifier.classify("do you have mugs?")
    assert usage.usage_metadata["gpt-4o-mini"]["input_tokens"] == 100


async def test_function_calling_keeps_langchains_structured_output() -> None:
    classifier = LLMClassifier(chat_model(), list(default_registry()), "function_calling")
    assert classifier._direct is None
