"""Every LLM failure falls back to the offline router, logged with a reason; none raises.

The real ChatOpenAI client talks to a respx-mocked OpenAI API, so the openai / langchain
error paths are the production ones.
"""

from __future__ import annotations

import httpx
import pytest
import respx
from graph_support import LLM_BASE_URL, ScriptedClassifier, chat_model, completion, route_json

from nodes.router import RouterConfig, build_router

OFFLINE = {"my order is late": ("support", 0.8)}

FAILURES = {
    "timeout": httpx.ReadTimeout("read timed out"),
    "connection": httpx.ConnectError("connection refused"),
    "rate_limited": httpx.Response(
        429, json={"error": {"message": "slow down", "type": "rate_limit"}}
    ),
    "server_error": httpx.Response(503, json={"error": {"message": "overloaded"}}),
    "server_error_500": httpx.Response(500, text="internal error"),
    "client_error": httpx.Response(401, json={"error": {"message": "bad key"}}),
    "refusal": completion(None, refusal="I can't help with that."),
    "malformed": completion('{"lane": "support", "intent": '),
    "malformed_schema": completion('{"lane": "support"}'),
    "not_json": completion("Sure! The lane is support."),
    "truncated": completion('{"lane": "supp', finish_reason="length"),
    "unknown_lane": completion(route_json("billing")),
}
EXPECTED_REASON = {
    "server_error_500": "server_error",
    "malformed_schema": "malformed",
    "not_json": "malformed",
}


def _router(method: str = "json_schema"):
    config = RouterConfig(llm_method=method)  # type: ignore[arg-type]
    return build_router(
        "llm", chat_model=chat_model(), config=config, classifier=ScriptedClassifier(OFFLINE)
    )


@pytest.mark.parametrize("case", sorted(FAILURES))
@respx.mock(base_url=LLM_BASE_URL)
async def test_llm_failure_falls_back_to_the_offline_decision(
    respx_mock, caplog, case: str
) -> None:
    outcome = FAILURES[case]
    route = respx_mock.post("/chat/completions")
    if isinstance(outcome, Exception):
        route.mock(side_effect=outcome)
    else:
        route.mock(return_value=outcome)
    caplog.set_level("WARNING", logger="nodes.router.router")
    decision = await _router().route("my order is late")
    reason = EXPECTED_REASON.get(case, case)
    assert (decision.lane, decision.method, decision.fallback_reason) == (
        "support",
        "fallback",
        reason,
    )
    logged = [r for r in caplog.records if r.getMessage() == "router.llm.fallback"]
    assert logged and logged[0].fields["reason"] == reason
    assert route.call_count == 1  # max_retries=0: no hidden retries inside a turn


@respx.mock(base_url=LLM_BASE_URL)
async def test_function_calling_with_truncated_arguments_falls_back(respx_mock) -> None:
    """With tool calls, truncated JSON arguments parse to None instead of raising."""
    respx_mock.post("/chat/completions").mock(
        return_value=completion(None, tool_arguments='{"lane": "sup', finish_reason="length")
    )
    decision = await _router("function_calling").route("my order is late")
    assert (decision.method, decision.fallback_reason) == ("fallback", "truncated")


@respx.mock(base_url=LLM_BASE_URL)
async def test_function_calling_with_broken_arguments_falls_back(respx_mock) -> None:
    respx_mock.post("/chat/completions").mock(
        return_value=completion(None, tool_arguments='{"lane": "support", "intent": ')
    )
    decision = await _router("function_calling").route("my order is late")
    assert (decision.method, decision.fallback_reason) == ("fallback", "malformed")


@respx.mock(base_url=LLM_BASE_URL)
async def test_function_calling_happy_path(respx_mock) -> None:
    respx_mock.post("/chat/completions").mock(
        return_value=completion(
            None, tool_arguments=route_json("info", 0.8), finish_reason="tool_calls"
        )
    )
    decision = await _router("function_calling").route("my order is late")
    assert (decision.lane, decision.method) == ("info", "llm")


@respx.mock(base_url=LLM_BASE_URL)
async def test_a_transient_failure_does_not_poison_the_next_turn(respx_mock) -> None:
    route = respx_mock.post("/chat/completions")
    route.side_effect = [httpx.Response(429, json={}), completion(route_json("commerce"))]
    router = _router()
    assert (await router.route("my order is late")).method == "fallback"
    assert (await router.route("my order is late")).method == "llm"


@respx.mock(base_url=LLM_BASE_URL)
async def test_llm_mode_runs_the_offline_model_only_to_fall_back(respx_mock) -> None:
    """In `llm` mode the offline decision is the fallback only: a turn the LLM answers does
    not pay for it; a failed call still falls back to it (and `hybrid` still asks it first)."""
    route = respx_mock.post("/chat/completions")
    route.side_effect = [completion(route_json("commerce")), httpx.Response(503, json={})]
    classifier = ScriptedClassifier(OFFLINE)
    router = build_router("llm", chat_model=chat_model(), classifier=classifier)
    assert (await router.route("my order is late")).method == "llm"
    assert classifier.calls == []
    decision = await router.route("my order is late")
    assert (decision.lane, decision.method) == ("support", "fallback")
    assert classifier.calls == ["my order is late"]

    hybrid_classifier = ScriptedClassifier({"my order is late": ("support", 0.99)})
    hybrid = build_router("hybrid", chat_model=chat_model(), classifier=hybrid_classifier)
    assert (await hybrid.route("my order is late")).method != "llm"
    assert hybrid_classifier.calls == ["my order is late"]
    assert route.call_count == 2


class _Trickle(httpx.AsyncByteStream):
    """A response body that arrives one byte at a time: every read is quick, so a
    per-read timeout never fires, but the whole answer would take minutes."""

    def __init__(self, body: bytes, gap_s: float) -> None:
        self.body, self.gap_s = body, gap_s

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        import asyncio

        for index in range(len(self.body)):
            await asyncio.sleep(self.gap_s)
            yield self.body[index : index + 1]


@respx.mock(base_url=LLM_BASE_URL)
async def test_a_trickling_endpoint_hits_the_total_deadline_and_falls_back(respx_mock) -> None:
    import json

    body = json.dumps(completion(route_json("commerce")).json()).encode()
    respx_mock.post("/chat/completions").mock(
        side_effect=lambda request: httpx.Response(
            200, headers={"content-type": "application/json"}, stream=_Trickle(body, 0.5)
        )
    )
    router = build_router(
        "llm", chat_model=chat_model(timeout=0.5), classifier=ScriptedClassifier(OFFLINE)
    )
    decision = await router.route("my order is late")
    assert (decision.lane, decision.method, decision.fallback_reason) == (
        "support",
        "fallback",
        "timeout",
    )
