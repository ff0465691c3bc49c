"""`/metrics` after real turns: signed webhooks -> real worker -> real controller -> scrape.

Counters are process-wide, so each test reads the page before and after and checks the
difference.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest
import respx
from graph_support import LLM_BASE_URL, completion, route_json
from prometheus_client.parser import text_string_to_metric_families
from webhook_support import meta_bytes, post_webhook, running_app

from server import metrics
from server.agents.tokens import issue
from server.chat_payloads import ChatUser, reply_payload, text_payload
from server.llm import build_chat_model
from server.locks import LockConfig, LockError, SessionLock
from server.settings import get_settings
from server.whatsapp import metrics as send_counters
from server.worker import build_worker

REPO = Path(__file__).resolve().parents[2]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(page: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of `name` over the series matching `labels` (0 when none exists yet)."""
    wanted = set(labels.items())
    return sum(v for (n, lbls), v in samples.items() if n == name and wanted <= lbls)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


async def drain(app) -> None:  # type: ignore[no-untyped-def]
    worker = build_worker(app.state.resources, burst=True, handle_signals=False)
    try:
        await worker.async_run()
    finally:
        await worker.close()


def _tap(user: ChatUser, wamid: str, lane: str) -> dict[str, object]:
    return reply_payload(
        user, wamid, kind="button", choice_id=f"lane:{lane}", title=lane, replying_to="wamid.X"
    )


