"""With an LLM configured, info questions the profile data can't match deterministically are
answered by the model from the tenant's facts only; failures and UNKNOWN fall back."""

from __future__ import annotations

import httpx
import respx
from graph_support import (
    LLM_BASE_URL,
    Conversation,
    chat_model,
    completion,
    context,
    scripted_router,
    texts,
)

QUESTION = "can I work from your shop with my laptop all afternoon"
CANNED = "I don't have that information"


UNKNOWN = "do you rent bicycles?"


def chat(mode: str = "hybrid") -> Conversation:
    router = scripted_router(
        {QUESTION: ("info", 0.95), "is there parking?": ("info", 0.95), UNKNOWN: ("info", 0.95)}
    )
    return Conversation(context(router, chat_model=chat_model(), router_mode=mode))


@respx.mock(base_url=LLM_BASE_URL)
async def test_the_llm_answers_from_the_tenant_facts_only(respx_mock) -> None:
    api = respx_mock.post("/chat/completions").mock(
        return_value=completion("Yes! Both shops have free Wi-Fi, open until 19:00 today.")
    )
    result = await chat().send("is there parking?")
    assert texts(result) == "Yes! Both shops have free Wi-Fi, open until 19:00 today."
    prompt = api.calls.last.request.content.decode()
    assert "Rua Augusta 1500" in prompt and "Use ONLY the facts below" in prompt
    assert "UNKNOWN" in prompt


@respx.mock(base_url=LLM_BASE_URL)
async def test_unknown_or_failing_llm_gives_the_canned_answer(respx_mock) -> None:
    route = respx_mock.post("/chat/completions")
    route.side_effect = [completion("UNKNOWN"), httpx.Response(500), httpx.ReadTimeout("slow")]
    conversation = chat()
    for _ in range(3):
        assert CANNED in texts(await conversation.send(UNKNOWN))
    assert route.call_count == 3


@respx.mock(base_url=LLM_BASE_URL, assert_all_called=False)
async def test_deterministic_answers_and_offline_mode_never_call_the_llm(respx_mock) -> None:
    api = respx_mock.post("/chat/completions").mock(return_value=completion("nope"))
    assert "free Wi-Fi" in texts(await chat().send(QUESTION))  # the FAQ matched
    assert CANNED in texts(await chat("offline").send(UNKNOWN))
    assert api.call_count == 0
