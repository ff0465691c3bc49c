"""The worker warms its LLM client at start-up without a network call or a counted call."""

from __future__ import annotations

import asyncio

import respx

from server.llm_warm_up import warm_up_llm_client
from server.settings import Settings


@respx.mock(assert_all_called=False)
async def test_the_warm_up_runs_a_routing_call_in_process(respx_mock) -> None:
    """One routing call through the real client stack, answered in-process: nothing goes to
    the configured endpoint (respx would see any request that leaves the process)."""
    route = respx_mock.route()  # any request at all
    settings = Settings(
        CONVO_ENV="development", OPENAI_BASE_URL="http://llm.example/v1", ROUTER_MODE="llm"
    )
    assert await asyncio.to_thread(warm_up_llm_client, settings) is True
    assert not route.called


async def test_no_warm_up_without_an_llm() -> None:
    assert await asyncio.to_thread(warm_up_llm_client, Settings(CONVO_ENV="development")) is False
    offline = Settings(
        CONVO_ENV="development", OPENAI_BASE_URL="http://llm.example/v1", ROUTER_MODE="offline"
    )
    assert await asyncio.to_thread(warm_up_llm_client, offline) is False