async def test_turns_through_the_webhook_move_the_counters_and_histograms(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    ana, bia, caio = (ChatUser(wa_id=f"55119000000{i}", name=n) for i, n in enumerate("ABC"))
    async with running_app(monkeypatch, redis_url, ENABLE_ORCHESTRATION="true") as (client, app):
        before = await scrape(client)
        tap_commerce = _tap(ana, "wamid.M1", "commerce")
        assert (await post_webhook(client, tap_commerce)).status_code == 200
        assert (await post_webhook(client, tap_commerce)).status_code == 200  # Meta's duplicate
        assert (await post_webhook(client, _tap(bia, "wamid.M2", "info"))).status_code == 200
        text = text_payload(caio, "wamid.M3", "my order arrived damaged, the mug is broken")
        assert (await post_webhook(client, text)).status_code == 200
        forged = await client.post(
            "/webhooks/whatsapp",
            content=meta_bytes(text),
            headers={"X-Hub-Signature-256": "sha256=" + "0" * 64},
        )
        assert forged.status_code == 403
        with caplog.at_level(logging.INFO, logger="nodes.turn.route"):
            await drain(app)
        after = await scrape(client)

    decided = [r.fields for r in caplog.records if r.getMessage() == "router.decision"]
    text_turn = next(f for f in decided if f["msg_id"] == "wamid.M3")

    assert delta(before, after, "convo_webhook_requests_total", outcome="accepted") == 4
    assert delta(before, after, "convo_webhook_requests_total", outcome="bad_signature") == 1
    assert delta(before, after, "convo_webhook_ack_seconds_count") == 5
    assert delta(before, after, "convo_webhook_ack_seconds_bucket", le="+Inf") == 5
    assert delta(before, after, "convo_webhook_items_total", kind="message") == 4

    assert delta(before, after, "convo_turns_total") == 3
    assert delta(before, after, "convo_turns_total", lane="commerce", method="choice") == 1
    assert delta(before, after, "convo_turns_total", lane="info", intent="select") == 1
    assert (
        delta(
            before,
            after,
            "convo_turns_total",
            intent=str(text_turn["intent"]),
            method=str(text_turn["method"]),
        )
        == 1
    )
    assert delta(before, after, "convo_turn_results_total", result="completed") == 3
    assert delta(before, after, "convo_turn_seconds_count") == 3
    assert delta(before, after, "convo_turn_seconds_sum") > 0
    assert delta(before, after, "convo_session_lock_acquisitions_total", contended="no") == 3
    assert delta(before, after, "convo_session_lock_wait_seconds_count") == 3
    assert delta(before, after, "convo_job_runs_total", job="process", attempt="first") == 3
    assert delta(before, after, "convo_job_runs_total", job="orchestrate", attempt="first") == 3
    assert value(after, "convo_queue_jobs", state="ready") == 0


async def test_sends_are_counted_by_result_and_graph_api_error_code(redis_client) -> None:  # type: ignore[no-untyped-def]
    before = parse(metrics.render()[0].decode())
    await send_counters.count(redis_client, "sent")
    await send_counters.count(redis_client, "error:131047")
    await send_counters.count(redis_client, "failed")
    after = parse(metrics.render()[0].decode())
    assert delta(before, after, "convo_sends_total", result="sent") == 1
    assert delta(before, after, "convo_sends_total", result="failed") == 1
    assert delta(before, after, "convo_send_errors_total", code="131047") == 1


@respx.mock(base_url=LLM_BASE_URL)
async def test_llm_calls_are_counted_by_outcome_with_latency(
    respx_mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", LLM_BASE_URL)
    get_settings.cache_clear()
    model = build_chat_model(get_settings())
    assert model is not None
    respx_mock.post("/chat/completions").mock(
        side_effect=[
            completion(route_json("support")),
            httpx.Response(503, json={"error": {"message": "overloaded"}}),
        ]
    )
    before = parse(metrics.render()[0].decode())
    await model.ainvoke("hello")
    with pytest.raises(Exception, match="overloaded"):
        await model.ainvoke("hello")
    after = parse(metrics.render()[0].decode())
    assert delta(before, after, "convo_llm_calls_total", purpose="direct", outcome="ok") == 1
    assert (
        delta(before, after, "convo_llm_calls_total", purpose="direct", outcome="server_error") == 1
    )
    assert delta(before, after, "convo_llm_call_seconds_count", purpose="direct") == 2


@respx.mock(base_url=LLM_BASE_URL)
async def test_the_routers_llm_calls_are_counted_too(
    respx_mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The router posts its request itself (not through LangChain's runnable): the
    model's metrics callback still sees each call and its outcome."""
    from nodes.registry import default_registry
    from nodes.router.errors import LLMRouteError
    from nodes.router.llm import LLMClassifier

    monkeypatch.setenv("OPENAI_BASE_URL", LLM_BASE_URL)
    get_settings.cache_clear()
    model = build_chat_model(get_settings())
    assert model is not None
    respx_mock.post("/chat/completions").mock(
        side_effect=[
            completion(route_json("support")),
            httpx.Response(503, json={"error": {"message": "overloaded"}}),
        ]
    )
    classifier = LLMClassifier(model, list(default_registry()), "json_schema")
    before = parse(metrics.render()[0].decode())
    await classifier.classify("hello")
    with pytest.raises(LLMRouteError):
        await classifier.classify("hello")
    after = parse(metrics.render()[0].decode())
    assert delta(before, after, "convo_llm_calls_total", purpose="direct", outcome="ok") == 1
    assert (
        delta(before, after, "convo_llm_calls_total", purpose="direct", outcome="server_error") == 1
    )


def test_a_turn_with_an_llm_fallback_counts_the_reason() -> None:
    before = parse(metrics.render()[0].decode())
    metrics.record_turn(
        lane="support", intent="late", method="fallback", seconds=0.2, fallback_reason="timeout"
    )
    after = parse(metrics.render()[0].decode())
    assert delta(before, after, "convo_llm_fallbacks_total", reason="timeout") == 1


_CHILD = """
import sys
from server import metrics
metrics.record_webhook("accepted", 0.004)
metrics.record_turn(lane="info", intent="hours", method="offline", seconds=0.05)
if sys.argv[1] == "collect":
    sys.stdout.write(metrics.render()[0].decode())
"""


def test_processes_sharing_the_multiprocess_dir_are_added_up(tmp_path: Path) -> None:
    """Two processes record (a web app and a worker, say); a third renders both."""
    env: Mapping[str, str] = {**os.environ, metrics.MULTIPROC_ENV: str(tmp_path)}
    for role in ("web", "worker"):
        subprocess.run([sys.executable, "-c", _CHILD, role], cwd=REPO, env=env, check=True)
    page = subprocess.run(
        [sys.executable, "-c", _CHILD, "collect"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    samples = parse(page)
    assert value(samples, "convo_webhook_requests_total", outcome="accepted") == 3
    assert value(samples, "convo_turns_total", lane="info", intent="hours") == 3
    assert value(samples, "convo_webhook_ack_seconds_count") == 3


GRAPH = "https://graph.test"
SENDING_ENV = {
    "ENABLE_ORCHESTRATION": "true",
    "WHATSAPP_ACCESS_TOKEN": "test-token",
    "WHATSAPP_API_BASE_URL": GRAPH,
    "WHATSAPP_PAIR_BURST": "50",
}


class GraphApi:
    """The Graph API's `/messages`: accepts every reply except those to `refuse_to`, which it
    answers like a number that cannot receive messages (131026, not retried)."""

    def __init__(self, router: respx.MockRouter, refuse_to: str) -> None:
        self.refuse_to, self.accepted, self.refused = refuse_to, 0, 0
        router.post(url__regex=rf"{GRAPH}/v[\d.]+/\d+/messages").mock(side_effect=self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("status") == "read":
            return httpx.Response(200, json={"success": True})
        if body["to"].lstrip("+") == self.refuse_to:
            self.refused += 1
            error = {"message": "Message undeliverable", "type": "OAuthException", "code": 131026}
            return httpx.Response(400, json={"error": error})
        self.accepted += 1
        return httpx.Response(
            200,
            json={
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": f"wamid.out{self.accepted}"}],
            },
        )


@respx.mock
async def test_replies_sent_and_a_handoff_through_the_webhook_are_counted(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    """Replies leave through the Graph API (one recipient refused with 131026); a customer
    asks for a person and then goes back to the bot."""
    ana, dora = ChatUser(wa_id="551190000010", name="Ana"), ChatUser(wa_id="551190000011")
    graph = GraphApi(respx.mock, refuse_to=dora.wa_id)
    async with running_app(monkeypatch, redis_url, **SENDING_ENV) as (client, app):
        async with app.state.resources.sessions.begin() as session:  # someone to hand off to
            await issue(session, tenant="demo", handle="ana", display_name="Ana")
        before = await scrape(client)
        asks = text_payload(ana, "wamid.H1", "I want to talk to a person, please")
        assert (await post_webhook(client, asks)).status_code == 200
        assert (await post_webhook(client, _tap(dora, "wamid.H2", "info"))).status_code == 200
        await drain(app)
        back = reply_payload(
            ana, "wamid.H3", kind="button", choice_id="handoff:cancel",
            title="Back to assistant", replying_to="wamid.out1",
        )  # fmt: skip
        assert (await post_webhook(client, back)).status_code == 200
        await drain(app)
        after = await scrape(client)

    assert graph.accepted >= 2 and graph.refused >= 1  # the premise: both kinds happened
    assert delta(before, after, "convo_sends_total", result="sent") == graph.accepted
    assert delta(before, after, "convo_sends_total", result="failed") == graph.refused
    assert delta(before, after, "convo_send_errors_total", code="131026") == graph.refused
    assert delta(before, after, "convo_sends_total", result="retried") == 0
    assert delta(before, after, "convo_human_handoffs_total", event="requested") == 1
    assert delta(before, after, "convo_human_handoffs_total", event="withdrawn") == 1
    assert delta(before, after, "convo_human_handoffs_total") == 2
    assert delta(before, after, "convo_turns_total", lane="support", intent="human_request") == 1
    assert delta(before, after, "convo_turn_results_total", result="completed") == 3
    assert delta(before, after, "convo_job_runs_total", job="send", attempt="first") == (
        graph.accepted + graph.refused
    )


async def test_session_lock_waits_and_contention_are_counted(redis_client) -> None:  # type: ignore[no-untyped-def]
    """One turn holds a session; a second waits for it; a third gives up waiting."""
    holder = SessionLock(redis_client, "100200300400500", "551190000020", LockConfig())
    before = parse(metrics.render()[0].decode())
    await holder.acquire()
    second = SessionLock(redis_client, "100200300400500", "551190000020", LockConfig())
    waiting = asyncio.create_task(second.acquire())
    for _ in range(6000):  # until the second is in line (a bound, not a timing assertion)
        if await redis_client.zcard(f"{holder.key}:queue"):
            break
        await asyncio.sleep(0.01)
    await holder.release()
    await waiting
    with pytest.raises(LockError):
        quick = LockConfig(wait_timeout_s=0.05)
        await SessionLock(redis_client, "100200300400500", "551190000020", quick).acquire()
    await second.release()
    after = parse(metrics.render()[0].decode())
    assert delta(before, after, "convo_session_lock_acquisitions_total", contended="no") == 1
    assert delta(before, after, "convo_session_lock_acquisitions_total", contended="yes") == 1
    assert delta(before, after, "convo_session_lock_timeouts_total") == 1
    assert delta(before, after, "convo_session_lock_wait_seconds_count") == 3
    assert delta(before, after, "convo_session_lock_wait_seconds_sum") > 0
    assert delta(before, after, "convo_session_lock_wait_seconds_bucket", le="0.001") == 1  # free
