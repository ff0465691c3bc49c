"""LLM mode end to end: the real router and OpenAI client, the endpoint mocked with respx."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from server.cli import main

BASE_URL = "http://llm.test/v1"
# What the mocked model answers per user message; None: an unreadable answer.
VERDICTS: dict[str, dict[str, Any] | None] = {
    "i never got my package and nobody answers": {"lane": "support", "confidence": 0.95},
    "quiero comprar dos camisetas": {"lane": "commerce", "confidence": 0.9},
    "a que horas abren mañana": {"lane": "commerce", "confidence": 0.8},  # the LLM is wrong
    "hello there, who am i talking to": None,  # malformed: the router falls back offline
    "start": {"lane": "info", "confidence": 0.7},
}
ROWS = [
    {"text": "i never got my package and nobody answers", "lane": "support", "lang": "en"},
    {"text": "quiero comprar dos camisetas", "lane": "commerce", "lang": "es"},
    {"text": "a que horas abren mañana", "lane": "info", "lang": "es"},
    {"text": "hello there, who am i talking to", "lane": "info", "lang": "en"},
]


def completion(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    text = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
    verdict = VERDICTS[text]
    content = "{not json" if verdict is None else json.dumps({"intent": "x", **verdict})
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-eval",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content},
                }
            ],
            "usage": {"prompt_tokens": 200, "completion_tokens": 20, "total_tokens": 220},
        },
    )


@pytest.fixture
def llm_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterable[respx.Route]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("OPENAI_BASE_URL", BASE_URL)
    monkeypatch.setenv("COLUMNS", "200")
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as mock:
        yield mock.post("/chat/completions").mock(side_effect=completion)


def test_llm_router_is_scored_with_tokens_and_fallbacks(
    llm_endpoint: respx.Route,
    write_jsonl: Callable[[str, Iterable[Any]], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out, page = tmp_path / "llm.json", tmp_path / "llm.html"
    dataset = write_jsonl("rows.jsonl", ROWS)
    args = ["--router", "llm", "--dataset", dataset, "--report-json", out, "--report-html", page]
    code = main(["eval", "routing", *map(str, args)])
    report = json.loads(out.read_text())
    assert code == 0
    assert llm_endpoint.call_count == 4
    assert report["router"] == "llm"
    assert report["methods"]["llm"] == 3
    assert report["methods"]["fallback"] == 1
    assert report["fallback_reasons"] == {"malformed": 1}
    by_text = {p["text"]: p for p in report["predictions"]}
    assert by_text["a que horas abren mañana"]["predicted"] == "commerce"
    assert by_text["i never got my package and nobody answers"]["prompt_tokens"] == 200
    # 3 parsed answers x (200 + 20). The malformed one failed inside the chat model, and
    # LangChain reports no usage for a failed call: its tokens are not counted (documented).
    assert report["tokens"] == {
        "calls": 3,
        "prompt_tokens": 600,
        "completion_tokens": 60,
        "total_tokens": 660,
    }
    assert report["per_lane"]["support"]["recall"] == 1.0
    assert report["per_lane"]["commerce"]["precision"] == 0.5
    printed = capsys.readouterr().out
    assert "600 + 60 in 3 calls" in printed
    assert "malformed 1" in printed  # LLM fallbacks (why)
    html = page.read_text()
    assert "Why the LLM was not used" in html
    assert '<td class="l">malformed</td><td class="">1</td>' in html


def test_hybrid_without_a_key_is_refused(
    write_jsonl: Callable[[str, Iterable[Any]], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = write_jsonl("rows.jsonl", ROWS)
    assert main(["eval", "routing", "--router", "hybrid", "--dataset", str(dataset)]) == 2
    assert "--router hybrid needs an LLM" in capsys.readouterr().err


TINY_TRAINING = [
    ("what time do you open", "info"),
    ("where is the store", "info"),
    ("i want to buy two shirts", "commerce"),
    ("add it to my cart", "commerce"),
    ("my package never arrived", "support"),
    ("i want a refund", "support"),
]


def test_hybrid_asks_the_llm_only_when_the_offline_model_is_unsure(
    monkeypatch: pytest.MonkeyPatch,
    write_jsonl: Callable[[str, Iterable[Any]], Path],
    tmp_path: Path,
) -> None:
    """A tiny offline model (not the project's, which keeps learning) makes "sure" and
    "unsure" predictable: its own training texts are sure, a word it never saw is not."""
    from nodes.router import build_router
    from nodes.router.offline import LabeledExample, OfflineClassifier
    from server.llm import build_chat_model

    tiny = OfflineClassifier.train(LabeledExample(text=t, lane=lane) for t, lane in TINY_TRAINING)

    def hybrid_with_tiny_model(mode: str, settings: Any, **knobs: Any) -> Any:
        return build_router("hybrid", chat_model=build_chat_model(settings), classifier=tiny)

    monkeypatch.setattr("evals.routers.build_eval_router", hybrid_with_tiny_model)
    VERDICTS.update({"i want to buy two shirts": {"lane": "commerce", "confidence": 0.9}})
    rows = [
        {"text": "i want to buy two shirts", "lane": "commerce", "lang": "en"},
        {"text": "my package never arrived", "lane": "support", "lang": "en"},
        {"text": "start", "lane": "info", "lang": "en"},
    ]
    offline = build_router("offline", classifier=tiny)
    unsure = {row["text"] for row in rows if not offline.confident(offline.offline(row["text"]))}
    assert unsure == {"start"}
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("OPENAI_BASE_URL", BASE_URL)
    out = tmp_path / "hybrid.json"
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        endpoint = mock.post("/chat/completions").mock(side_effect=completion)
        args = ["--router", "hybrid", "--dataset", write_jsonl("rows.jsonl", rows)]
        assert main(["eval", "routing", *map(str, args), "--report-json", str(out)]) == 0
    report = json.loads(out.read_text())
    by_text = {p["text"]: p for p in report["predictions"]}
    assert endpoint.call_count == 1
    assert by_text["start"]["method"] == "llm"
    assert by_text["start"]["predicted"] == "info"  # the LLM's answer
    assert by_text["start"]["prompt_tokens"] == 200
    assert by_text["my package never arrived"]["method"] == "offline"
    assert by_text["my package never arrived"]["prompt_tokens"] is None
    assert report["tokens"]["calls"] == 1
